import { describe, expect, it } from 'vitest'
import { displayHandle, handleEntries, handleKey, normalizeHandle } from '../../server/domain/handles.ts'

describe('normalizeHandle: X', () => {
  it('takes 1–15 letters, digits or underscores, with or without a leading @, keeping the case', () => {
    expect(normalizeHandle('x', 'JHarbourWells')).toBe('JHarbourWells')
    expect(normalizeHandle('x', '@jharbour_wells')).toBe('jharbour_wells')
    expect(normalizeHandle('x', 'a')).toBe('a')
    expect(normalizeHandle('x', '  @abc123  ')).toBe('abc123')
  })
  it('refuses what X does not allow', () => {
    for (const bad of ['', '@', 'sixteen_chars_xx', 'jean-luc', 'jean.luc', 'émile', 'a b', '@@abc', 'abc@x.social']) {
      expect(normalizeHandle('x', bad), bad).toBeNull()
    }
  })
  it('reads a pasted profile address', () => {
    expect(normalizeHandle('x', 'https://x.com/OceaneMarivaux')).toBe('OceaneMarivaux')
    expect(normalizeHandle('x', 'https://twitter.com/OceaneMarivaux/')).toBe('OceaneMarivaux')
    expect(normalizeHandle('x', 'https://example.com/OceaneMarivaux')).toBeNull()
  })
})

describe('normalizeHandle: Bluesky', () => {
  it('takes a domain handle, lower-cased, with or without @', () => {
    expect(normalizeHandle('bluesky', 'harbourwells.bsky.social')).toBe('harbourwells.bsky.social')
    expect(normalizeHandle('bluesky', '@Tidevand.BSKY.social')).toBe('tidevand.bsky.social')
    expect(normalizeHandle('bluesky', 'climate.gouv.fr')).toBe('climate.gouv.fr')
    expect(normalizeHandle('bluesky', 'https://bsky.app/profile/costamar.bsky.social')).toBe('costamar.bsky.social')
  })
  it('refuses names that are not public domains', () => {
    for (const bad of ['harbourwells', 'name.', '.bsky.social', 'na_me.bsky.social', 'name.bsky.123', 'a..b.social', 'me.local', 'me.test', 'me@bsky.social', '-me.bsky.social']) {
      expect(normalizeHandle('bluesky', bad), bad).toBeNull()
    }
  })
})

describe('normalizeHandle: Mastodon', () => {
  it('takes user@instance.tld, with or without a leading @, the instance lower-cased', () => {
    expect(normalizeHandle('mastodon', 'jhw@tidewater.social')).toBe('jhw@tidewater.social')
    expect(normalizeHandle('mastodon', '@Seeberg@Klima.Social')).toBe('Seeberg@klima.social')
    expect(normalizeHandle('mastodon', 'first.last@pixel.tidewater.org')).toBe('first.last@pixel.tidewater.org')
    expect(normalizeHandle('mastodon', 'ivan@Мастодон.рф')).toBe('ivan@xn--80aiwgdbsi.xn--p1ai')
    // RFC 2606 §3: example.org is reserved for documentation, never a server.
    expect(normalizeHandle('mastodon', 'first.last@pixel.example.org')).toBeNull()
  })
  it('reads a profile address on the instance', () => {
    expect(normalizeHandle('mastodon', 'https://piaille.fr/@alice')).toBe('alice@piaille.fr')
    expect(normalizeHandle('mastodon', 'https://mastodon.social/@bob@climat.social')).toBe('bob@climat.social')
  })
  it('refuses a user without an instance, or a bad instance', () => {
    for (const bad of ['jhw', '@jhw', 'jhw@', '@tidewater.social', 'jhw@tidewater', 'jhw@localhost', 'j hw@tidewater.social', 'jhw@tide_water.social', 'jhw@192.168.1.1']) {
      expect(normalizeHandle('mastodon', bad), bad).toBeNull()
    }
  })
})

describe('normalizeHandle: Threads', () => {
  it('takes 1–30 letters, digits, dots and underscores, lower-cased', () => {
    expect(normalizeHandle('threads', 'j.harbourwells')).toBe('j.harbourwells')
    expect(normalizeHandle('threads', '@Lucia_Marea.Olas')).toBe('lucia_marea.olas')
    expect(normalizeHandle('threads', 'https://www.threads.net/@emile.deschampsflot')).toBe('emile.deschampsflot')
  })
  it('refuses the rest', () => {
    for (const bad of ['', 'a'.repeat(31), 'jean-luc', 'émile', 'a b']) expect(normalizeHandle('threads', bad), bad).toBeNull()
  })
})

describe('helpers', () => {
  it('shows a handle with one @', () => {
    expect(displayHandle('jhw@tidewater.social')).toBe('@jhw@tidewater.social')
    expect(displayHandle('@abc')).toBe('@abc')
  })
  it('lists handles in network order and keys them case-insensitively', () => {
    expect(handleEntries({ threads: 't', x: 'X1' })).toEqual([['x', 'X1'], ['threads', 't']])
    expect(handleKey('x', '@ABC')).toBe(handleKey('x', 'abc'))
    expect(handleKey('x', 'abc')).not.toBe(handleKey('threads', 'abc'))
  })
})
