import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import type { ChallengeMode } from '../db/schema.ts'

/** The thresholds that switch a campaign's challenge on by themselves (settings, see config.ts). */
export interface BurstThresholds {
  /** a minute's sends at least this many times the recent per-minute average… */
  burstFactor: number
  /** …and at least this many (a campaign starting from nothing is not a burst below it) */
  burstMin: number
  /** the share (0–1) of one near-identical free text among the window's free texts… */
  duplicateShare: number
  /** …once the window holds at least this many free texts */
  duplicateMin: number
}

/** Minutes before the current one that make a campaign's baseline rate. */
export const BASELINE_MINUTES = 10

/** Whether sends to a campaign must carry a solved challenge (or the no-JS answer) now. */
export function challengeActive (mode: ChallengeMode, autoUntil: Date | null, now: number): boolean {
  return mode === 'on' || (mode === 'auto' && autoUntil !== null && autoUntil.getTime() > now)
}

/** Whether this minute's count jumps beyond the campaign's recent baseline (the mean of the previous minutes). */
export function burstDetected (current: number, previous: readonly number[], t: Pick<BurstThresholds, 'burstFactor' | 'burstMin'>): boolean {
  const baseline = previous.length ? previous.reduce((a, b) => a + b, 0) / previous.length : 0
  return current >= t.burstMin && current >= t.burstFactor * Math.max(1, baseline)
}

/** Whether one near-identical free text has taken too large a share of the window's free texts. */
export function duplicatesDetected (same: number, total: number, t: Pick<BurstThresholds, 'duplicateShare' | 'duplicateMin'>): boolean {
  return total >= t.duplicateMin && same / total >= t.duplicateShare
}

/** An ALTCHA payload (the `altcha` form field: base64 of JSON), read without trusting it; null when malformed. */
export interface AltchaPayload { algorithm: 'SHA-256', challenge: string, number: number, salt: string, signature: string }

/**
 * Reads the payload the browser sends back: base64 JSON of { algorithm, challenge, number, salt, signature } (ALTCHA's
 * v1 protocol, https://altcha.org/docs/server-integration/, checked 2026-12-04). Only SHA-256 is taken.
 */
export function readAltchaPayload (field: unknown): AltchaPayload | null {
  if (typeof field !== 'string' || field.length === 0 || field.length > 1000) return null
  let p: unknown
  try { p = JSON.parse(Buffer.from(field, 'base64').toString('utf8')) } catch { return null }
  if (!p || typeof p !== 'object') return null
  const o = p as Record<string, unknown>
  if (o.algorithm !== 'SHA-256' || typeof o.challenge !== 'string' || typeof o.salt !== 'string' || typeof o.signature !== 'string') return null
  if (typeof o.number !== 'number' || !Number.isSafeInteger(o.number) || o.number < 0) return null
  if (!/^[0-9a-f]{64}$/.test(o.challenge) || !/^[0-9a-f]{64}$/.test(o.signature) || o.salt.length > 200) return null
  return { algorithm: 'SHA-256', challenge: o.challenge, number: o.number, salt: o.salt, signature: o.signature }
}

/**
 * Whether an ALTCHA v1 solution is right: challenge = SHA-256(salt + number) and signature = HMAC-SHA-256(challenge),
 * both hex, where a salt not ending in '&' gets one (the library's delimiter against parameter splicing). This is
 * what altcha-lib's own verifySolution computes (altcha-lib 2.8.0, dist/esm/v1/index.js createChallenge, checked
 * 2026-12-04), with node:crypto in the request's own turn instead of WebCrypto's: the library imports the HMAC key
 * and hashes through the thread pool on every call, 20 times the cost here. A test holds the two equal.
 */
export function altchaSolutionValid (p: AltchaPayload, hmacKey: string): boolean {
  const salt = p.salt.endsWith('&') ? p.salt : `${p.salt}&`
  const challenge = createHash('sha256').update(salt + String(p.number)).digest('hex')
  if (challenge !== p.challenge) return false
  const signature = createHmac('sha256', hmacKey).update(challenge).digest()
  return timingSafeEqual(signature, Buffer.from(p.signature, 'hex'))
}

/** When a challenge's salt says it expires (ms since the epoch; its `expires` parameter is in seconds), or null. */
export function saltExpiry (salt: string): number | null {
  const q = salt.indexOf('?')
  if (q < 0) return null
  const s = new URLSearchParams(salt.slice(q + 1)).get('expires')
  return s && /^\d{1,12}$/.test(s) ? Number(s) * 1000 : null
}

/**
 * A free text without what changes from one target or page to another (mentions such as .@handle or
 * @user@instance, links), so a copy-paste sent to every target still looks like one text.
 */
export function textShape (text: string): string {
  return text.replace(/https?:\/\/\S+/gi, ' ').replace(/(^|\s)\.?@[\w.@-]+/g, ' ')
}

// --- the question for supporters without JavaScript ---

/** A question's token: its expiry (seconds), a random part, and an HMAC of both. */
export interface QuestionToken { expires: number, nonce: string, mac: string }

const TOKEN_RE = /^(\d{10})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{22})$/

function questionMac (key: string, expires: number, nonce: string): Buffer {
  return createHmac('sha256', key).update(`question|${expires}|${nonce}`).digest()
}

/** A signed token and the sum it asks ("3 + 4"): the numbers come from the MAC, so the token never shows them. */
export function makeQuestion (key: string, expires: number, nonce: string): { token: string, a: number, b: number } {
  const mac = questionMac(key, expires, nonce)
  return { token: `${expires}.${nonce}.${mac.subarray(0, 16).toString('base64url')}`, a: 1 + (mac[20]! % 9), b: 1 + (mac[21]! % 9) }
}

/** The question a token asks, if the token is ours (its MAC holds); the caller checks the expiry and the single use. */
export function readQuestion (key: string, token: unknown): (QuestionToken & { a: number, b: number }) | null {
  if (typeof token !== 'string') return null
  const m = TOKEN_RE.exec(token)
  if (!m) return null
  const expires = Number(m[1])
  const nonce = m[2]!
  const mac = questionMac(key, expires, nonce)
  const given = Buffer.from(m[3]!, 'base64url')
  if (given.length !== 16 || !timingSafeEqual(given, mac.subarray(0, 16))) return null
  return { expires, nonce, mac: m[3]!, a: 1 + (mac[20]! % 9), b: 1 + (mac[21]! % 9) }
}

/** Whether a typed answer is the number expected: digits of any script width (NFKC), spaces around allowed. */
export function answerMatches (answer: unknown, expected: number): boolean {
  if (typeof answer !== 'string' || answer.length > 20) return false
  const s = answer.normalize('NFKC').trim()
  return /^\d{1,3}$/.test(s) && Number(s) === expected
}

// --- suspicious windows ---

/** A window of sends to mark: [startsAt, endsAt), optionally one target and/or one channel. */
export interface WindowInput { startsAt: Date, endsAt: Date, targetId: string | null, channel: string | null }

/** Longest window one mark may cover: a slip of the keyboard must not take a whole campaign out of the count. */
export const MAX_WINDOW_DAYS = 31

/** Checks a window the team entered; the error names the i18n key to show. */
export function checkWindow (w: { startsAt: Date | null, endsAt: Date | null }, now: number): { ok: true } | { ok: false, error: 'missing' | 'order' | 'future' | 'tooLong' } {
  if (!w.startsAt || !w.endsAt) return { ok: false, error: 'missing' }
  if (w.endsAt.getTime() <= w.startsAt.getTime()) return { ok: false, error: 'order' }
  // Sends after now would be recorded unflagged: a window lies in the past.
  if (w.endsAt.getTime() > now + 60_000) return { ok: false, error: 'future' }
  if (w.endsAt.getTime() - w.startsAt.getTime() > MAX_WINDOW_DAYS * 86_400_000) return { ok: false, error: 'tooLong' }
  return { ok: true }
}
