import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../server/config.ts'
import { checkOutbound, getJson, OutboundRefused } from '../../server/infra/outbound.ts'
import type { NewPost } from '../../server/repos/network-post-repo.ts'
import { buildTestDeps, seedCampaign } from '../helper.ts'

const post = (campaignId: string, uri: string, over: Partial<NewPost> = {}): NewPost => ({
  campaignId,
  network: 'bluesky',
  uri,
  url: 'https://bsky.app/x',
  authorHandle: 'a.bsky.social',
  authorName: '',
  text: 't',
  language: 'en',
  postedAt: new Date().toISOString(),
  matchedTags: ['tweetbottle'],
  matchedTargets: [],
  ...over
})

describe('listened posts: retention and the outbound guard', () => {
  let t: Awaited<ReturnType<typeof buildTestDeps>>
  beforeAll(async () => { t = await buildTestDeps() })
  afterAll(async () => { await t.close() })

  it('deletes the posts and counters of campaigns closed longer ago than the retention, and keeps the others', async () => {
    const old = await seedCampaign(t.deps, { status: 'closed' })
    const recent = await seedCampaign(t.deps, { status: 'closed' })
    const live = await seedCampaign(t.deps)
    await t.deps.pool.query("UPDATE campaigns SET closes_at = now() - interval '91 days' WHERE id = $1", [old.id])
    await t.deps.pool.query("UPDATE campaigns SET closes_at = now() - interval '89 days' WHERE id = $1", [recent.id])
    await t.deps.networkPostRepo.applyBatch({ inserts: [post(old.id, 'at://a/1'), post(old.id, 'at://a/2'), post(recent.id, 'at://a/1'), post(live.id, 'at://a/3')] })
    expect(await t.deps.networkPostRepo.deleteExpired(90)).toBe(2)
    const left = await t.deps.pool.query<{ campaign_id: string }>('SELECT campaign_id FROM network_posts ORDER BY uri')
    expect(left.rows.map((r) => r.campaign_id).sort()).toEqual([recent.id, live.id].sort())
    expect((await t.deps.networkPostRepo.counts(old.id)).size).toBe(0)
    expect((await t.deps.networkPostRepo.counts(recent.id)).get('total|')).toBe(1)
    // Running it again changes nothing.
    expect(await t.deps.networkPostRepo.deleteExpired(90)).toBe(0)
  })

  it('refuses plain ws:// and http:// to hosts outside OUTBOUND_ALLOW_HOSTS, and private addresses, before connecting', async () => {
    expect(() => checkOutbound('ws://jetstream.example/subscribe', [])).toThrow(OutboundRefused)
    expect(() => checkOutbound('wss://10.0.0.5/subscribe', [])).toThrow(/private address/)
    expect(() => checkOutbound('https://[::1]:8443/', [])).toThrow(/private address/)
    // A name that resolves to a private address is refused when it is looked up.
    await expect(getJson('https://localhost:1/xrpc/x', { allowHosts: [] })).rejects.toThrow(/private address/)
    expect(() => checkOutbound('ws://127.0.0.1:9/subscribe', ['127.0.0.1'])).not.toThrow()
  })

  it('refuses a plain Jetstream or AppView URL at start unless its host is allowed', () => {
    const base = { DATABASE_URL: 'postgres://x@127.0.0.1/x', SECRET: 'a'.repeat(40) }
    expect(() => loadConfig({ ...base, JETSTREAM_URL: 'ws://jetstream.example/subscribe' })).toThrow(ConfigError)
    expect(() => loadConfig({ ...base, BLUESKY_APPVIEW_URL: 'http://appview.example' })).toThrow(/BLUESKY_APPVIEW_URL must use https:/)
    expect(() => loadConfig({ ...base, NETWORK_POSTS_RETENTION_DAYS: '0' })).toThrow(/NETWORK_POSTS_RETENTION_DAYS/)
    const ok = loadConfig({ ...base, JETSTREAM_URL: 'ws://127.0.0.1:6008/subscribe', OUTBOUND_ALLOW_HOSTS: '127.0.0.1', LISTENING: 'off' })
    expect(ok).toMatchObject({ jetstreamUrl: 'ws://127.0.0.1:6008/subscribe', outboundAllowHosts: ['127.0.0.1'], listening: false, networkPostsRetentionDays: 90 })
    expect(loadConfig(base)).toMatchObject({ listening: true, jetstreamUrl: 'wss://jetstream2.us-east.bsky.network/subscribe', blueskyAppviewUrl: 'https://public.api.bsky.app' })
  })
})
