import { createHash } from 'node:crypto'
import twitterText from 'twitter-text'

/**
 * The version of the publication consent wording (`bottle.consent.label` and `bottle.consent.privacy` in
 * views/locales/{fr,en}.bottle.json). Bump it, and CONSENT_WORDING_SHA256, whenever that text changes: each
 * stored consent names the version the supporter was shown.
 */
export const CONSENT_VERSION = '2026-12-01'
/** SHA-256 of the French and English consent texts (see consentWordingHash); a test fails when they drift apart. */
export const CONSENT_WORDING_SHA256 = '20becddd87117831dc94a669915e73f13a5613865dda5ba915f4633f381e7d17'

/** Why a message is held for review instead of waiting as pending. */
export type HoldReason = 'empty' | 'too_short' | 'too_long' | 'link' | 'blocked_word' | 'duplicate'
export const HOLD_REASONS: readonly HoldReason[] = ['empty', 'too_short', 'too_long', 'link', 'blocked_word', 'duplicate']

/** Fewer letters and digits than this is too short to say anything to a decision-maker. */
export const MIN_LETTERS = 8
/** More code points than this is not a message but a paste (the bottle channel refuses more; e-mail copies may carry it). */
export const MAX_LENGTH = 1000
/** The same normalised text already this many times in the campaign: the next ones are held. */
export const DUPLICATE_THRESHOLD = 5
/** Signature fields: a first name and a town, each at most this long. */
export const SIGNATURE_MAX = 60
/** A campaign's blocked-words list: at most this many entries, each at most WORD_MAX long. */
export const BLOCKED_WORDS_MAX = 500
export const WORD_MAX = 60

/** Lower case, no accents, punctuation and symbols as spaces, spaces collapsed: what two near-identical texts share. */
export function normalise (text: string): string {
  return text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ').trim()
}

/** The near-duplicate fingerprint: a hash of the normalised text (the campaign's hashtags are left in; everyone has them). */
export function fingerprint (text: string): string {
  return createHash('sha256').update(normalise(text)).digest('hex').slice(0, 32)
}

/** Whether a text holds a link: a URL, or a bare domain name with a known top-level domain ("example.org/x"). */
export function hasLink (text: string): boolean {
  return twitterText.extractUrls(text).length > 0 || /\bhttps?:\/\//i.test(text)
}

/** The blocked words or phrases found in a text, compared without case or accents, on word boundaries. */
export function blockedWordsIn (text: string, blocked: readonly string[]): string[] {
  const hay = ` ${normalise(text)} `
  const found: string[] = []
  for (const word of blocked) {
    const needle = normalise(word)
    if (needle && hay.includes(` ${needle} `)) found.push(word)
  }
  return found
}

export interface HoldInput {
  text: string
  /** the signature as given (it is published too, so it is checked too) */
  signature?: string
  blockedWords: readonly string[]
  /** how many messages of the campaign already have this text's fingerprint */
  sameFingerprint: number
}

/** The automatic checks on a new bottle message: the reasons to hold it, empty when it can wait as pending. */
export function holdReasons ({ text, signature = '', blockedWords, sameFingerprint }: HoldInput): HoldReason[] {
  const reasons: HoldReason[] = []
  const letters = normalise(text).replace(/ /g, '')
  const letterCount = [...letters].length
  if (letterCount === 0) reasons.push('empty')
  else if (letterCount < MIN_LETTERS) reasons.push('too_short')
  if ([...text].length > MAX_LENGTH) reasons.push('too_long')
  if (hasLink(text) || hasLink(signature)) reasons.push('link')
  if (blockedWordsIn(`${text} ${signature}`, blockedWords).length > 0) reasons.push('blocked_word')
  if (letterCount > 0 && sameFingerprint >= DUPLICATE_THRESHOLD) reasons.push('duplicate')
  return reasons
}

// In a module of its own (no Node built-in, no twitter-text), so the campaign page's bundle carries the same rule.
export { bottleText } from './bottle-text.ts'

/** The outcome of reading a signature field: the cleaned value (null when left empty), or the error key. */
export type FieldResult = { ok: true, value: string | null } | { ok: false, error: string }

// C0 and C1 controls, DEL, and the invisible direction and zero-width marks that can disguise a name.
// eslint-disable-next-line no-control-regex -- control characters are exactly what this refuses
const CONTROL_RE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/u

/** Reads an optional signature field (first name or town): trimmed, one line, no control character, at most SIGNATURE_MAX. */
export function readSignatureField (value: unknown): FieldResult {
  if (value === undefined || value === null || value === '') return { ok: true, value: null }
  if (typeof value !== 'string') return { ok: false, error: 'invalid' }
  if (CONTROL_RE.test(value)) return { ok: false, error: 'control' }
  const v = value.normalize('NFC').replace(/\s+/g, ' ').trim()
  if (!v) return { ok: true, value: null }
  if ([...v].length > SIGNATURE_MAX) return { ok: false, error: 'tooLong' }
  return { ok: true, value: v }
}

/** Whether a checkbox was ticked: browsers send its value ("1", "on"); JSON clients may send true. */
export function ticked (value: unknown): boolean {
  return value === true || value === '1' || value === 'on' || value === 'true' || value === 'yes'
}

/** Parses the blocked-words list typed in the admin (one per line or comma-separated): cleaned, deduplicated, or the error. */
export function parseBlockedWords (input: string): { ok: true, words: string[] } | { ok: false, error: 'control' | 'tooLong' | 'tooMany', word?: string } {
  const words: string[] = []
  const seen = new Set<string>()
  for (const raw of input.split(/[\n,;]/)) {
    if (CONTROL_RE.test(raw.replace(/[\r\t]/g, ''))) return { ok: false, error: 'control' }
    const w = raw.replace(/\s+/g, ' ').trim()
    if (!w) continue
    if ([...w].length > WORD_MAX) return { ok: false, error: 'tooLong', word: w.slice(0, WORD_MAX) }
    const key = normalise(w)
    if (!key || seen.has(key)) continue
    seen.add(key)
    words.push(w)
  }
  if (words.length > BLOCKED_WORDS_MAX) return { ok: false, error: 'tooMany' }
  return { ok: true, words }
}

/** The hash the consent wording is pinned by: French then English label and privacy note. */
export function consentWordingHash (texts: { fr: { label: string, privacy: string }, en: { label: string, privacy: string } }): string {
  return createHash('sha256').update([texts.fr.label, texts.fr.privacy, texts.en.label, texts.en.privacy].join('\n')).digest('hex')
}
