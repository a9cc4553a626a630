import type { Channel } from '../db/schema.ts'
import { CHANNELS, LIMITS, measureLength, mention, renderMessage, type MessageTarget } from './messages.ts'
import { readsWhole, tagReadAs, TAG_NETWORKS, type TagNetwork } from './networks/index.ts'

/** The placeholders a message template may use. */
export const PLACEHOLDERS = ['target', 'hashtags', 'link'] as const
/** Longest template accepted (the longest channel limit: e-mail). */
export const TEMPLATE_MAX = LIMITS.email

/** A target as the rules see it: e-mail undefined means "not known", null means "none". */
export interface RuleTarget extends MessageTarget { id?: string, email?: string | null }

export type TemplateProblem =
  | { kind: 'empty' }
  | { kind: 'tooLongInput', max: number }
  | { kind: 'placeholder', name: string, suggestion: string | null }
  | { kind: 'tooLong', target: RuleTarget, channel: Channel, mention: string, length: number, limit: number, over: number }
  | { kind: 'tagRead', tag: string, channel: TagNetwork, read: string | null }

const SOCIAL = new Set<Channel>(['x', 'bluesky', 'mastodon', 'threads'])
// Characters that are one grapheme each and never join their neighbours: Latin letters with their accents,
// ASCII and common punctuation (no CR, no combining mark, no emoji). A name made only of these (and no @ . # / :,
// which could start a mention or a link) counts like any other name of its shape: see shapeKey.
const SIMPLE_RE = /^[\n\x20-\x7e\u00a0-\u024f\u2010-\u2027\u202f-\u205e]*$/
const HANDLE_SHAPE_RE = /^@[A-Za-z0-9_.@-]+$/

/** A text's length on a channel (the network's own rule, server/domain/networks). */
export function lengthOn (channel: Channel, text: string): number {
  return measureLength(channel, text)
}

/** Whether a channel can be used to reach a target (e-mail needs its public address). */
export function channelUsable (channel: Channel, target: RuleTarget): boolean {
  return channel !== 'email' || target.email !== null
}

/** The {placeholders} of a template that are not ours, each with the one probably meant. */
export function unknownPlaceholders (template: string): Array<{ name: string, suggestion: string | null }> {
  const out: Array<{ name: string, suggestion: string | null }> = []
  for (const m of template.matchAll(/\{([^{}\n]{0,40})\}/g)) {
    const name = m[1]!
    if ((PLACEHOLDERS as readonly string[]).includes(name) || out.some((o) => o.name === name)) continue
    out.push({ name, suggestion: closestPlaceholder(name) })
  }
  return out
}

function closestPlaceholder (name: string): string | null {
  const n = name.trim().toLowerCase()
  let best: string | null = null
  let bestDistance = 3
  for (const p of PLACEHOLDERS) {
    const d = distance(n, p)
    if (d < bestDistance) { best = p; bestDistance = d }
  }
  return best
}

// Levenshtein distance, for short words only.
function distance (a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const cur = [i]
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    prev = cur
  }
  return prev[b.length]!
}

// Letters, digits and _ (\p{L}, \p{N}, _) among the SIMPLE_RE characters, by code: a loop is far cheaper than a regex here.
function isWordCode (c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 ||
    c === 0xaa || c === 0xb2 || c === 0xb3 || c === 0xb5 || c === 0xb9 || c === 0xba || (c >= 0xbc && c <= 0xbe) ||
    (c >= 0xc0 && c <= 0x24f && c !== 0xd7 && c !== 0xf7)
}

function shape (s: string): string {
  let out = ''
  for (let i = 0; i < s.length; i++) out += isWordCode(s.charCodeAt(i)) ? 'a' : s[i]
  return out
}

/**
 * A memo key: two targets whose mentions have the same shape render to texts of the same length. A handle's letters,
 * digits and _ never change how a network counts (they are one character each, and never start a link after an @);
 * neither do a plain Latin name's letters on the networks that count characters. Anything else is measured as it is.
 */
function shapeKey (channel: Channel, target: RuleTarget): string {
  const m = mention(channel, target)
  if (SOCIAL.has(channel) && target.handles[channel as 'x'] && HANDLE_SHAPE_RE.test(m)) return `h:${shape(m)}`
  if (channel !== 'x' && SIMPLE_RE.test(m) && !/[#/:@.]/.test(m)) return `n:${shape(m)}`
  return `e:${m}`
}

/**
 * Checks a template before it is saved: not empty, only known placeholders, and — for every target it applies to,
 * on every enabled channel — the rendered text fits that network's limit, and every hashtag is read as written by each
 * enabled network. Returns every problem (none: it can be saved).
 */
export function checkTemplate (template: string, targets: readonly RuleTarget[], channels: readonly Channel[], hashtags: readonly string[], link: string): TemplateProblem[] {
  if (!template.trim()) return [{ kind: 'empty' }]
  if ([...template].length > TEMPLATE_MAX) return [{ kind: 'tooLongInput', max: TEMPLATE_MAX }]
  const problems: TemplateProblem[] = unknownPlaceholders(template).map((p) => ({ kind: 'placeholder' as const, ...p }))
  problems.push(...tagProblems(template, channels, hashtags))
  const lengths = new Map<string, number>()
  for (const channel of CHANNELS) {
    if (!channels.includes(channel)) continue
    const limit = LIMITS[channel]
    for (const target of targets) {
      if (!channelUsable(channel, target)) continue
      const key = `${channel}|${shapeKey(channel, target)}`
      let length = lengths.get(key)
      if (length === undefined) {
        length = lengthOn(channel, renderMessage(template, channel, target, hashtags, link))
        lengths.set(key, length)
      }
      if (length > limit) problems.push({ kind: 'tooLong', target, channel, mention: mention(channel, target), length, limit, over: length - limit })
    }
  }
  return problems
}

// What a writer means as a hashtag: # and everything up to a space or another #, without trailing punctuation.
const WRITTEN_TAG_RE = /[#＃]([^\s#＃]+)/gu

/**
 * The hashtags (the campaign's and those written in the template) that an enabled network reads differently from
 * how they are written: #COP² is #COP on X and Mastodon, a tag with a ZWNJ is cut there on Bluesky.
 */
export function tagProblems (template: string, channels: readonly Channel[], hashtags: readonly string[]): TemplateProblem[] {
  const written = [...template.matchAll(WRITTEN_TAG_RE)].map((m) => m[1]!.replace(/\p{P}+$/u, '')).filter(Boolean)
  const tags = [...new Set([...(template.includes('{hashtags}') ? hashtags : hashtags.slice(0, 1)), ...written].map((t) => t.replace(/^[#＃]/, '')))]
  const problems: TemplateProblem[] = []
  for (const channel of TAG_NETWORKS) {
    if (!channels.includes(channel)) continue
    for (const tag of tags) {
      if (!readsWhole(channel, tag)) problems.push({ kind: 'tagRead', tag, channel, read: tagReadAs(channel, tag) })
    }
  }
  return problems
}

export interface PreviewLine {
  channel: Channel
  text: string
  length: number
  limit: number
  over: number
  /** false when the target cannot be reached this way (no public e-mail) */
  usable: boolean
  /** whether the target is named by a handle on this network (else by name) */
  byHandle: boolean
}

/** A template as each enabled channel shows it for one target, with its length by that channel's rule. */
export function previewTemplate (template: string, target: RuleTarget, channels: readonly Channel[], hashtags: readonly string[], link: string): PreviewLine[] {
  return CHANNELS.filter((c) => channels.includes(c)).map((channel) => {
    const text = renderMessage(template, channel, target, hashtags, link)
    const length = lengthOn(channel, text)
    const limit = LIMITS[channel]
    return {
      channel,
      text,
      length,
      limit,
      over: Math.max(0, length - limit),
      usable: channelUsable(channel, target),
      byHandle: SOCIAL.has(channel) && Boolean(target.handles[channel as 'x'])
    }
  })
}
