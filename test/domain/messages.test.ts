import { describe, expect, it } from 'vitest'
import { LIMITS, finalizeText, measureLength, mention, renderMessage } from '../../server/domain/messages.ts'

const target = { name: 'Alice Martin', handles: { x: 'alice_m', bluesky: 'alice.bsky.social', mastodon: 'alice@climat.social', threads: 'alice.martin' } }
const noHandles = { name: 'Carla Souza', handles: {} }
const link = 'https://bouteille.example/c/tweetbouteille'

describe('mention', () => {
  it('names the target by its handle on each network', () => {
    expect(mention('x', target)).toBe('@alice_m')
    expect(mention('bluesky', target)).toBe('@alice.bsky.social')
    expect(mention('mastodon', target)).toBe('@alice@climat.social')
    expect(mention('threads', target)).toBe('@alice.martin')
  })
  it('uses the name for e-mail, the bottle, and networks where the target has no account', () => {
    expect(mention('email', target)).toBe('Alice Martin')
    expect(mention('bottle', target)).toBe('Alice Martin')
    expect(mention('x', noHandles)).toBe('Carla Souza')
  })
  it('accepts handles stored with a leading @', () => {
    expect(mention('x', { name: 'A', handles: { x: '@abc' } })).toBe('@abc')
  })
})

describe('renderMessage', () => {
  const template = '{target} fund loss and damage now! {hashtags} {link}'
  it('starts an X post with .@handle so it is not hidden as a reply', () => {
    expect(renderMessage(template, 'x', target, ['tweetbottle'], link)).toBe(`.@alice_m fund loss and damage now! #tweetbottle ${link}`)
  })
  it('prefixes .@handle on X when the template names the target later', () => {
    expect(renderMessage('Dear {target}, act. {hashtags} {link}', 'x', target, ['tweetbottle'], link)).toBe(`.@alice_m Dear @alice_m, act. #tweetbottle ${link}`)
  })
  it('renders each network its own way', () => {
    expect(renderMessage(template, 'bluesky', target, ['tweetbottle'], link)).toBe(`@alice.bsky.social fund loss and damage now! #tweetbottle ${link}`)
    expect(renderMessage(template, 'mastodon', target, ['tweetbottle'], link)).toBe(`@alice@climat.social fund loss and damage now! #tweetbottle ${link}`)
    expect(renderMessage(template, 'email', target, ['tweetbottle'], link)).toBe(`Alice Martin fund loss and damage now! #tweetbottle ${link}`)
  })
  it('renders several hashtags, with or without a stored #', () => {
    expect(renderMessage('{hashtags}', 'bluesky', target, ['#a', 'b'], '')).toBe('#a #b')
  })
  it('keeps the bottle free of link and forced hashtag', () => {
    expect(renderMessage('{target}, we count on you.', 'bottle', target, ['tweetbottle'], link)).toBe('Alice Martin, we count on you.')
  })
})

describe('finalizeText', () => {
  it('adds the first hashtag and the link when the supporter removed them', () => {
    expect(finalizeText('bluesky', 'My own words', target, ['tweetbottle', 'cop'], link)).toBe(`My own words #tweetbottle ${link}`)
  })
  it('does not add a hashtag that is there in another case, but does when only a longer tag is there', () => {
    expect(finalizeText('bluesky', `Words #TweetBottle ${link}`, target, ['tweetbottle'], link)).toBe(`Words #TweetBottle ${link}`)
    expect(finalizeText('bluesky', `Words #tweetbottles ${link}`, target, ['tweetbottle'], link)).toBe(`Words #tweetbottles ${link} #tweetbottle`)
  })
  it('turns a leading @handle into .@handle on X, and leaves .@handle alone', () => {
    expect(finalizeText('x', `@alice_m hello #t ${link}`, target, ['t'], link)).toBe(`.@alice_m hello #t ${link}`)
    expect(finalizeText('x', `.@alice_m hello #t ${link}`, target, ['t'], link)).toBe(`.@alice_m hello #t ${link}`)
  })
})

describe('measureLength', () => {
  it('weighs X text by twitter-text: a URL counts 23, CJK and emoji count 2', () => {
    expect(measureLength('x', 'https://example.org/a/very/long/path/that/is/much/longer/than/23')).toBe(23)
    expect(measureLength('x', '気候')).toBe(4)
    expect(measureLength('x', '🌍')).toBe(2)
    expect(measureLength('x', 'abc')).toBe(3)
  })
  it('counts graphemes on Bluesky: a family emoji is one', () => {
    expect(measureLength('bluesky', '👨‍👩‍👧‍👦')).toBe(1)
    expect(measureLength('bluesky', 'é')).toBe(1)
  })
  it('counts code points on Mastodon and Threads', () => {
    expect(measureLength('mastodon', '🌍ab')).toBe(3)
    expect(measureLength('threads', 'a'.repeat(500))).toBe(500)
  })
  it('has the networks’ limits', () => {
    expect(LIMITS).toMatchObject({ x: 280, bluesky: 300, mastodon: 500, threads: 500 })
  })
})
