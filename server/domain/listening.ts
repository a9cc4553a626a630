import ipaddr from 'ipaddr.js'

/** What one campaign listens for: its hashtags (normalised) and its targets with their network identities. */
export interface WatchedCampaign {
  id: string
  tags: string[]
  targets: Array<{ id: string, did?: string, mastodon?: string }>
}

/** One campaign a post matched, with why. */
export interface PostMatch { campaignId: string, tags: string[], targetIds: string[] }

/**
 * A hashtag as Bluesky compares it: without its '#', lower-cased. The facet's `tag` carries no '#' (lexicon
 * app.bsky.richtext.facet#tag), and Bluesky's own client compares tags with toLowerCase()
 * (https://github.com/bluesky-social/atproto/blob/main/packages/api/src/moderation/mutewords.ts, checked 2026-12-04).
 * Mastodon's tag names are case-insensitive too (https://docs.joinmastodon.org/entities/Tag/, checked 2026-12-04).
 */
export function normalizeTag (tag: string): string {
  return tag.trim().replace(/^[#＃]+/, '').toLowerCase()
}

/** A Mastodon handle as `user@host`, lower-cased, or null when it is not one. */
export function normalizeAcct (handle: string, localHost?: string): string | null {
  const h = handle.trim().replace(/^@/, '').toLowerCase()
  const m = /^([a-z0-9_.-]+)(?:@([a-z0-9.-]+\.[a-z]{2,}|[a-z0-9.-]+:\d+))?$/.exec(h)
  if (!m) return null
  const host = m[2] ?? localHost?.toLowerCase()
  return host ? `${m[1]}@${host}` : null
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/**
 * The cheap test run on a Jetstream message's raw text before any JSON work: could it carry one of these tags
 * (anywhere, any case) or mention one of these DIDs? False means it certainly matches nothing.
 */
export function rawPrefilter (watch: WatchedCampaign[]): (raw: string) => boolean {
  const tags = [...new Set(watch.flatMap((c) => c.tags))].filter(Boolean)
  const dids = [...new Set(watch.flatMap((c) => c.targets.map((t) => t.did)).filter((d): d is string => !!d))]
  if (tags.length === 0 && dids.length === 0) return () => false
  // 'i' without 'u': several times faster on every event, and still folds the case of every letter of the Basic
  // Multilingual Plane (a prefilter may let a few more through; matchBlueskyPost decides).
  const tagRe = tags.length ? new RegExp(tags.map(escapeRe).join('|'), 'i') : null
  return (raw) => {
    for (const did of dids) if (raw.includes(did)) return true
    return tagRe !== null && tagRe.test(raw)
  }
}

interface BlueskyFacet { features?: Array<{ $type?: string, tag?: unknown, did?: unknown }> }
/** The part of an app.bsky.feed.post record matching reads. */
export interface BlueskyPostRecord { text?: unknown, facets?: unknown, tags?: unknown, langs?: unknown, createdAt?: unknown }

/** The campaigns a Bluesky post matches: by tag facet or outline tag, or by a mention facet of a target's DID. */
export function matchBlueskyPost (record: BlueskyPostRecord, watch: WatchedCampaign[]): PostMatch[] {
  const tags = new Set<string>()
  const mentions = new Set<string>()
  if (Array.isArray(record.facets)) {
    for (const facet of record.facets as BlueskyFacet[]) {
      if (!facet || !Array.isArray(facet.features)) continue
      for (const f of facet.features) {
        if (f?.$type === 'app.bsky.richtext.facet#tag' && typeof f.tag === 'string') tags.add(normalizeTag(f.tag))
        else if (f?.$type === 'app.bsky.richtext.facet#mention' && typeof f.did === 'string') mentions.add(f.did)
      }
    }
  }
  // Outline tags: the post's `tags` field, hashtags not written in the text (lexicon app.bsky.feed.post).
  if (Array.isArray(record.tags)) for (const t of record.tags) if (typeof t === 'string') tags.add(normalizeTag(t))
  const out: PostMatch[] = []
  for (const c of watch) {
    const matchedTags = c.tags.filter((t) => tags.has(t))
    const targetIds = c.targets.filter((t) => t.did && mentions.has(t.did)).map((t) => t.id)
    if (matchedTags.length || targetIds.length) out.push({ campaignId: c.id, tags: matchedTags, targetIds })
  }
  return out
}

/** The part of a Mastodon Status entity matching reads (https://docs.joinmastodon.org/entities/Status/, checked 2026-12-04). */
export interface MastodonStatus {
  id: string
  uri: string
  url?: string | null
  created_at: string
  edited_at?: string | null
  content: string
  language?: string | null
  visibility?: string
  reblog?: unknown
  account: { acct: string, display_name?: string, username?: string }
  tags?: Array<{ name: string }>
  mentions?: Array<{ acct: string }>
}

/** The campaigns a Mastodon status matches, by tag or by a mention of a target; `instance` resolves local accts. */
export function matchMastodonStatus (status: MastodonStatus, instance: string, watch: WatchedCampaign[]): PostMatch[] {
  const tags = new Set((status.tags ?? []).map((t) => normalizeTag(t.name)))
  const mentions = new Set((status.mentions ?? []).map((m) => normalizeAcct(m.acct, instance)).filter((a): a is string => !!a))
  const out: PostMatch[] = []
  for (const c of watch) {
    const matchedTags = c.tags.filter((t) => tags.has(t))
    const targetIds = c.targets.filter((t) => t.mastodon && mentions.has(t.mastodon)).map((t) => t.id)
    if (matchedTags.length || targetIds.length) out.push({ campaignId: c.id, tags: matchedTags, targetIds })
  }
  return out
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' }

/** A status's HTML content as plain text: paragraphs and line breaks kept, tags dropped, entities decoded. */
export function statusText (html: string): string {
  return html
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/p>\s*<p[^>]*>/gi, '\n\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, e: string) => {
      if (e[0] === '#') {
        const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10)
        return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole
      }
      return ENTITIES[e.toLowerCase()] ?? whole
    })
    .trim()
}

/** The public web page of a Bluesky post (bsky.app accepts a DID in place of the handle). */
export function blueskyPostUrl (did: string, rkey: string): string {
  return `https://bsky.app/profile/${encodeURIComponent(did)}/post/${encodeURIComponent(rkey)}`
}

/** Whether a Mastodon status id sorts after another (ids are numeric strings: longer is newer, then by digits). */
export function newerId (a: string, b: string | null): boolean {
  if (b === null) return true
  return a.length !== b.length ? a.length > b.length : a > b
}

/**
 * When an instance may be asked again, from its answer. Mastodon's rate-limit headers: X-RateLimit-Remaining and
 * X-RateLimit-Reset (an ISO 8601 time) (https://docs.joinmastodon.org/api/rate-limits/, checked 2026-12-04); a 429 or
 * 503 may carry Retry-After, in seconds or an HTTP date (RFC 9110 §10.2.3). Errors back off exponentially.
 */
export function nextPollAt ({ status, headers, now, intervalMs, failures }: {
  status: number
  headers: Record<string, string | undefined>
  now: number
  intervalMs: number
  /** consecutive failures before this answer (0 when the last one was fine) */
  failures: number
}): { at: number, state: PollState } {
  const retryAfter = parseRetryAfter(headers['retry-after'], now)
  if (status === 401 || status === 403 || status === 422) {
    // The instance does not serve its public timelines to anonymous readers: asked again in a day, not in a loop.
    return { at: now + 24 * 3_600_000, state: 'refused' }
  }
  if (status === 404) return { at: now + 24 * 3_600_000, state: 'notFound' }
  // Retry-After says when exactly; without it, the window's reset; never sooner than the backoff.
  if (status === 429) return { at: Math.max(retryAfter ?? resetAt(headers, now) ?? 0, now + backoff(failures, intervalMs)), state: 'limited' }
  if (status >= 500 || status === 0) return { at: Math.max(retryAfter ?? 0, now + backoff(failures, intervalMs)), state: 'error' }
  if (status >= 400) return { at: now + backoff(failures, intervalMs) * 4, state: 'error' }
  const remaining = Number(headers['x-ratelimit-remaining'])
  // Keep a margin under the limit: others (the supporters' own clients) share the instance's limit per address.
  if (Number.isFinite(remaining) && remaining <= 5) return { at: Math.max(resetAt(headers, now) ?? 0, now + intervalMs), state: 'ok' }
  return { at: now + intervalMs, state: 'ok' }
}

export type PollState = 'ok' | 'limited' | 'refused' | 'notFound' | 'error'

function backoff (failures: number, intervalMs: number): number {
  return Math.min(intervalMs * 2 ** Math.min(failures + 1, 10), 6 * 3_600_000)
}

function resetAt (headers: Record<string, string | undefined>, now: number): number | null {
  const raw = headers['x-ratelimit-reset']
  if (!raw) return null
  const t = Date.parse(raw)
  return Number.isFinite(t) && t > now ? Math.min(t, now + 24 * 3_600_000) : null
}

/** Retry-After as a time (RFC 9110 §10.2.3: delay-seconds or an HTTP date), or null when absent or unreadable. */
export function parseRetryAfter (raw: string | undefined, now: number): number | null {
  if (!raw) return null
  const v = raw.trim()
  if (/^\d+$/.test(v)) return now + Math.min(Number(v), 86_400) * 1000
  const t = Date.parse(v)
  return Number.isFinite(t) ? Math.min(Math.max(t, now), now + 86_400_000) : null
}

/** A host name of a Mastodon instance as the campaign editor accepts it (no scheme, no path), or null. */
export function instanceHost (raw: string): string | null {
  const h = raw.trim().toLowerCase().replace(/^https?:\/\//, '').replace(/\/+$/, '')
  return /^[a-z0-9-]+(\.[a-z0-9-]+)+(:\d{1,5})?$/.test(h) || /^localhost:\d{1,5}$/.test(h) ? h : null
}

/**
 * Why an outbound URL is refused, or null: only wss:// and https://, except for hosts listed in allowHosts
 * (OUTBOUND_ALLOW_HOSTS, tests and development), which may also use ws:// and http://.
 */
export function outboundProblem (url: string, allowHosts: readonly string[]): string | null {
  let u: URL
  try { u = new URL(url) } catch { return 'not a URL' }
  if (u.username || u.password) return 'credentials in the URL'
  const allowed = hostAllowed(u, allowHosts)
  if (u.protocol === 'wss:' || u.protocol === 'https:') return null
  if ((u.protocol === 'ws:' || u.protocol === 'http:') && allowed) return null
  return `${u.protocol}// to ${u.host} is refused (only wss:// and https://; plain connections only to OUTBOUND_ALLOW_HOSTS)`
}

/** Whether the URL's host is listed in allowHosts (by name, or name:port). */
export function hostAllowed (u: URL, allowHosts: readonly string[]): boolean {
  return allowHosts.includes(u.hostname.toLowerCase()) || allowHosts.includes(u.host.toLowerCase())
}

/** Whether a resolved address may be connected to: a public unicast address, or any address of an allowed host. */
export function addressAllowed (address: string, hostIsAllowed: boolean): boolean {
  if (hostIsAllowed) return true
  if (!ipaddr.isValid(address)) return false
  return ipaddr.process(address).range() === 'unicast'
}

/** How far behind a listening source is and whether it looks stalled: its last event (Jetstream) or answer (Mastodon). */
export function sourceHealth (row: { source: string, status: string, lastEventAt: Date | null, updatedAt: Date, nextPollAt: Date | null }, now: number, stallMs = 120_000): { lagSeconds: number | null, stalled: boolean } {
  if (row.source === 'jetstream') {
    const lagSeconds = row.lastEventAt ? Math.max(0, Math.round((now - row.lastEventAt.getTime()) / 1000)) : null
    // The firehose never goes quiet for minutes: a cursor this far behind means the stream (or this worker) is stuck.
    return { lagSeconds, stalled: lagSeconds === null || lagSeconds * 1000 > stallMs }
  }
  // A poll overdue by long: no worker is polling (refused sources wait a day on purpose).
  const overdue = row.nextPollAt !== null && now - row.nextPollAt.getTime() > stallMs * 5
  return { lagSeconds: null, stalled: overdue }
}

export const INSTANCES_MAX = 20

/** The campaign's list of Mastodon instances as typed (one per line, or separated by commas or spaces), checked. */
export function parseInstances (raw: string): { ok: true, instances: string[] } | { ok: false, error: 'invalid' | 'tooMany', value?: string } {
  const out: string[] = []
  for (const part of raw.split(/[\s,]+/).filter(Boolean)) {
    const host = instanceHost(part)
    if (!host) return { ok: false, error: 'invalid', value: part.slice(0, 100) }
    if (!out.includes(host)) out.push(host)
  }
  if (out.length > INSTANCES_MAX) return { ok: false, error: 'tooMany' }
  return { ok: true, instances: out }
}

/**
 * How often a stored Mastodon status is asked for again (GET /api/v1/statuses/:id,
 * https://docs.joinmastodon.org/methods/statuses/#get, checked 2026-12-04) to see an edit or a deletion: polling is the
 * only way that needs no account and no connection per instance. Most edits and deletions come soon after posting,
 * so a young status is asked often and an old one daily, for as long as it is kept (until the campaign's retention).
 */
export const RECHECK_TIERS: ReadonlyArray<{ youngerThanHours: number | null, everyMinutes: number }> = [
  { youngerThanHours: 48, everyMinutes: 15 },
  { youngerThanHours: 14 * 24, everyMinutes: 6 * 60 },
  { youngerThanHours: null, everyMinutes: 24 * 60 }
]

/**
 * Re-checks asked of one instance per round (a round a minute). Mastodon allows 300 requests per 5 minutes per address
 * to anonymous clients (https://docs.joinmastodon.org/api/rate-limits/, checked 2026-12-04): 30 a minute leaves half of
 * it to the tag polls, and still re-checks 43,200 statuses a day per instance.
 */
export const RECHECKS_PER_INSTANCE = 30

/** The cursor row that holds the re-check round: claimed like a poll, so one worker at a time asks, once a round. */
export const RECHECK_SOURCE = 'recheck:mastodon'

/** Below this X-RateLimit-Remaining, a round stops re-checking the instance: the tag polls come first. */
export const RECHECK_RESERVE = 60

export type InstanceState = 'waiting' | 'ok' | 'limited' | 'refused' | 'error'

/**
 * How one Mastodon instance answers, for the team, from its sources (one per hashtag): the worst state wins (refused
 * before limited before an error), a source never asked yet only when none has been, and the latest post seen and the
 * soonest next poll across them.
 */
export function instanceState (rows: ReadonlyArray<{ status: string, lastError: string | null, lastEventAt: Date | null, nextPollAt: Date | null }>): {
  state: InstanceState, lastError: string | null, lastEventAt: Date | null, nextPollAt: Date | null
} {
  const rank: Record<InstanceState, number> = { refused: 4, limited: 3, error: 2, ok: 1, waiting: 0 }
  const of = (status: string): InstanceState => status === 'notFound' ? 'refused' : status === 'refused' || status === 'limited' || status === 'error' ? status : status === 'ok' ? 'ok' : 'waiting'
  let worst: (typeof rows)[number] | null = null
  let lastEventAt: Date | null = null
  for (const r of rows) {
    if (!worst || rank[of(r.status)] > rank[of(worst.status)]) worst = r
    if (r.lastEventAt && (!lastEventAt || r.lastEventAt > lastEventAt)) lastEventAt = r.lastEventAt
  }
  if (!worst) return { state: 'waiting', lastError: null, lastEventAt: null, nextPollAt: null }
  const state = of(worst.status)
  return { state, lastError: state === 'error' ? worst.lastError : null, lastEventAt, nextPollAt: state === 'ok' ? null : worst.nextPollAt }
}
