import { describe, expect, it } from 'vitest'
import { buildIntentUrl, isEmail, parseInstance } from '../../server/domain/intents.ts'

describe('buildIntentUrl', () => {
  const text = '.@alice_m act now! #tweetbottle https://b.example/c/x?a=1&b=2'
  it('builds network intents from the documented bases with the text encoded', () => {
    // X documents https://x.com/intent/tweet (developer.x.com web-intent guide, checked 2026-12-04)
    const x = new URL(buildIntentUrl('x', text)!)
    expect(x.origin + x.pathname).toBe('https://x.com/intent/tweet')
    expect(x.searchParams.get('text')).toBe(text)
    expect([...x.searchParams.keys()]).toEqual(['text'])
    expect(buildIntentUrl('bluesky', 'hé & co')).toBe('https://bsky.app/intent/compose?text=h%C3%A9%20%26%20co')
    // Meta's Threads web-intent documentation: https://www.threads.com/intent/post with text and url (checked 2026-12-04)
    expect(buildIntentUrl('threads', 'a')).toBe('https://www.threads.com/intent/post?text=a')
    const threads = new URL(buildIntentUrl('threads', 'Act now #b https://b.example/c/x', { link: 'https://b.example/c/x' })!)
    expect(threads.origin + threads.pathname).toBe('https://www.threads.com/intent/post')
    expect(threads.searchParams.get('text')).toBe('Act now #b')
    expect(threads.searchParams.get('url')).toBe('https://b.example/c/x')
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
  it('writes line breaks in a mailto: body as %0D%0A (RFC 6068 §5, checked 2026-12-04)', () => {
    for (const body of ['Dear minister,\nAct now', 'Dear minister,\r\nAct now', 'Dear minister,\rAct now']) {
      expect(buildIntentUrl('email', body, { email: 'alice@example.org', subject: 'Climate' }))
        .toBe('mailto:alice@example.org?subject=Climate&body=Dear%20minister%2C%0D%0AAct%20now')
    }
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
  it('accepts internationalised names, as punycode (UTS #46 via node:url domainToASCII)', () => {
    expect(parseInstance('мастодон.рф')).toBe('xn--80aiwgdbsi.xn--p1ai')
    expect(parseInstance('@moi@Café.Social')).toBe('xn--caf-dma.social')
    expect(buildIntentUrl('mastodon', 'a', { instance: 'xn--80aiwgdbsi.xn--p1ai' })).toBe('https://xn--80aiwgdbsi.xn--p1ai/share?text=a')
  })
  it('refuses reserved and special-use names (RFC 2606, 6761, 6762, 7686, 9476; checked 2026-12-04)', () => {
    for (const bad of ['instance.test', 'host.onion', 'social.example', 'example.com', 'mastodon.example.org', 'a.invalid', 'box.local', 'x.localhost', 'router.home.arpa', 'name.alt']) {
      expect(parseInstance(bad), bad).toBeNull()
    }
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
