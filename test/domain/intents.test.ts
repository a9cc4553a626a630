import { describe, expect, it } from 'vitest'
import { buildIntentUrl, isEmail, parseInstance } from '../../server/domain/intents.ts'

describe('buildIntentUrl', () => {
  const text = '.@alice_m act now! #tweetbottle https://b.example/c/x?a=1&b=2'
  it('builds network intents from fixed bases with the text encoded', () => {
    const x = new URL(buildIntentUrl('x', text)!)
    expect(x.origin + x.pathname).toBe('https://x.com/intent/post')
    expect(x.searchParams.get('text')).toBe(text)
    expect([...x.searchParams.keys()]).toEqual(['text'])
    expect(buildIntentUrl('bluesky', 'hé & co')).toBe('https://bsky.app/intent/compose?text=h%C3%A9%20%26%20co')
    expect(buildIntentUrl('threads', 'a')).toBe('https://www.threads.net/intent/post?text=a')
  })
  it('sends Mastodon to the supporter’s validated instance only', () => {
    expect(buildIntentUrl('mastodon', 'a b', { instance: 'piaille.fr' })).toBe('https://piaille.fr/share?text=a%20b')
    expect(buildIntentUrl('mastodon', 'a', { instance: 'evil.com/phish?x=' })).toBeNull()
    expect(buildIntentUrl('mastodon', 'a', {})).toBeNull()
  })
  it('writes e-mails to the target’s public address', () => {
    const url = buildIntentUrl('email', 'Dear minister', { email: 'alice@example.org', subject: 'Climate' })
    expect(url).toBe('mailto:alice@example.org?subject=Climate&body=Dear%20minister')
    expect(buildIntentUrl('email', 'a', { email: 'not an address' })).toBeNull()
  })
  it('sends the bottle to the thank-you page', () => {
    expect(buildIntentUrl('bottle', 'a', { thanksUrl: '/c/x/thanks' })).toBe('/c/x/thanks')
  })
})

describe('parseInstance', () => {
  it('accepts what supporters type', () => {
    expect(parseInstance('mastodon.social')).toBe('mastodon.social')
    expect(parseInstance(' https://Piaille.fr/ ')).toBe('piaille.fr')
    expect(parseInstance('@me@framapiaf.org')).toBe('framapiaf.org')
  })
  it('refuses addresses that are not public host names', () => {
    for (const bad of ['', 'localhost', '127.0.0.1', '10.0.0.1', 'foo', 'a.b.local', 'x.internal', 'exa mple.org', 'javascript:alert(1)', 'host:8080']) {
      expect(parseInstance(bad), bad).toBeNull()
    }
  })
})

describe('isEmail', () => {
  it('checks the shape', () => {
    expect(isEmail('a.b+c@example.org')).toBe(true)
    expect(isEmail('a@b')).toBe(false)
    expect(isEmail('a b@example.org')).toBe(false)
  })
})
