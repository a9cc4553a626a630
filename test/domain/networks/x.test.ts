import { describe, expect, it } from 'vitest'
import { hasHashtag, measureLength, readsWhole, tagReadAs } from '../../../server/domain/networks/index.ts'

// X vectors. Expected values from twitter-text's rules (twitter/twitter-text conformance/validate.yml and
// https://docs.x.com/resources/fundamentals/counting-characters), checked 2026-12-04.
const LENGTHS: Array<{ text: string, count: number, source: string }> = [
  { text: 'Voir bouteille.berlin maintenant', count: 39, source: 'counting-characters: any URL (here a bare domain with a known TLD) weighs 23' },
  { text: 'Voir bouteille.notatld maintenant', count: 33, source: 'twitter-text: an unknown TLD is not a link' },
  { text: 'https://bouteille.org/c/une-campagne-au-nom-très-long-pour-tester', count: 23, source: 'counting-characters: URL weight 23' },
  { text: '気候', count: 4, source: 'counting-characters: CJK characters weigh 2' },
  { text: 'Agissez 🇫🇷👩🏽‍🌾', count: 12, source: 'counting-characters: an emoji sequence weighs 2' },
  { text: 'café', count: 4, source: 'twitter-text normalises to NFC before counting' },
  { text: 'cafe\u0301', count: 4, source: 'twitter-text normalises to NFC before counting' }
]

describe('X length', () => {
  for (const v of LENGTHS) {
    it(`${JSON.stringify(v.text)} is ${v.count} (${v.source})`, () => {
      expect(measureLength('x', v.text)).toBe(v.count)
    })
  }
  it('refuses over 280 weighted characters', () => {
    expect(measureLength('x', 'a'.repeat(280))).toBe(280)
    expect(measureLength('x', '気'.repeat(141))).toBe(282)
  })
})

// Hashtags as twitter-text extractHashtags reads them (twitter-text js/src/regexp/validHashtag.js).
describe('X hashtags', () => {
  it('reads COP² as #COP, and COP・16, می‌خواهیم (ZWNJ) and tweetbouteille·x as whole tags', () => {
    expect(tagReadAs('x', 'COP²')).toBe('COP')
    expect(readsWhole('x', 'COP²')).toBe(false)
    for (const t of ['COP・16', 'می‌خواهیم', 'tweetbouteille·x', 'Klimaschutz_jetzt']) expect(readsWhole('x', t), t).toBe(true)
    expect(tagReadAs('x', '2025')).toBeNull()
  })
  it('finds the campaign tag only where X reads that very tag', () => {
    expect(hasHashtag('x', 'Agissez #tweetbouteille·x', 'tweetbouteille')).toBe(false)
    expect(hasHashtag('x', 'Agissez #tweetbouteille\u0301', 'tweetbouteille')).toBe(false)
    expect(hasHashtag('x', 'Agissez #tweetbouteille²', 'tweetbouteille')).toBe(true)
    expect(hasHashtag('x', 'Agissez #TweetBouteille!', 'tweetbouteille')).toBe(true)
    expect(hasHashtag('x', 'Agissez a#tweetbouteille', 'tweetbouteille')).toBe(false)
  })
})
