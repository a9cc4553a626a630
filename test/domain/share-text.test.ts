import { describe, expect, it } from 'vitest'
import { withHashtags } from '../../server/domain/share-text.ts'

describe('share text hashtags', () => {
  it('appends the campaign tags the text does not hold', () => {
    expect(withHashtags('J’ai agi', ['tweetbouteille', 'COP16'])).toBe('J’ai agi #tweetbouteille #COP16')
  })

  it('says a tag the text already holds once, whatever its case', () => {
    expect(withHashtags('… À vous ! #tweetbouteille', ['tweetbouteille'])).toBe('… À vous ! #tweetbouteille')
    expect(withHashtags('Go #TweetBouteille!', ['tweetbouteille', 'cop16'])).toBe('Go #TweetBouteille! #cop16')
    expect(withHashtags('Été #ÉTÉ', ['été'])).toBe('Été #ÉTÉ')
  })

  it('does not take a word without # or a longer tag for the tag', () => {
    expect(withHashtags('tweetbouteille #tweetbouteilles', ['tweetbouteille'])).toBe('tweetbouteille #tweetbouteilles #tweetbouteille')
  })

  it('says each tag of the list once, with or without its #', () => {
    expect(withHashtags('Hi', ['#a_b', 'A_B', 'c'])).toBe('Hi #a_b #c')
  })

  it('gives the tags alone for an empty text', () => {
    expect(withHashtags('  ', ['x1'])).toBe('#x1')
    expect(withHashtags('', [])).toBe('')
  })
})
