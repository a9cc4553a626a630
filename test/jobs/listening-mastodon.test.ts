import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMastodonPoller, mastodonSource } from '../../jobs/mastodon-poller.ts'
import { RECHECK_SOURCE } from '../../server/domain/listening.ts'
import { createListeningWatch } from '../../server/services/listening-watch.ts'
import { startFakeMastodon } from '../fakes/mastodon.ts'
import { buildTestDeps, eventually, seedCampaign, type SeededCampaign } from '../helper.ts'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('listening on Mastodon (tag timelines)', () => {
  let t: Awaited<ReturnType<typeof buildTestDeps>>
  let one: Awaited<ReturnType<typeof startFakeMastodon>>
  let two: Awaited<ReturnType<typeof startFakeMastodon>>
  let c: SeededCampaign
  let watch: ReturnType<typeof createListeningWatch>

  beforeAll(async () => {
    one = await startFakeMastodon()
    two = await startFakeMastodon()
    t = await buildTestDeps({ OUTBOUND_ALLOW_HOSTS: '127.0.0.1' })
    c = await seedCampaign(t.deps)
    await t.deps.pool.query('UPDATE campaigns SET listening_instances = $2 WHERE id = $1', [c.id, [one.host, two.host]])
    // Bluesky handles are not this test's subject: none resolves.
    watch = createListeningWatch({ pool: t.deps.pool, directory: { resolveHandle: async () => null } })
    await watch.start()
  })
  afterAll(async () => {
    watch.stop()
    await t.close()
    await one.close()
    await two.close()
  })

  function poller (opts: { intervalMs?: number, campaigns?: typeof watch.get, recheckIntervalMs?: number } = {}) {
    const errors: string[] = []
    const p = createMastodonPoller({
      repo: t.deps.networkPostRepo,
      campaigns: opts.campaigns ?? watch.get,
      allowHosts: ['127.0.0.1'],
      onPosts: () => {},
      onError: (_k, m) => errors.push(m),
      intervalMs: opts.intervalMs ?? 300,
      tickMs: 100,
      ...(opts.recheckIntervalMs !== undefined ? { recheckIntervalMs: opts.recheckIntervalMs } : {}),
      scheme: 'http'
    })
    return { p, errors }
  }
  const rows = async () => (await t.deps.pool.query<{ uri: string, author_handle: string, text: string, matched_targets: string[], matched_tags: string[], source_instance: string }>(
    'SELECT uri, author_handle, text, matched_targets, matched_tags, source_instance FROM network_posts WHERE campaign_id = $1 ORDER BY id', [c.id])).rows
  /** The shared re-check round's turn has come (the pollers of the tests before took it for a minute). */
  const recheckTurn = () => t.deps.pool.query('UPDATE listening_cursors SET next_poll_at = NULL WHERE source = $1', [RECHECK_SOURCE])
  const tagPolls = (m: typeof one, tag: string) => m.requests.filter((r) => r.path === `/api/v1/timelines/tag/${tag}`)

  it('counts the same status seen through two instances once, matches mentions of targets, and reads forward from its cursor', async () => {
    const uri = 'https://climat.social/users/zoe/statuses/1'
    one.add({ uri, tags: ['TweetBottle'], content: '<p>Act now <a href="x">#TweetBottle</a></p>', acct: 'zoe@climat.social' })
    two.add({ uri, tags: ['tweetbottle'], content: '<p>Act now <a href="x">#TweetBottle</a></p>', acct: 'zoe@climat.social' })
    two.add({ uri: `https://${two.host}/users/ana/statuses/2`, tags: ['tweetbouteille'], content: '<p>Hello @alice</p>', acct: 'ana', mentions: ['alice@climat.social'] })
    one.add({ uri: 'https://elsewhere.example/users/x/statuses/3', tags: ['tweetbottle'], content: 'x', acct: 'x@elsewhere.example', createdAt: new Date().toISOString() })
    const { p } = poller()
    p.start()
    try {
      await eventually(async () => (await rows()).length === 3, 10_000, 'three posts')
      const stored = await rows()
      expect(stored.filter((r) => r.uri === uri)).toHaveLength(1)
      expect(stored.find((r) => r.uri === uri)).toMatchObject({ text: 'Act now #TweetBottle', author_handle: 'zoe@climat.social', matched_tags: ['tweetbottle'] })
      // A local account is named with the instance it lives on.
      expect(stored.find((r) => r.uri.endsWith('/2'))).toMatchObject({ author_handle: `ana@${two.host}`, matched_targets: [c.targets[0]!.id] })
      expect((await t.deps.networkPostRepo.counts(c.id)).get('network|mastodon')).toBe(3)

      // Later polls ask only for what is newer than the cursor.
      await eventually(async () => tagPolls(one, 'tweetbottle').length >= 2, 10_000, 'a second poll')
      expect(tagPolls(one, 'tweetbottle')[0]!.query.min_id).toBeUndefined()
      expect(tagPolls(one, 'tweetbottle').at(-1)!.query.min_id).toMatch(/^\d+$/)
      const cursor = await t.deps.networkPostRepo.cursor(mastodonSource(one.host, 'tweetbottle'))
      expect(cursor).toMatchObject({ status: 'ok' })
    } finally {
      await p.close()
    }
  })

  it('does not ask an instance again before its Retry-After after a 429, and shows it as limited', async () => {
    const { p } = poller({ intervalMs: 200 })
    one.limit(1, 3)
    const since = one.requests.length
    p.start()
    try {
      const limited = await eventually(async () => one.requests.slice(since).find((r) => r.status === 429), 10_000, 'the 429')
      await eventually(async () => (await t.deps.networkPostRepo.cursors(`mastodon:${one.host}:`)).some((s) => s.status === 'limited'), 5_000, 'the limited state')
      const next = await eventually(async () => one.requests.find((r) => r.at > limited.at && r.path === limited.path), 15_000, 'the next request to that timeline')
      expect(next.at - limited.at).toBeGreaterThanOrEqual(3_000)
      // The other instance went on meanwhile.
      expect(two.requests.filter((r) => r.at > limited.at && r.at < next.at).length).toBeGreaterThan(0)
    } finally {
      await p.close()
    }
  })

  it('shows an instance refusing public timelines as such and does not ask it again in a loop', async () => {
    const { p } = poller({ intervalMs: 200 })
    two.refuseTimelines(403)
    const since = two.requests.length
    p.start()
    try {
      await eventually(async () => (await t.deps.networkPostRepo.cursors(`mastodon:${two.host}:`)).filter((s) => s.status === 'refused').length === 2, 10_000, 'both timelines refused')
      const refused = two.requests.slice(since).length
      await sleep(1_500)
      expect(two.requests.slice(since).length).toBe(refused)
      const row = await t.deps.networkPostRepo.cursor(mastodonSource(two.host, 'tweetbottle'))
      expect(row!.lastError).toBe('HTTP 403')
      expect(row!.nextPollAt!.getTime()).toBeGreaterThan(Date.now() + 23 * 3_600_000)
    } finally {
      two.refuseTimelines(null)
      await p.close()
    }
  })

  it('updates an edited status and removes a deleted one when it re-checks them', async () => {
    // A round may re-check again as soon as the last one ended.
    const { p } = poller({ recheckIntervalMs: 0 })
    const edited = 'https://climat.social/users/zoe/statuses/1'
    const gone = 'https://elsewhere.example/users/x/statuses/3'
    // The network's change, whichever instance the post was first seen through.
    for (const m of [one, two]) {
      m.edit(edited, '<p>Act now, edited</p>')
      m.remove(gone)
    }
    await t.deps.pool.query('UPDATE network_posts SET checked_at = NULL')
    await recheckTurn()
    await p.round()
    const stored = await rows()
    expect(stored.map((r) => r.uri)).not.toContain(gone)
    expect(stored.find((r) => r.uri === edited)!.text).toBe('Act now, edited')
    expect((await t.deps.networkPostRepo.counts(c.id)).get('network|mastodon')).toBe(2)
  })

  it('keeps re-checking old statuses on a slower tier, most overdue first, and leaves an instance alone near its rate limit or on 429', async () => {
    await t.deps.pool.query('UPDATE network_posts SET checked_at = now()')
    one.setRemaining(300)
    const seed = async (name: string, ageDays: number, checkedHoursAgo: number) => {
      const uri = `https://climat.social/users/${name}/statuses/old`
      const id = one.add({ uri, tags: ['tweetbottle'], content: `<p>${name} #TweetBottle</p>`, acct: `${name}@climat.social` })
      const postedAt = new Date(Date.now() - ageDays * 86_400_000).toISOString()
      await t.deps.networkPostRepo.applyBatch({ inserts: [{ campaignId: c.id, network: 'mastodon', uri, url: uri, authorHandle: `${name}@climat.social`, authorName: name, text: name, language: 'en', postedAt, matchedTags: ['tweetbottle'], matchedTargets: [], sourceInstance: one.host, sourceId: id }] })
      await t.deps.pool.query('UPDATE network_posts SET checked_at = now() - make_interval(hours => $2) WHERE uri = $1', [uri, checkedHoursAgo])
      return { uri, id }
    }
    // 10 days old: asked every 6 hours. 30 days old: every day.
    const due6h = await seed('tenday', 10, 7)
    const fresh6h = await seed('tendayfresh', 10, 1)
    const due1d = await seed('month', 30, 30)
    const fresh1d = await seed('monthfresh', 30, 20)
    for (const p of [due6h, fresh6h, due1d, fresh1d]) one.remove(p.uri)
    const asked = () => one.requests.filter((r) => r.path.startsWith('/api/v1/statuses/')).map((r) => r.path.split('/').pop())
    const before = asked().length

    // Near the limit: one status is asked (the most overdue, the month-old one), then the instance is left for the round.
    one.setRemaining(60)
    // Re-checks only: no tag is polled in these rounds, so every request counted is a re-check.
    const { p } = poller({ campaigns: () => [], recheckIntervalMs: 0 })
    await recheckTurn()
    await p.round()
    expect(asked().slice(before)).toEqual([due1d.id])
    let uris = (await rows()).map((r) => r.uri)
    expect(uris).not.toContain(due1d.uri)
    expect(uris).toContain(due6h.uri)

    // A 429 leaves the status due: it is asked again next round, and removed then.
    one.setRemaining(300)
    one.limit(1, 1)
    await p.round()
    expect(asked().slice(before)).toEqual([due1d.id, due6h.id])
    expect((await rows()).map((r) => r.uri)).toContain(due6h.uri)
    await p.round()
    expect(asked().slice(before)).toEqual([due1d.id, due6h.id, due6h.id])
    uris = (await rows()).map((r) => r.uri)
    expect(uris).not.toContain(due6h.uri)
    // Not due yet: not asked, still stored (until their tier comes round).
    expect(uris).toEqual(expect.arrayContaining([fresh6h.uri, fresh1d.uri]))
  })

  it('asks each due status once when two workers run their re-check round at the same time', async () => {
    await t.deps.pool.query('UPDATE network_posts SET checked_at = now()')
    one.setRemaining(300)
    const ids: string[] = []
    for (let i = 0; i < 6; i++) {
      const uri = `https://climat.social/users/twice${i}/statuses/1`
      const id = one.add({ uri, tags: ['tweetbottle'], content: `<p>${i} #TweetBottle</p>`, acct: `twice${i}@climat.social` })
      await t.deps.networkPostRepo.applyBatch({ inserts: [{ campaignId: c.id, network: 'mastodon', uri, url: uri, authorHandle: `twice${i}@climat.social`, authorName: '', text: String(i), language: 'en', postedAt: new Date(Date.now() - 3_600_000).toISOString(), matchedTags: ['tweetbottle'], matchedTargets: [], sourceInstance: one.host, sourceId: id }] })
      ids.push(id)
    }
    await t.deps.pool.query('UPDATE network_posts SET checked_at = NULL WHERE uri LIKE $1', ['%/twice%'])
    const asked = () => one.requests.filter((r) => r.path.startsWith('/api/v1/statuses/')).map((r) => r.path.split('/').pop()!)
    const before = asked().length
    const a = poller({ campaigns: () => [], recheckIntervalMs: 0 }).p
    const b = poller({ campaigns: () => [], recheckIntervalMs: 0 }).p
    await recheckTurn()
    await Promise.all([a.round(), b.round()])
    expect(asked().slice(before).sort()).toEqual([...ids].sort())
  })
})
