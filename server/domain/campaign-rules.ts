import { createHmac, timingSafeEqual } from 'node:crypto'
import type { CampaignStatus, Channel } from '../db/schema.ts'
import { readsWhole, tagReadAs } from './networks/index.ts'

// Pure rules of the campaign editor and lifecycle: what a slug, a hashtag, a time window and a status change may be.
// Each check returns null when the value is fine, else the i18n key (under admin.campaigns.errors) that says why.

export const SLUG_MIN = 3
export const SLUG_MAX = 60
export const HASHTAGS_MAX = 5
export const HASHTAG_MAX_LENGTH = 60
export const GOAL_MAX = 1_000_000_000
export const DEFAULT_TIME_ZONE = 'Europe/Paris'

const SLUG_RE = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/

/** Why a slug is not acceptable (lowercase a–z, 0–9 and hyphens, 3–60 characters, no hyphen at either end), or null. */
export function slugProblem (slug: string): string | null {
  if (slug === '') return 'slugRequired'
  if (slug.length < SLUG_MIN || slug.length > SLUG_MAX) return 'slugLength'
  if (!SLUG_RE.test(slug)) return 'slugChars'
  return null
}

export type HashtagResult = { ok: true, tags: string[] } | { ok: false, error: string, vars?: Record<string, string | number> }

// A campaign tag must be one whole tag for the two published word-tag parsers (twitter-text and Mastodon's HASHTAG_RE):
// #COP² is #COP for both, so it is refused; #COP・16 and ZWNJ tags (می‌خواهیم) are whole for both, so accepted. Where
// Bluesky reads a tag differently, the message editor says so (message-rules.ts tagProblems).
const STRICT_TAG_NETWORKS = ['x', 'mastodon'] as const

/** Reads hashtags typed as "#a, b #c" (comma or space separated, `#` optional): each one tag as X and Mastodon parse it, at most five, no repeats. */
export function parseHashtags (input: string): HashtagResult {
  const tags: string[] = []
  const seen = new Set<string>()
  for (const raw of input.split(/[\s,;]+/)) {
    if (raw === '' || raw === '#') continue
    const tag = raw.replace(/^#+/, '')
    // A run of digits is not a hashtag on the networks (#2025 does not link).
    if (!/[\p{L}_]/u.test(tag)) return { ok: false, error: 'hashtagDigits', vars: { tag: raw } }
    const misread = STRICT_TAG_NETWORKS.find((n) => !readsWhole(n, tag))
    if (misread) {
      const read = tagReadAs(misread, tag)
      return read === null
        ? { ok: false, error: 'hashtagChars', vars: { tag: raw } }
        : { ok: false, error: 'hashtagRead', vars: { tag: raw, read: '#' + read, network: misread === 'x' ? 'X' : 'Mastodon' } }
    }
    if (tag.length > HASHTAG_MAX_LENGTH) return { ok: false, error: 'hashtagLength', vars: { tag: raw, max: HASHTAG_MAX_LENGTH } }
    const key = tag.toLocaleLowerCase()
    if (seen.has(key)) continue
    seen.add(key)
    tags.push(tag)
  }
  if (tags.length > HASHTAGS_MAX) return { ok: false, error: 'hashtagCount', vars: { max: HASHTAGS_MAX, count: tags.length } }
  return { ok: true, tags }
}

/** A goal typed in a form: a whole number from 1 (spaces and thousands separators allowed), else null. */
export const SEND_LIMIT_MAX = 1_000_000

/** A campaign's own per-address send limit as typed: '' is "the installation's default" (null), else 1 … 1,000,000 a minute. */
export function parseSendLimit (input: string): { ok: true, value: number | null } | { ok: false } {
  const s = input.replace(/[\s\u00a0\u202f,._']/g, '')
  if (s === '') return { ok: true, value: null }
  if (!/^\d{1,7}$/.test(s)) return { ok: false }
  const n = Number(s)
  return n >= 1 && n <= SEND_LIMIT_MAX ? { ok: true, value: n } : { ok: false }
}

export function parseGoal (input: string): number | null {
  const s = input.replace(/[\s\u00a0\u202f,._']/g, '')
  if (!/^\d{1,10}$/.test(s)) return null
  const n = Number(s)
  return n >= 1 && n <= GOAL_MAX ? n : null
}

// Every status change a campaigner may ask for; closed is final.
const TRANSITIONS: Record<CampaignStatus, readonly CampaignStatus[]> = {
  draft: ['scheduled', 'live'],
  scheduled: ['draft', 'live'],
  live: ['paused', 'closed'],
  paused: ['live', 'closed'],
  closed: []
}

/** Whether a campaign may go from one status to another. */
export function canTransition (from: CampaignStatus, to: CampaignStatus): boolean {
  return TRANSITIONS[from].includes(to)
}

/** The statuses a campaign may be moved to from its current one, in the order the editor shows them. */
export function nextStatuses (from: CampaignStatus): readonly CampaignStatus[] {
  return TRANSITIONS[from]
}

export interface Window { opensAt: Date | null, closesAt: Date | null }

/** Why a time window is not acceptable for a campaign in a status (after its edit), or null. */
export function windowProblem (status: CampaignStatus, w: Window, now: Date, before?: Window): string | null {
  if (w.opensAt && w.closesAt && w.closesAt <= w.opensAt) return 'closesBeforeOpens'
  const changed = (a: Date | null, b: Date | null | undefined) => (a?.getTime() ?? null) !== (b?.getTime() ?? null)
  if (status === 'scheduled') {
    if (!w.opensAt) return 'opensRequired'
    if (w.opensAt <= now && changed(w.opensAt, before?.opensAt)) return 'opensInPast'
  }
  // Once open, a campaign cannot be sent back to waiting by its opening time (pause it instead).
  if ((status === 'live' || status === 'paused') && w.opensAt && w.opensAt > now) return 'opensAfterLive'
  // A closing time in the past would close the campaign as soon as it is saved: "Close now" says that plainly.
  if (status !== 'closed' && w.closesAt && w.closesAt <= now && changed(w.closesAt, before?.closesAt)) return 'closesInPast'
  return null
}

/** Why a status change may not happen now (beyond canTransition), or null. */
export function transitionProblem (from: CampaignStatus, to: CampaignStatus, w: Window, now: Date): string | null {
  if (from === to) return 'sameStatus'
  if (!canTransition(from, to)) return from === 'closed' ? 'closedIsFinal' : 'transitionNotAllowed'
  if (to === 'scheduled' && (!w.opensAt || w.opensAt <= now)) return 'scheduleNeedsOpening'
  if (to === 'live' && w.closesAt && w.closesAt <= now) return 'closingPassed'
  return null
}

/** The change the clock calls for: a scheduled campaign whose opening time has come opens; an open or paused one whose closing time has come closes. */
export function dueTransition (c: { status: CampaignStatus } & Window, now: Date): { to: 'live' | 'closed', at: Date } | null {
  if (c.status === 'scheduled' && c.opensAt && c.opensAt <= now) return { to: 'live', at: c.opensAt }
  if ((c.status === 'live' || c.status === 'paused') && c.closesAt && c.closesAt <= now) return { to: 'closed', at: c.closesAt }
  return null
}

/** The timed changes still ahead of a campaign, for its delayed jobs. */
export function upcomingTransitions (c: { status: CampaignStatus } & Window, now: Date): Array<{ to: 'live' | 'closed', at: Date }> {
  const out: Array<{ to: 'live' | 'closed', at: Date }> = []
  if (c.status === 'scheduled' && c.opensAt && c.opensAt > now) out.push({ to: 'live', at: c.opensAt })
  if ((c.status === 'scheduled' || c.status === 'live' || c.status === 'paused') && c.closesAt && c.closesAt > now) out.push({ to: 'closed', at: c.closesAt })
  return out
}

export const CHANNEL_ORDER: readonly Channel[] = ['x', 'bluesky', 'mastodon', 'threads', 'email', 'bottle']

// ---------- time zones ----------

let zones: Set<string> | null = null

/** Every IANA time zone this runtime knows, plus UTC. */
export function timeZones (): string[] {
  if (!zones) zones = new Set(['UTC', ...Intl.supportedValuesOf('timeZone')])
  return [...zones]
}

/** Whether the runtime knows a zone by that name (aliases such as Asia/Kolkata included). */
export function isTimeZone (tz: string): boolean {
  if (!zones) timeZones()
  if (zones!.has(tz)) return true
  if (!/^[A-Za-z][A-Za-z0-9_+/-]{0,63}$/.test(tz)) return false
  try {
    wallClock(tz)
    return true
  } catch {
    return false
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>()
function wallClock (tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })
    formatters.set(tz, f)
  }
  return f
}

function wallParts (date: Date, tz: string): { y: number, mo: number, d: number, h: number, mi: number, s: number } {
  const p: Record<string, number> = {}
  for (const part of wallClock(tz).formatToParts(date)) if (part.type !== 'literal') p[part.type] = Number(part.value)
  return { y: p.year!, mo: p.month!, d: p.day!, h: p.hour! % 24, mi: p.minute!, s: p.second! }
}

/** How far ahead of UTC a zone's clocks are at an instant, in ms. */
function offsetAt (ms: number, tz: string): number {
  const w = wallParts(new Date(ms), tz)
  return Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi, w.s) - Math.floor(ms / 1000) * 1000
}

const LOCAL_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/

/**
 * The instant a `datetime-local` value ("2025-11-30T09:00") names on the clocks of a zone; null if it is not such a value.
 * A time skipped by a daylight-saving change lands just after it; a repeated one is the first of the two.
 */
export function parseLocalDateTime (value: string, tz: string): Date | null {
  const m = LOCAL_RE.exec(value)
  if (!m || !isTimeZone(tz)) return null
  const [y, mo, d, h, mi, s] = m.slice(1).map((v) => Number(v ?? 0)) as [number, number, number, number, number, number]
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return null
  const asUtc = Date.UTC(y, mo - 1, d, h, mi, s)
  // Rejects 31 February and the like (Date.UTC would roll them over).
  if (new Date(asUtc).getUTCDate() !== d || y < 2000 || y > 2100) return null
  // The zone's offsets a day either side cover any change in between: try both, earliest first.
  const candidates = [...new Set([asUtc - offsetAt(asUtc - 86_400_000, tz), asUtc - offsetAt(asUtc + 86_400_000, tz)])].sort((a, b) => a - b)
  for (const candidate of candidates) {
    if (toLocalDateTime(new Date(candidate), tz) === value.slice(0, 16)) return new Date(candidate)
  }
  return new Date(candidates[candidates.length - 1]!)
}

/** An instant as a `datetime-local` value on the clocks of a zone ("2025-11-30T09:00"). */
export function toLocalDateTime (date: Date, tz: string): string {
  const w = wallParts(date, tz)
  const two = (n: number) => String(n).padStart(2, '0')
  return `${w.y}-${two(w.mo)}-${two(w.d)}T${two(w.h)}:${two(w.mi)}`
}

// ---------- preview links ----------

/** The token of a campaign's preview link: an HMAC of its id, so it needs no storage and changes with the secret. */
export function previewToken (secret: string, campaignId: string): string {
  return createHmac('sha256', `${secret}:preview`).update(campaignId).digest('base64url')
}

export function previewTokenValid (secret: string, campaignId: string, token: unknown): boolean {
  if (typeof token !== 'string') return false
  const expected = Buffer.from(previewToken(secret, campaignId))
  const given = Buffer.from(token)
  return expected.length === given.length && timingSafeEqual(expected, given)
}
