import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { createJetstreamConsumer, JETSTREAM_SOURCE } from '../../jobs/jetstream-consumer.ts'
import { announcePosts } from '../../jobs/listening.ts'
import { createBlueskyDirectory, createListeningWatch } from '../../server/services/listening-watch.ts'
import { startFakeAppview } from '../fakes/appview.ts'
import { postRecord, startFakeJetstream } from '../fakes/jetstream.ts'
import { buildTestDeps, eventually, seedCampaign, testEnv, type SeededCampaign } from '../helper.ts'

const BIN = fileURLToPath(new URL('../../server/bin.js', import.meta.url))
const ALICE = { handle: 'alice.bsky.social', did: 'did:plc:aliceaaaaaaaaaaaaaaaaaaa', displayName: 'Alice Martin' }
const BDUBE = { handle: 'bdube.bsky.social', did: 'did:plc:bdubebbbbbbbbbbbbbbbbbbb' }
const FAN = { handle: 'fan.bsky.social', did: 'did:plc:fanfffffffffffffffffffff', displayName: 'A supporter' }

describe('listening on Bluesky (Jetstream)', () => {
  let t: Awaited<ReturnType<typeof buildTestDeps>>
  let jet: Awaited<ReturnType<typeof startFakeJetstream>>
  let appview: Awaited<ReturnType<typeof startFakeAppview>>
  let c: SeededCampaign
  const cleanups: Array<() => Promise<void> | void> = []

  beforeAll(async () => {
    jet = await startFakeJetstream()
    appview = await startFakeAppview([ALICE, BDUBE, FAN])
    t = await buildTestDeps({ OUTBOUND_ALLOW_HOSTS: '127.0.0.1', JETSTREAM_URL: jet.url, BLUESKY_APPVIEW_URL: appview.url })
    c = await seedCampaign(t.deps)
    // No Mastodon instance: a worker started here must not reach the real network.
    await t.deps.pool.query("UPDATE campaigns SET listening_instances = '{}'")
  })
  afterAll(async () => {
    for (const fn of cleanups.reverse()) await fn()
    await t.close()
    await jet.close()
    await appview.close()
  })

  function consumer (opts: { lockPollMs?: number } = {}) {
    const directory = createBlueskyDirectory({ appviewUrl: appview.url, allowHosts: ['127.0.0.1'] })
    const watch = createListeningWatch({ pool: t.deps.pool, directory })
    const errors: string[] = []
    const jc = createJetstreamConsumer({
      databaseUrl: t.databaseUrl,
      repo: t.deps.networkPostRepo,
      watch,
      directory,
      url: jet.url,
      allowHosts: ['127.0.0.1'],
      onPosts: (i, d) => announcePosts(t.deps, i, d),
      onError: (_k, m) => errors.push(m),
      lockPollMs: opts.lockPollMs ?? 200
    })
    return {
      jc,
      errors,
      async start () { await watch.start(); jc.start() },
      async close () { watch.stop(); await jc.close() }
    }
  }

  const posts = async (campaignId = c.id) => (await t.deps.pool.query<{ uri: string, matched_tags: string[], matched_targets: string[], author_handle: string, author_name: string, text: string, url: string }>(
    'SELECT uri, matched_tags, matched_targets, author_handle, author_name, text, url FROM network_posts WHERE campaign_id = $1 ORDER BY id', [campaignId])).rows
  const count = async (dimension: string, key: string) => (await t.deps.networkPostRepo.counts(c.id)).get(`${dimension}|${key}`) ?? 0

  it('subscribes to posts only, matches by tag (any case) and by a mention of a target, and removes a deleted post', async () => {
    const a = consumer()
    cleanups.push(() => a.close())
    await a.start()
    await eventually(async () => jet.clients() === 1, 10_000, 'the subscription')
    expect(jet.connections.at(-1)).toMatchObject({ collections: ['app.bsky.feed.post'], compress: null })

    jet.post(FAN.did, 'tag1', postRecord('Pour le climat', { tags: ['TweetBouteille'] }))
    jet.post(FAN.did, 'noise1', postRecord('Rien à voir', { tags: ['cuisine'] }))
    // The words alone do not match: only a tag facet or a mention facet does.
    jet.post(FAN.did, 'noise2', postRecord(`tweetbouteille ${ALICE.did}`))
    jet.post(FAN.did, 'ment1', postRecord('Please act', { mentions: [ALICE] }))
    jet.emit({ did: FAN.did, kind: 'commit', commit: { rev: 'l', operation: 'create', collection: 'app.bsky.feed.like', rkey: 'like1', record: { subject: 'x' } } })
    await eventually(async () => (await posts()).length === 2, 10_000, 'two matching posts')
    const [tagged, mention] = await posts()
    expect(tagged).toMatchObject({ uri: `at://${FAN.did}/app.bsky.feed.post/tag1`, matched_tags: ['tweetbouteille'], matched_targets: [], author_handle: FAN.handle, author_name: 'A supporter', url: `https://bsky.app/profile/${encodeURIComponent(FAN.did)}/post/tag1` })
    expect(tagged!.text).toBe('Pour le climat #TweetBouteille')
    expect(mention).toMatchObject({ matched_targets: [c.targets[0]!.id], matched_tags: [] })
    expect(await count('total', '')).toBe(2)
    expect(await count('network', 'bluesky')).toBe(2)
    expect(await count('target', c.targets[0]!.id)).toBe(1)

    jet.remove(FAN.did, 'tag1')
    jet.remove(FAN.did, 'never-stored')
    await eventually(async () => (await posts()).length === 1, 10_000, 'the deleted post removed')
    expect((await posts())[0]!.uri).toBe(`at://${FAN.did}/app.bsky.feed.post/ment1`)
    expect(await count('total', '')).toBe(1)
    expect(await count('network', 'bluesky')).toBe(1)
    // The counters are exact: a rebuild from the rows gives the same.
    const before = await t.deps.networkPostRepo.counts(c.id)
    await t.deps.networkPostRepo.rebuildCounts(c.id)
    expect([...(await t.deps.networkPostRepo.counts(c.id))].filter(([, n]) => n !== 0).sort()).toEqual([...before].filter(([, n]) => n !== 0).sort())

    // The cursor is stored with the writes.
    const cursor = await t.deps.networkPostRepo.cursor(JETSTREAM_SOURCE)
    await eventually(async () => Number((await t.deps.networkPostRepo.cursor(JETSTREAM_SOURCE))?.cursor) === jet.log.at(-1)!.time_us, 5_000, 'the cursor at the last event')
    expect(cursor?.status).toBe('ok')
    await a.close()
  })

  it('carries a new post on the dashboard\'s event stream', async () => {
    await t.deps.dashboardHub.get(c.id)
    const frames: string[] = []
    const unsubscribe = t.deps.dashboardHub.subscribe(c.id, { write: (chunk) => { frames.push(chunk); return true }, end: () => {} })
    const a = consumer()
    try {
      await a.start()
      await eventually(async () => jet.clients() === 1, 10_000, 'the subscription')
      jet.post(FAN.did, 'live1', postRecord('Live from the stream', { tags: ['tweetbottle'] }))
      const frame = await eventually(async () => frames.find((f) => f.includes('Live from the stream')), 10_000, 'the post on the dashboard stream')
      const doc = JSON.parse(frame.split('data: ')[1]!)
      expect(doc.networks.feed[0]).toMatchObject({ network: 'bluesky', authorHandle: FAN.handle, text: 'Live from the stream #tweetbottle' })
      expect(doc.networks.byNetwork.find((n: { network: string }) => n.network === 'bluesky').posts).toBe(2)
      expect(doc.networks.byNetwork.find((n: { network: string }) => n.network === 'x').posts).toBeNull()
    } finally {
      unsubscribe()
      await a.close()
    }
  })

  it('lets exactly one worker hold the subscription; another takes over and replays what it missed from the cursor', async () => {
    const a = consumer()
    const b = consumer()
    cleanups.push(() => a.close(), () => b.close())
    await a.start()
    await eventually(async () => a.jc.state.connected, 10_000, 'the first worker connected')
    await b.start()
    await new Promise((resolve) => setTimeout(resolve, 800))
    expect(b.jc.state.holding).toBe(false)
    expect(jet.clients()).toBe(1)

    await a.close()
    // Posted while nobody listens: the next holder reads it from the cursor.
    jet.post(FAN.did, 'gap1', postRecord('While nobody listened', { tags: ['tweetbottle'] }))
    await eventually(async () => b.jc.state.connected, 10_000, 'the second worker took over')
    expect(jet.clients()).toBe(1)
    expect(jet.connections.at(-1)!.cursor).not.toBeNull()
    await eventually(async () => (await posts()).some((p) => p.uri.endsWith('/gap1')), 10_000, 'the missed post')
    await b.close()
  })

  it('resumes from its cursor after a worker is killed mid-stream: nothing missed, nothing counted twice', async () => {
    const env = {
      ...process.env,
      ...testEnv(t.databaseUrl, t.prefix, { LISTENING: 'on', JETSTREAM_URL: jet.url, BLUESKY_APPVIEW_URL: appview.url, OUTBOUND_ALLOW_HOSTS: '127.0.0.1', SEED_DEMO: 'false', DB_POOL_SIZE: '4' })
    }
    const children: ChildProcess[] = []
    onTestFinished(() => { for (const child of children) child.kill('SIGKILL') })
    const startWorker = (): ChildProcess => {
      const child = spawn(process.execPath, [BIN, 'start', 'worker'], { env, stdio: 'ignore' })
      children.push(child)
      return child
    }
    const already = (await t.deps.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM network_posts WHERE campaign_id = $1', [c.id])).rows[0]!.n
    const first = startWorker()
    await eventually(async () => jet.clients() === 1, 30_000, 'the worker subscribed')

    // A steady stream: one post in five matches; the worker is killed in the middle of it.
    let sent = 0
    let matching = 0
    const pump = async (n: number) => {
      for (let i = 0; i < n; i++, sent++) {
        const match = sent % 5 === 0
        if (match) matching++
        jet.post(FAN.did, `k${sent}`, postRecord(`post ${sent}`, { tags: [match ? 'tweetbottle' : 'weather'] }))
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
    }
    await pump(150)
    first.kill('SIGKILL')
    await pump(150)
    const second = startWorker()
    await eventually(async () => jet.clients() === 1, 30_000, 'the new worker subscribed')
    await pump(100)
    await eventually(async () => {
      const { rows } = await t.deps.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM network_posts WHERE campaign_id = $1 AND uri LIKE '%/k%'", [c.id])
      return rows[0]!.n === matching
    }, 20_000, `all ${matching} matching posts stored`)
    // Replayed events (the overlap) found their posts stored: still one row each, and the counters agree.
    await new Promise((resolve) => setTimeout(resolve, 1_500))
    const { rows } = await t.deps.pool.query<{ n: number, d: number }>("SELECT count(*)::int AS n, count(DISTINCT uri)::int AS d FROM network_posts WHERE campaign_id = $1 AND uri LIKE '%/k%'", [c.id])
    expect(rows[0]).toEqual({ n: matching, d: matching })
    const { rows: [all] } = await t.deps.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM network_posts WHERE campaign_id = $1', [c.id])
    expect(all!.n).toBe(already + matching)
    expect(await count('total', '')).toBe(all!.n)
    // The second worker asked Jetstream to replay from the stored cursor.
    expect(Number(jet.connections.at(-1)!.cursor)).toBeGreaterThan(0)
    second.kill('SIGKILL')
    await new Promise((resolve) => second.once('exit', resolve))
  }, 90_000)

  it('refuses a plain ws:// Jetstream that is not in OUTBOUND_ALLOW_HOSTS, and says so', async () => {
    const directory = createBlueskyDirectory({ appviewUrl: appview.url, allowHosts: [] })
    const watch = createListeningWatch({ pool: t.deps.pool, directory })
    await watch.start()
    const errors: string[] = []
    const before = jet.connections.length
    const jc = createJetstreamConsumer({
      databaseUrl: t.databaseUrl, repo: t.deps.networkPostRepo, watch, directory, url: jet.url, allowHosts: [], onPosts: () => {}, onError: (_k, m) => errors.push(m), lockPollMs: 200
    })
    jc.start()
    try {
      await eventually(async () => errors.some((e) => /ws:\/\/ to 127\.0\.0\.1:\d+ is refused/.test(e)), 10_000, 'the refusal')
      expect(jet.connections.length).toBe(before)
      expect((await t.deps.networkPostRepo.cursor(JETSTREAM_SOURCE))?.status).toBe('refused')
    } finally {
      watch.stop()
      await jc.close()
    }
  })
})
