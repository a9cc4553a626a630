import pg from 'pg'
import WebSocket from 'ws'
import { blueskyPostUrl, matchBlueskyPost, rawPrefilter, type BlueskyPostRecord, type WatchedCampaign } from '../server/domain/listening.ts'
import { checkOutbound } from '../server/infra/outbound.ts'
import type { NetworkPostRepo, NewPost, StoredPost } from '../server/repos/network-post-repo.ts'
import type { BlueskyDirectory } from '../server/services/listening-watch.ts'

export const JETSTREAM_SOURCE = 'jetstream'
// Any fixed number: the advisory lock that lets exactly one worker hold the subscription.
const SUBSCRIPTION_LOCK = 7_411_203_615

const TIME_US_RE = /"time_us":(\d+)/
const POST_COLLECTION = 'app.bsky.feed.post'

/** What the team sees of the subscription on /admin/queues. */
export interface JetstreamState {
  holding: boolean
  connected: boolean
  /** time_us of the last event read (µs since the epoch) */
  lastTimeUs: number | null
  /** when the last message arrived (ms) */
  lastMessageAt: number | null
  reconnects: number
  lastError: string | null
}

interface Pending { did: string, rkey: string, timeUs: number, record: BlueskyPostRecord, matches: ReturnType<typeof matchBlueskyPost> }

/**
 * Follows Bluesky's Jetstream for the campaigns' hashtags and targets
 * (https://github.com/bluesky-social/jetstream#consuming-jetstream, checked 2026-12-04): JSON events with `time_us`,
 * `kind: "commit"` and create/delete operations, `wantedCollections=app.bsky.feed.post`, compression off, and a
 * `cursor` (time_us) to replay from. Exactly one process holds the subscription: a PostgreSQL advisory lock on a
 * dedicated connection, freed by the server the moment that process dies, so another takes over within lockPollMs.
 * Every message is first checked on its raw text; only a possible match or a known post's deletion is parsed. Writes
 * are batched every flushMs with the cursor they cover, in one transaction; a restart replays from the cursor minus
 * overlapUs, and the uri dedupes the overlap.
 */
export function createJetstreamConsumer ({ databaseUrl, repo, watch, directory, url, allowHosts, onPosts, onError, overlapUs = 2_000_000, flushMs = 100, lockPollMs = 1_000, stallMs = 60_000, maxBackoffMs = 60_000 }: {
  databaseUrl: string
  repo: Pick<NetworkPostRepo, 'applyBatch' | 'cursor' | 'saveCursor' | 'blueskyUris'>
  watch: { get: () => WatchedCampaign[], isLoaded: () => boolean, onChange: (fn: (w: WatchedCampaign[]) => void) => void }
  directory: Pick<BlueskyDirectory, 'authors'>
  url: string
  allowHosts: readonly string[]
  /** told of the posts stored and removed by each batch (the dashboards) */
  onPosts: (inserted: StoredPost[], deleted: StoredPost[]) => void
  onError: (key: string, message: string) => void
  overlapUs?: number
  flushMs?: number
  lockPollMs?: number
  stallMs?: number
  maxBackoffMs?: number
}) {
  const state: JetstreamState = { holding: false, connected: false, lastTimeUs: null, lastMessageAt: null, reconnects: 0, lastError: null }
  let stopped = false
  let lockClient: pg.Client | null = null
  let socket: WebSocket | null = null
  let prefilter = rawPrefilter(watch.get())
  let campaigns = watch.get()
  watch.onChange((w) => { campaigns = w; prefilter = rawPrefilter(w) })
  let known = new Set<string>()
  // Matching posts read and not yet committed (pending or in the batch being written).
  const unwritten = new Set<string>()

  let creates: Pending[] = []
  let deletes: string[] = []
  let flushTimer: NodeJS.Timeout | null = null
  let flushDue = 0
  let flushing: Promise<void> | null = null
  let committedUs: number | null = null
  let savedAt = 0
  let stallTimer: NodeJS.Timeout | null = null
  let retryTimer: NodeJS.Timeout | null = null
  let backoffMs = 1_000

  function fail (message: string): void {
    state.lastError = message
    onError('jetstream', `listening (Bluesky): ${message}`)
  }

  /** One message off the socket: cheap checks first, JSON only for a possible match or a known post's deletion. */
  function onMessage (data: WebSocket.RawData): void {
    state.lastMessageAt = Date.now()
    const raw = data.toString()
    const t = TIME_US_RE.exec(raw)
    if (!t) return
    const timeUs = Number(t[1])
    state.lastTimeUs = timeUs
    if (!raw.includes(POST_COLLECTION)) { schedule(); return }
    if (raw.includes('"operation":"delete"')) {
      if (known.size > 0 || unwritten.size > 0) {
        const e = parse(raw)
        const uri = e ? `at://${e.did}/${POST_COLLECTION}/${e.commit?.rkey}` : null
        // Stored, or read but not written yet (a replayed create just before its delete): the delete follows its insert.
        if (uri && (known.has(uri) || unwritten.has(uri))) deletes.push(uri)
      }
    } else if (raw.includes('"operation":"create"') && prefilter(raw)) {
      const e = parse(raw)
      const record = e?.commit?.record
      if (e && e.kind === 'commit' && e.commit?.collection === POST_COLLECTION && record && typeof e.commit.rkey === 'string' && typeof e.did === 'string') {
        const matches = matchBlueskyPost(record, campaigns)
        if (matches.length) {
          creates.push({ did: e.did, rkey: e.commit.rkey, timeUs, record, matches })
          unwritten.add(`at://${e.did}/${POST_COLLECTION}/${e.commit.rkey}`)
        }
      }
    }
    schedule()
  }

  function parse (raw: string): { did?: string, kind?: string, commit?: { collection?: string, rkey?: string, record?: BlueskyPostRecord } } | null {
    try { return JSON.parse(raw) } catch { return null }
  }

  // Writes go out every flushMs when there are some; the cursor alone is saved at most once a second.
  function schedule (): void {
    const now = Date.now()
    const due = now + (creates.length || deletes.length ? flushMs : Math.max(flushMs, 1_000 - (now - savedAt)))
    // A timer set for the cursor alone is brought forward when a post arrives.
    if (flushTimer && flushDue <= due) return
    if (flushTimer) clearTimeout(flushTimer)
    flushDue = due
    flushTimer = setTimeout(() => { flushTimer = null; flush().catch(() => {}) }, due - now)
  }

  async function flush (): Promise<void> {
    if (flushing) { await flushing; if (creates.length || deletes.length) schedule(); return }
    flushing = (async () => {
      const batch = creates
      const gone = deletes
      const upTo = state.lastTimeUs
      if (upTo === null || (batch.length === 0 && gone.length === 0 && upTo === committedUs)) return
      creates = []
      deletes = []
      try {
        const authors = batch.length ? await directory.authors(batch.map((p) => p.did)) : new Map<string, { handle: string, name: string }>()
        const inserts: NewPost[] = []
        for (const p of batch) {
          const author = authors.get(p.did) ?? { handle: p.did, name: '' }
          const text = typeof p.record.text === 'string' ? p.record.text.slice(0, 3000) : ''
          const langs = Array.isArray(p.record.langs) ? p.record.langs.filter((l): l is string => typeof l === 'string') : []
          for (const m of p.matches) {
            inserts.push({
              campaignId: m.campaignId,
              network: 'bluesky',
              uri: `at://${p.did}/${POST_COLLECTION}/${p.rkey}`,
              url: blueskyPostUrl(p.did, p.rkey),
              authorHandle: author.handle,
              authorName: author.name,
              text,
              language: langs[0]?.slice(0, 35) ?? null,
              // The time the network saw it (time_us): a post's own createdAt is set by its client.
              postedAt: new Date(Math.floor(p.timeUs / 1000)).toISOString(),
              matchedTags: m.tags,
              matchedTargets: m.targetIds
            })
          }
        }
        const { inserted, deleted } = await repo.applyBatch({
          inserts,
          deletes: gone,
          cursor: { source: JETSTREAM_SOURCE, cursor: String(upTo), status: 'ok', lastError: null, lastEventAt: new Date(Math.floor(upTo / 1000)) }
        })
        committedUs = upTo
        savedAt = Date.now()
        for (const p of inserted) known.add(p.uri)
        for (const p of batch) unwritten.delete(`at://${p.did}/${POST_COLLECTION}/${p.rkey}`)
        for (const p of deleted) known.delete(p.uri)
        if (inserted.length || deleted.length) onPosts(inserted, deleted)
      } catch (err) {
        // Not written: put the events back in front, the cursor stays where it was.
        creates = batch.concat(creates)
        deletes = gone.concat(deletes)
        fail(`writing posts failed: ${(err as Error).message}`)
      }
    })().finally(() => { flushing = null })
    return flushing
  }

  async function takeLock (): Promise<boolean> {
    if (lockClient) return true
    const client = new pg.Client({ connectionString: databaseUrl, keepAlive: true })
    client.on('error', (err) => {
      // The session holding the lock is gone: another worker may take it now, so this one stops reading.
      fail(`lock connection lost: ${err.message}`)
      if (lockClient === client) lockClient = null
      state.holding = false
      drop()
    })
    try {
      await client.connect()
      const res = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [SUBSCRIPTION_LOCK])
      if (res.rows[0]?.ok) {
        lockClient = client
        state.holding = true
        return true
      }
    } catch (err) {
      fail(`lock: ${(err as Error).message}`)
    }
    await client.end().catch(() => {})
    return false
  }

  function drop (): void {
    if (stallTimer) clearInterval(stallTimer)
    stallTimer = null
    if (socket) {
      socket.removeAllListeners('message')
      socket.terminate()
    }
  }

  function later (ms: number): void {
    if (stopped || retryTimer) return
    retryTimer = setTimeout(() => { retryTimer = null; run().catch((err: Error) => fail(err.message)) }, ms)
  }

  async function run (): Promise<void> {
    if (stopped) return
    // Reading before the campaigns are known would let the cursor pass matching posts by.
    if (!watch.isLoaded()) { later(lockPollMs); return }
    if (!(await takeLock())) { later(lockPollMs); return }
    if (stopped) return
    known = new Set(await repo.blueskyUris())
    const saved = await repo.cursor(JETSTREAM_SOURCE)
    const from = saved?.cursor ? Math.max(0, Number(saved.cursor) - overlapUs) : null
    committedUs = saved?.cursor ? Number(saved.cursor) : null
    const target = new URL(url)
    target.searchParams.set('wantedCollections', POST_COLLECTION)
    if (from !== null) target.searchParams.set('cursor', String(from))
    let checked: ReturnType<typeof checkOutbound>
    try {
      checked = checkOutbound(target.toString(), allowHosts)
    } catch (err) {
      // The status is stored before the error is reported, so whoever reads it after the report sees 'refused'.
      await repo.saveCursor({ source: JETSTREAM_SOURCE, status: 'refused', lastError: (err as Error).message }).catch(() => {})
      fail((err as Error).message)
      later(maxBackoffMs)
      return
    }
    const ws = new WebSocket(checked.url, { lookup: checked.lookup as never, perMessageDeflate: false, handshakeTimeout: 10_000, maxPayload: 4 * 1024 * 1024 })
    socket = ws
    ws.on('open', () => {
      state.connected = true
      state.lastMessageAt = Date.now()
      repo.saveCursor({ source: JETSTREAM_SOURCE, status: 'ok', lastError: null }).catch(() => {})
      // A stream that goes silent (a stuck proxy) is dropped and opened again from the cursor.
      stallTimer = setInterval(() => {
        if (Date.now() - (state.lastMessageAt ?? 0) > stallMs) {
          fail(`no event for ${Math.round(stallMs / 1000)} s, reconnecting`)
          drop()
        }
      }, Math.min(stallMs, 5_000))
      setTimeout(() => { if (socket === ws && state.connected) backoffMs = 1_000 }, 60_000).unref()
    })
    ws.on('message', onMessage)
    ws.on('error', (err) => fail(err.message))
    ws.on('close', () => {
      if (socket !== ws) return
      socket = null
      state.connected = false
      if (stallTimer) clearInterval(stallTimer)
      stallTimer = null
      if (stopped) return
      state.reconnects++
      // What was read is written before reconnecting, so the new cursor covers it.
      flush().catch(() => {}).finally(() => {
        repo.saveCursor({ source: JETSTREAM_SOURCE, status: 'reconnecting', lastError: state.lastError }).catch(() => {})
        later(backoffMs)
        backoffMs = Math.min(backoffMs * 2, maxBackoffMs)
      })
    })
  }

  return {
    state,
    /** Starts trying to hold the subscription (returns at once). */
    start (): void {
      stopped = false
      run().catch((err: Error) => { fail(err.message); later(lockPollMs) })
    },
    /** Stops reading, writes what was read, and frees the subscription for another worker. */
    async close (): Promise<void> {
      stopped = true
      if (retryTimer) clearTimeout(retryTimer)
      if (flushTimer) clearTimeout(flushTimer)
      drop()
      await flush().catch(() => {})
      if (lockClient) {
        const c = lockClient
        lockClient = null
        state.holding = false
        await c.end().catch(() => {})
      }
    }
  }
}
