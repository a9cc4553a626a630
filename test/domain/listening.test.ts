import { describe, expect, it } from 'vitest'
import {
  addressAllowed, instanceHost, instanceState, matchBlueskyPost, matchMastodonStatus, newerId, nextPollAt, normalizeAcct, normalizeTag, outboundProblem,
  parseInstances, parseRetryAfter, rawPrefilter, sourceHealth, statusText, type WatchedCampaign
} from '../../server/domain/listening.ts'

const watch: WatchedCampaign[] = [
  { id: 'c1', tags: ['tweetbottle', 'tweetbouteille'], targets: [{ id: 't1', did: 'did:plc:alice', mastodon: 'alice@climat.social' }] },
  { id: 'c2', tags: ['cop16'], targets: [{ id: 't2', did: 'did:plc:bob' }] }
]
const tagFacet = (tag: string) => ({ index: { byteStart: 0, byteEnd: tag.length + 1 }, features: [{ $type: 'app.bsky.richtext.facet#tag', tag }] })
const mentionFacet = (did: string) => ({ index: { byteStart: 0, byteEnd: 4 }, features: [{ $type: 'app.bsky.richtext.facet#mention', did }] })

describe('hashtags and handles', () => {
  it('compares tags the way Bluesky does: no #, any case', () => {
    expect(normalizeTag('#TweetBottle')).toBe('tweetbottle')
    expect(normalizeTag('＃COP16')).toBe('cop16')
    expect(normalizeTag('  ÉtéClimat ')).toBe('étéclimat')
  })
  it('reads Mastodon handles as user@host, local ones on their instance', () => {
    expect(normalizeAcct('@Alice@Climat.Social')).toBe('alice@climat.social')
    expect(normalizeAcct('alice', 'mastodon.social')).toBe('alice@mastodon.social')
    expect(normalizeAcct('alice')).toBeNull()
    expect(normalizeAcct('not a handle')).toBeNull()
  })
  it('accepts instance host names only', () => {
    expect(instanceHost('https://Mastodon.Social/')).toBe('mastodon.social')
    expect(instanceHost('mstdn.social')).toBe('mstdn.social')
    expect(instanceHost('mastodon.social/path')).toBeNull()
    expect(instanceHost('javascript:alert(1)')).toBeNull()
    expect(instanceHost('')).toBeNull()
  })
})

describe('Bluesky matching', () => {
  it('matches a tag facet whatever its case, and says which campaign and tag', () => {
    expect(matchBlueskyPost({ text: 'x #TweetBottle', facets: [tagFacet('TweetBottle')] }, watch)).toEqual([{ campaignId: 'c1', tags: ['tweetbottle'], targetIds: [] }])
  })
  it('matches an outline tag (the record\'s tags field)', () => {
    expect(matchBlueskyPost({ text: 'x', tags: ['COP16'] }, watch)).toEqual([{ campaignId: 'c2', tags: ['cop16'], targetIds: [] }])
  })
  it('matches a mention of a target by DID, not by the words of the text', () => {
    expect(matchBlueskyPost({ text: '@alice', facets: [mentionFacet('did:plc:alice')] }, watch)).toEqual([{ campaignId: 'c1', tags: [], targetIds: ['t1'] }])
    expect(matchBlueskyPost({ text: 'tweetbottle did:plc:alice' }, watch)).toEqual([])
  })
  it('matches several campaigns at once', () => {
    const m = matchBlueskyPost({ text: '', facets: [tagFacet('cop16'), mentionFacet('did:plc:alice')] }, watch)
    expect(m.map((x) => x.campaignId).sort()).toEqual(['c1', 'c2'])
  })
  it('ignores a tag that only contains a campaign tag, and malformed facets', () => {
    expect(matchBlueskyPost({ text: '', facets: [tagFacet('tweetbottles')] }, watch)).toEqual([])
    expect(matchBlueskyPost({ text: '', facets: [null, { features: 'x' }, { features: [{ $type: 'app.bsky.richtext.facet#tag', tag: 42 }] }] }, watch)).toEqual([])
    expect(matchBlueskyPost({ text: '', facets: 'nope', tags: 'nope' }, watch)).toEqual([])
  })
  it('prefilters raw messages: a possible tag (any case) or a target DID passes, anything else does not', () => {
    const pass = rawPrefilter(watch)
    expect(pass('{"text":"#TWEETBOTTLE"}')).toBe(true)
    expect(pass('{"did":"did:plc:bob"}')).toBe(true)
    expect(pass('{"text":"nothing to see"}')).toBe(false)
    expect(rawPrefilter([])('#tweetbottle')).toBe(false)
    // Regex characters in a tag are taken literally.
    expect(rawPrefilter([{ id: 'x', tags: ['a.b'], targets: [] }])('axb')).toBe(false)
  })
})

describe('Mastodon matching', () => {
  const status = (over: Partial<Parameters<typeof matchMastodonStatus>[0]> = {}) => ({ id: '1', uri: 'https://a/1', created_at: '2026-12-04T09:00:00Z', content: '', account: { acct: 'x' }, ...over })
  it('matches by tag name, any case', () => {
    expect(matchMastodonStatus(status({ tags: [{ name: 'TweetBouteille' }] }), 'mastodon.social', watch)).toEqual([{ campaignId: 'c1', tags: ['tweetbouteille'], targetIds: [] }])
  })
  it('matches a mention of a target, remote or local to the instance polled', () => {
    expect(matchMastodonStatus(status({ mentions: [{ acct: 'Alice@climat.social' }] }), 'mastodon.social', watch)[0]!.targetIds).toEqual(['t1'])
    expect(matchMastodonStatus(status({ mentions: [{ acct: 'alice' }] }), 'climat.social', watch)[0]!.targetIds).toEqual(['t1'])
    expect(matchMastodonStatus(status({ mentions: [{ acct: 'alice' }] }), 'mastodon.social', watch)).toEqual([])
  })
  it('turns HTML content into text', () => {
    expect(statusText('<p>Hello <a href="x">#<span>TweetBottle</span></a></p><p>2nd &amp; &lt;3 &#39;ok&#39;<br>line</p>')).toBe("Hello #TweetBottle\n\n2nd & <3 'ok'\nline")
    expect(statusText('&#x1F30D; &bogus; &#0;')).toBe('🌍 &bogus; &#0;')
  })
  it('orders status ids as numbers', () => {
    expect(newerId('110', '99')).toBe(true)
    expect(newerId('99', '110')).toBe(false)
    expect(newerId('5', null)).toBe(true)
  })
})

describe('polling rules', () => {
  const now = Date.parse('2026-12-04T09:00:00Z')
  const base = { now, intervalMs: 60_000, failures: 0 }
  it('polls again after the interval when all is well', () => {
    expect(nextPollAt({ ...base, status: 200, headers: { 'x-ratelimit-remaining': '250' } })).toEqual({ at: now + 60_000, state: 'ok' })
  })
  it('waits for the reset when the remaining requests run low', () => {
    const reset = '2026-12-04T09:05:00Z'
    expect(nextPollAt({ ...base, status: 200, headers: { 'x-ratelimit-remaining': '2', 'x-ratelimit-reset': reset } }).at).toBe(Date.parse(reset))
  })
  it('honours Retry-After on 429, in seconds or as a date, and never sooner than the backoff', () => {
    expect(nextPollAt({ ...base, status: 429, headers: { 'retry-after': '600' } })).toEqual({ at: now + 600_000, state: 'limited' })
    expect(nextPollAt({ ...base, status: 429, headers: { 'retry-after': 'Fri, 04 Dec 2026 10:00:00 GMT' } }).at).toBe(Date.parse('2026-12-04T10:00:00Z'))
    expect(nextPollAt({ ...base, status: 429, headers: {} }).at).toBe(now + 120_000)
    expect(nextPollAt({ ...base, status: 429, headers: { 'x-ratelimit-reset': '2026-12-04T09:30:00Z' } }).at).toBe(Date.parse('2026-12-04T09:30:00Z'))
    expect(nextPollAt({ ...base, status: 429, headers: { 'retry-after': '300', 'x-ratelimit-reset': '2026-12-04T09:30:00Z' } }).at).toBe(now + 300_000)
  })
  it('backs off exponentially on errors, up to six hours', () => {
    expect(nextPollAt({ ...base, status: 503, headers: {}, failures: 0 }).at).toBe(now + 120_000)
    expect(nextPollAt({ ...base, status: 0, headers: {}, failures: 2 }).at).toBe(now + 480_000)
    expect(nextPollAt({ ...base, status: 500, headers: {}, failures: 40 }).at).toBe(now + 6 * 3_600_000)
  })
  it('marks an instance refusing public timelines as such and leaves it for a day', () => {
    for (const status of [401, 403, 422]) expect(nextPollAt({ ...base, status, headers: {} })).toEqual({ at: now + 86_400_000, state: 'refused' })
  })
  it('reads Retry-After per RFC 9110', () => {
    expect(parseRetryAfter('120', now)).toBe(now + 120_000)
    expect(parseRetryAfter('soon', now)).toBeNull()
    expect(parseRetryAfter(undefined, now)).toBeNull()
  })
})

describe('outbound guard', () => {
  it('takes wss:// and https:// anywhere, plain ws:// and http:// only to allowed hosts', () => {
    expect(outboundProblem('wss://jetstream2.us-east.bsky.network/subscribe', [])).toBeNull()
    expect(outboundProblem('https://mastodon.social/api/v1/timelines/tag/x', [])).toBeNull()
    expect(outboundProblem('ws://jetstream.example/subscribe', [])).toMatch(/refused/)
    expect(outboundProblem('http://127.0.0.1:8080/x', ['127.0.0.1'])).toBeNull()
    expect(outboundProblem('http://127.0.0.1:8080/x', ['localhost'])).toMatch(/refused/)
    expect(outboundProblem('ftp://example.org/', ['example.org'])).toMatch(/refused/)
    expect(outboundProblem('https://user:pw@example.org/', [])).toMatch(/credentials/)
  })
  it('refuses private, loopback and link-local addresses unless the host is allowed', () => {
    for (const a of ['127.0.0.1', '10.1.2.3', '192.168.0.1', '169.254.169.254', '::1', 'fc00::1', '::ffff:127.0.0.1']) expect(addressAllowed(a, false)).toBe(false)
    expect(addressAllowed('151.101.1.140', false)).toBe(true)
    expect(addressAllowed('2a04:4e42::396', false)).toBe(true)
    expect(addressAllowed('127.0.0.1', true)).toBe(true)
  })
})

describe('listening health', () => {
  const now = Date.parse('2026-12-04T09:00:00Z')
  const row = (over: Partial<Parameters<typeof sourceHealth>[0]>) => ({ source: 'jetstream', status: 'ok', lastEventAt: null, updatedAt: new Date(now), nextPollAt: null, ...over })
  it('reports the Jetstream lag and calls it stalled past two minutes', () => {
    expect(sourceHealth(row({ lastEventAt: new Date(now - 3_000) }), now)).toEqual({ lagSeconds: 3, stalled: false })
    expect(sourceHealth(row({ lastEventAt: new Date(now - 300_000) }), now)).toEqual({ lagSeconds: 300, stalled: true })
    expect(sourceHealth(row({}), now).stalled).toBe(true)
  })
  it('calls a Mastodon source stalled only when its poll is long overdue', () => {
    expect(sourceHealth(row({ source: 'mastodon:a:b', nextPollAt: new Date(now - 60_000) }), now).stalled).toBe(false)
    expect(sourceHealth(row({ source: 'mastodon:a:b', nextPollAt: new Date(now - 3_600_000) }), now).stalled).toBe(true)
  })
})

describe('the campaign\'s Mastodon instances', () => {
  it('reads one per line or separated by commas, drops repeats and schemes', () => {
    expect(parseInstances('mastodon.social\nhttps://MSTDN.social/, mastodon.social  climat.social')).toEqual({ ok: true, instances: ['mastodon.social', 'mstdn.social', 'climat.social'] })
    expect(parseInstances('  ')).toEqual({ ok: true, instances: [] })
  })
  it('refuses what is not a host name, and more than twenty', () => {
    expect(parseInstances('mastodon.social\nnot_a host/x')).toEqual({ ok: false, error: 'invalid', value: 'not_a' })
    expect(parseInstances(Array.from({ length: 21 }, (_, i) => `i${i}.example`).join('\n'))).toEqual({ ok: false, error: 'tooMany' })
  })
})

describe('instanceState (one Mastodon instance, for the team)', () => {
  const at = (iso: string) => new Date(iso)
  const row = (status: string, extra: Partial<{ lastError: string, lastEventAt: Date, nextPollAt: Date }> = {}) => ({ status, lastError: extra.lastError ?? null, lastEventAt: extra.lastEventAt ?? null, nextPollAt: extra.nextPollAt ?? null })

  it('is waiting before any of its hashtags was asked', () => {
    expect(instanceState([])).toEqual({ state: 'waiting', lastError: null, lastEventAt: null, nextPollAt: null })
  })

  it('reads as its worst hashtag, keeping the latest post seen across them', () => {
    const ok = row('ok', { lastEventAt: at('2026-12-04T10:00:00Z') })
    const later = row('ok', { lastEventAt: at('2026-12-04T11:00:00Z') })
    expect(instanceState([ok, later])).toEqual({ state: 'ok', lastError: null, lastEventAt: at('2026-12-04T11:00:00Z'), nextPollAt: null })
    const failing = row('error', { lastError: 'HTTP 502', nextPollAt: at('2026-12-04T12:00:00Z') })
    expect(instanceState([ok, failing])).toEqual({ state: 'error', lastError: 'HTTP 502', lastEventAt: at('2026-12-04T10:00:00Z'), nextPollAt: at('2026-12-04T12:00:00Z') })
    expect(instanceState([failing, row('limited', { nextPollAt: at('2026-12-04T10:05:00Z') })]).state).toBe('limited')
    // A tag timeline that does not exist there (404) is a refusal too: the instance cannot be read that way.
    expect(instanceState([row('limited'), row('notFound', { nextPollAt: at('2026-12-05T10:00:00Z') })])).toEqual({ state: 'refused', lastError: null, lastEventAt: null, nextPollAt: at('2026-12-05T10:00:00Z') })
  })
})
