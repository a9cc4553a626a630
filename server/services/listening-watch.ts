import type pg from 'pg'
import { instanceHost, normalizeAcct, normalizeTag, type WatchedCampaign } from '../domain/listening.ts'
import type { Handles } from '../db/schema.ts'
import { getJson } from '../infra/outbound.ts'

/** A campaign being listened to, with the Mastodon instances it watches. */
export interface ListenedCampaign extends WatchedCampaign { instances: string[] }

export type BlueskyDirectory = ReturnType<typeof createBlueskyDirectory>

const HANDLE_RE = /^[a-z0-9][a-z0-9.-]*\.[a-z]{2,}$/
const DID_RE = /^did:(plc|web):[a-z0-9._:%-]+$/

/**
 * Bluesky identities through the AppView: handles to DIDs with com.atproto.identity.resolveHandle (kept refreshMs, a
 * failure retried after retryMs), and authors' handles and names with app.bsky.actor.getProfiles (kept an hour).
 * (https://docs.bsky.app/docs/api/com-atproto-identity-resolve-handle, checked 2026-12-04)
 */
export function createBlueskyDirectory ({ appviewUrl, allowHosts, refreshMs = 6 * 3_600_000, retryMs = 5 * 60_000, timeoutMs = 5_000 }: {
  appviewUrl: string
  allowHosts: readonly string[]
  refreshMs?: number
  retryMs?: number
  timeoutMs?: number
}) {
  const dids = new Map<string, { did: string | null, until: number }>()
  const profiles = new Map<string, { handle: string, name: string, until: number }>()

  async function resolveHandle (handle: string): Promise<string | null> {
    const h = handle.trim().replace(/^@/, '').toLowerCase()
    if (DID_RE.test(h)) return h
    if (!HANDLE_RE.test(h)) return null
    const cached = dids.get(h)
    if (cached && cached.until > Date.now()) return cached.did
    try {
      const res = await getJson(`${appviewUrl}/xrpc/com.atproto.identity.resolveHandle?handle=${encodeURIComponent(h)}`, { allowHosts, timeoutMs })
      const did = (res.body as { did?: unknown } | null)?.did
      if (res.status === 200 && typeof did === 'string' && DID_RE.test(did)) {
        dids.set(h, { did, until: Date.now() + refreshMs })
        return did
      }
      // 400 "Unable to resolve handle": the handle does not exist (any more); asked again later.
      dids.set(h, { did: cached?.did ?? null, until: Date.now() + retryMs })
    } catch {
      dids.set(h, { did: cached?.did ?? null, until: Date.now() + retryMs })
    }
    return cached?.did ?? null
  }

  /** Handles and display names of some DIDs (a DID stands in for a handle that cannot be read). */
  async function authors (list: string[]): Promise<Map<string, { handle: string, name: string }>> {
    const out = new Map<string, { handle: string, name: string }>()
    const now = Date.now()
    const missing = [...new Set(list)].filter((d) => {
      const p = profiles.get(d)
      if (p && p.until > now) { out.set(d, p); return false }
      return true
    })
    // getProfiles takes 25 actors at most (lexicon app.bsky.actor.getProfiles, checked 2026-12-04).
    for (let i = 0; i < missing.length; i += 25) {
      const chunk = missing.slice(i, i + 25)
      try {
        const res = await getJson(`${appviewUrl}/xrpc/app.bsky.actor.getProfiles?${chunk.map((d) => `actors=${encodeURIComponent(d)}`).join('&')}`, { allowHosts, timeoutMs })
        const list = (res.body as { profiles?: Array<{ did?: unknown, handle?: unknown, displayName?: unknown }> } | null)?.profiles
        if (res.status === 200 && Array.isArray(list)) {
          for (const p of list) {
            if (typeof p.did !== 'string' || typeof p.handle !== 'string') continue
            const entry = { handle: p.handle, name: typeof p.displayName === 'string' ? p.displayName.slice(0, 200) : '', until: now + 3_600_000 }
            profiles.set(p.did, entry)
            out.set(p.did, entry)
          }
        }
      } catch {}
    }
    for (const d of list) if (!out.has(d)) out.set(d, { handle: d, name: '' })
    return out
  }

  return { resolveHandle, authors }
}

/**
 * What the listeners look for: every live or paused campaign's hashtags (all languages), its targets' Bluesky DIDs
 * and Mastodon handles, and its Mastodon instances. Read from PostgreSQL every refreshMs.
 */
export function createListeningWatch ({ pool, directory, refreshMs = 30_000, onError = () => {} }: {
  pool: pg.Pool
  directory: Pick<BlueskyDirectory, 'resolveHandle'>
  refreshMs?: number
  onError?: (err: Error) => void
}) {
  let current: ListenedCampaign[] = []
  let loaded = false
  const listeners = new Set<(w: ListenedCampaign[]) => void>()
  let timer: NodeJS.Timeout | null = null
  let loading: Promise<ListenedCampaign[]> | null = null

  async function read (): Promise<ListenedCampaign[]> {
    const res = await pool.query<{ id: string, tags: string[] | null, instances: string[], targets: Array<{ id: string, handles: Handles }> | null }>(
      `SELECT c.id, c.listening_instances AS instances,
         (SELECT array_agg(DISTINCT h) FROM campaign_texts t, unnest(t.hashtags) h WHERE t.campaign_id = c.id) AS tags,
         (SELECT json_agg(json_build_object('id', g.id, 'handles', g.handles)) FROM targets g WHERE g.campaign_id = c.id AND g.active) AS targets
       FROM campaigns c WHERE c.status IN ('live', 'paused') ORDER BY c.id`
    )
    const out: ListenedCampaign[] = []
    for (const r of res.rows) {
      const targets: WatchedCampaign['targets'] = []
      for (const t of r.targets ?? []) {
        const did = t.handles.bluesky ? await directory.resolveHandle(t.handles.bluesky) : null
        const mastodon = t.handles.mastodon ? normalizeAcct(t.handles.mastodon) : null
        if (did || mastodon) targets.push({ id: t.id, ...(did ? { did } : {}), ...(mastodon ? { mastodon } : {}) })
      }
      out.push({
        id: r.id,
        tags: [...new Set((r.tags ?? []).map(normalizeTag).filter(Boolean))],
        targets,
        instances: [...new Set(r.instances.map(instanceHost).filter((h): h is string => !!h))]
      })
    }
    return out
  }

  async function refresh (): Promise<ListenedCampaign[]> {
    loading ??= read().then((w) => {
      const changed = JSON.stringify(w) !== JSON.stringify(current)
      current = w
      loaded = true
      if (changed) for (const l of listeners) l(w)
      return w
    }).finally(() => { loading = null })
    return loading
  }

  return {
    /** The current list (empty before the first read). */
    get: (): ListenedCampaign[] => current,
    /** Whether the list was read at least once (before that, an empty list means "not known yet"). */
    isLoaded: (): boolean => loaded,
    /** Reads the list now. */
    refresh,
    /** Hears every change of the list. */
    onChange (fn: (w: ListenedCampaign[]) => void): void { listeners.add(fn) },
    /** Reads now, then every refreshMs. */
    async start (): Promise<void> {
      await refresh().catch((err: Error) => onError(err))
      timer ??= setInterval(() => { refresh().catch((err: Error) => onError(err)) }, refreshMs)
    },
    stop (): void {
      if (timer) clearInterval(timer)
      timer = null
    }
  }
}

export type ListeningWatch = ReturnType<typeof createListeningWatch>
