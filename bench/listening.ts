// Listening: the Jetstream consumer filtering a generated firehose (one post in a thousand matching).
// Throughput against a naive consumer (JSON.parse and match every event) in the same process, back to back; then
// a fixed 5,000 events/s, timing each matching post from its send to its arrival on the dashboard's event stream.
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { performance } from 'node:perf_hooks'
import WebSocket, { WebSocketServer } from 'ws'
import { createJetstreamConsumer } from '../jobs/jetstream-consumer.ts'
import { announcePosts } from '../jobs/listening.ts'
import { loadConfig } from '../server/config.ts'
import { createDb, runMigrations } from '../server/db/client.ts'
import { createDeps } from '../server/deps.ts'
import { matchBlueskyPost, type BlueskyPostRecord } from '../server/domain/listening.ts'
import { createBlueskyDirectory, createListeningWatch } from '../server/services/listening-watch.ts'
import { startFakeAppview } from '../test/fakes/appview.ts'
import { log } from './compare.ts'
import type { BenchOptions } from './options.ts'
import { cleanRedisPrefix, databaseUrl, dropDatabase, recreateDatabase, redisUrl } from './scratch.ts'
import { percentiles, type Percentiles } from './stats.ts'

export interface ListeningResult {
  events: number
  /** events per second our consumer read (prefilter, parse and match a possible one, batch writes) */
  eventsPerSecond: number
  /** the same events through a naive consumer: JSON.parse and match every one */
  naivePerSecond: number
  rate: number
  durationS: number
  matching: number
  seen: number
  /** send → the post on the dashboard's event stream */
  latency: Percentiles & { max: number }
  pass: boolean
}

const DB = 'bouteille_bench_listening'
const TAG = 'benchbouteille'
const WORDS = 'climate bottle delegates summit ocean forest energy policy justice future vote people planet coal solar wind rivers cities'.split(' ')
const OTHER_TAGS = ['news', 'art', 'cop30', 'music', 'photography', 'science', 'politics', 'bookstodon']

/** A Jetstream post event as raw JSON (~0.6–1 kB, like the real ones); `tag` adds that hashtag as a facet. */
function postEvent (i: number, timeUs: number, text: string, tag: string | null): string {
  const did = `did:plc:${(i * 7919).toString(36).padStart(24, 'a')}`
  const facets = tag ? [{ index: { byteStart: text.length + 1, byteEnd: text.length + 2 + tag.length }, features: [{ $type: 'app.bsky.richtext.facet#tag', tag }] }] : undefined
  const record = { $type: 'app.bsky.feed.post', createdAt: new Date(timeUs / 1000).toISOString(), langs: ['en'], text: tag ? `${text} #${tag}` : text, ...(facets ? { facets } : {}) }
  return JSON.stringify({ did, time_us: timeUs, kind: 'commit', commit: { rev: `3l${i.toString(36)}`, operation: 'create', collection: 'app.bsky.feed.post', rkey: `3k${i.toString(36)}x`, record, cid: `bafyreib${randomBytes(20).toString('hex')}` } })
}

function sentence (i: number): string {
  let s = ''
  for (let k = 0; k < 12 + (i % 25); k++) s += `${WORDS[(i * 31 + k * 7) % WORDS.length]} `
  return s.trim()
}

/** A generated firehose: `n` events from time_us `startUs`, every 1000th carrying the campaign's tag, a tenth other tags. */
function firehose (n: number, startUs: number, from = 0): { raw: string[], matching: Map<string, number>, lastUs: number } {
  const raw: string[] = []
  const matching = new Map<string, number>()
  for (let k = 0; k < n; k++) {
    const i = from + k
    const match = i % 1000 === 500
    const text = match ? `bench-post-${i} ${sentence(i)}` : sentence(i)
    if (match) matching.set(`bench-post-${i}`, k)
    raw.push(postEvent(i, startUs + k, text, match ? TAG : i % 10 === 0 ? OTHER_TAGS[i % OTHER_TAGS.length]! : null))
  }
  return { raw, matching, lastUs: startUs + n - 1 }
}

/** Sends messages without letting the socket's buffer grow past a few MB. */
async function sendAll (ws: WebSocket, raw: string[]): Promise<void> {
  for (let i = 0; i < raw.length; i++) {
    ws.send(raw[i]!)
    if (ws.bufferedAmount > 4_000_000) while (ws.bufferedAmount > 1_000_000) await new Promise((resolve) => setTimeout(resolve, 1))
  }
}

/** Runs the listening measurement on its own scratch database and Redis prefix. */
export async function listeningScenario (opts: BenchOptions): Promise<ListeningResult> {
  await recreateDatabase(DB)
  const url = databaseUrl(DB)
  const { pool: migratePool } = createDb(url, 1)
  await runMigrations(migratePool)
  await migratePool.end()
  const prefix = `bench-listen-${randomBytes(3).toString('hex')}`
  const appview = await startFakeAppview([])
  // The generator: a WebSocket server at /subscribe; each connection is handed to whoever sends.
  const server = createServer()
  const wss = new WebSocketServer({ server, path: '/subscribe' })
  wss.on('error', () => {})
  let connected: ((ws: WebSocket) => void) | null = null
  wss.on('connection', (ws) => { ws.on('error', () => {}); connected?.(ws) })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const jetUrl = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/subscribe`
  const nextConnection = () => new Promise<WebSocket>((resolve) => { connected = resolve })

  const config = loadConfig({ DATABASE_URL: url, REDIS_URL: redisUrl(), REDIS_PREFIX: prefix, LOG_LEVEL: 'silent', SECRET: randomBytes(32).toString('hex'), LISTENING: 'off', OUTBOUND_ALLOW_HOSTS: '127.0.0.1', JETSTREAM_URL: jetUrl, BLUESKY_APPVIEW_URL: appview.url, SEED_DEMO: 'false' })
  const deps = await createDeps({ ...config, databaseUrl: url }, { info: () => {}, warn: () => {}, error: () => {} })
  const cleanup = async () => {
    await deps.close()
    wss.close()
    server.close()
    await appview.close()
    await cleanRedisPrefix(prefix)
    await dropDatabase(DB)
  }
  try {
    const { rows: [campaign] } = await deps.pool.query<{ id: string }>("INSERT INTO campaigns (slug, status, listening_instances) VALUES ('bench-listening', 'live', '{}') RETURNING id")
    await deps.pool.query("INSERT INTO campaign_texts (campaign_id, locale, title, pitch, call_to_action, hashtags) VALUES ($1, 'en', 'Bench', 'p', 'c', $2)", [campaign!.id, [TAG]])
    const directory = createBlueskyDirectory({ appviewUrl: appview.url, allowHosts: ['127.0.0.1'] })
    const watch = createListeningWatch({ pool: deps.pool, directory })
    await watch.start()

    const events = opts.quick ? 50_000 : 200_000
    const startUs = Date.now() * 1000

    // 1. The naive consumer: JSON.parse and match every event.
    const naiveHose = firehose(events, startUs)
    const naive = new WebSocket(jetUrl)
    const naiveSide = nextConnection()
    await new Promise((resolve, reject) => { naive.once('open', resolve); naive.once('error', reject) })
    let naiveLast = 0
    let naiveMatched = 0
    const campaigns = watch.get()
    naive.on('message', (data) => {
      const e = JSON.parse(data.toString()) as { time_us: number, commit?: { record?: BlueskyPostRecord } }
      if (e.commit?.record && matchBlueskyPost(e.commit.record, campaigns).length) naiveMatched++
      naiveLast = e.time_us
    })
    const naiveWs = await naiveSide
    let t0 = performance.now()
    await sendAll(naiveWs, naiveHose.raw)
    while (naiveLast !== naiveHose.lastUs) await new Promise((resolve) => setTimeout(resolve, 5))
    const naivePerSecond = events / ((performance.now() - t0) / 1000)
    naive.close()
    log(`  naive consumer: ${Math.round(naivePerSecond)} events/s (${naiveMatched} matched)`)

    // 2. Ours, throughput: the same number of events as fast as it takes them.
    const ours = createJetstreamConsumer({
      databaseUrl: url, repo: deps.networkPostRepo, watch, directory, url: jetUrl, allowHosts: ['127.0.0.1'], onPosts: (i, d) => announcePosts(deps, i, d), onError: () => {}
    })
    const oursSide = nextConnection()
    ours.start()
    const oursWs = await oursSide
    const hose = firehose(events, startUs + events, events)
    t0 = performance.now()
    await sendAll(oursWs, hose.raw)
    while (ours.state.lastTimeUs !== hose.lastUs) await new Promise((resolve) => setTimeout(resolve, 5))
    const eventsPerSecond = events / ((performance.now() - t0) / 1000)
    log(`  our consumer: ${Math.round(eventsPerSecond)} events/s`)

    // 3. A fixed 5,000 events/s: each matching post timed from its send to the dashboard's event stream.
    const rate = 5_000
    const durationS = opts.quick ? 5 : 15
    const paced = firehose(rate * durationS, startUs + 2 * events, 2 * events)
    const sentAt = new Map<string, number>()
    const latencies: number[] = []
    await deps.dashboardHub.get(campaign!.id)
    const unsubscribe = deps.dashboardHub.subscribe(campaign!.id, {
      write: (frame) => {
        const now = performance.now()
        for (const m of frame.matchAll(/bench-post-(\d+)/g)) {
          const key = m[0]
          const at = sentAt.get(key)
          if (at !== undefined) { latencies.push(now - at); sentAt.delete(key) }
        }
        return true
      },
      end: () => {}
    })
    const tick = 10
    const perTick = (rate * tick) / 1000
    const started = performance.now()
    for (let i = 0; i < paced.raw.length; i += perTick) {
      const due = started + (i / rate) * 1000
      const wait = due - performance.now()
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
      for (let k = i; k < Math.min(i + perTick, paced.raw.length); k++) {
        const raw = paced.raw[k]!
        const m = /bench-post-\d+/.exec(raw)
        if (m) sentAt.set(m[0], performance.now())
        oursWs.send(raw)
      }
    }
    const matching = paced.matching.size
    const until = performance.now() + 5_000
    while (latencies.length < matching && performance.now() < until) await new Promise((resolve) => setTimeout(resolve, 20))
    unsubscribe()
    await ours.close()
    watch.stop()
    const p = percentiles(latencies)
    const max = latencies.length ? Math.max(...latencies) : Number.NaN
    log(`  at ${rate}/s: ${latencies.length} of ${matching} matching posts on the dashboard stream, p50 ${p.p50.toFixed(0)} ms, max ${max.toFixed(0)} ms`)
    return {
      events,
      eventsPerSecond,
      naivePerSecond,
      rate,
      durationS,
      matching,
      seen: latencies.length,
      latency: { ...p, max },
      pass: eventsPerSecond >= 5_000 && latencies.length === matching && max < 1_000
    }
  } finally {
    await cleanup()
  }
}
