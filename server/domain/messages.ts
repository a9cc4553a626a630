import twitterText from 'twitter-text'
import type { Channel, Handles } from '../db/schema.ts'

export const CHANNELS: readonly Channel[] = ['x', 'bluesky', 'mastodon', 'threads', 'email', 'bottle']

/** Length rule per channel: X counts weighted characters (twitter-text), Bluesky graphemes, the others code points. */
export const LIMITS: Readonly<Record<Channel, number>> = {
  x: 280, bluesky: 300, mastodon: 500, threads: 500, email: 5000, bottle: 1000
}

export interface MessageTarget { name: string, handles: Handles }

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' })

/** The length of a text by the rule of the network it is sent on. */
export function measureLength (channel: Channel, text: string): number {
  if (channel === 'x') return twitterText.parseTweet(text).weightedLength
  if (channel === 'bluesky') {
    return [...segmenter.segment(text)].length
  }
  return [...text].length
}

/** How a target is named on a channel: its handle there, else its name. */
export function mention (channel: Channel, target: MessageTarget): string {
  const h = channel === 'email' || channel === 'bottle' ? undefined : target.handles[channel]
  if (!h) return target.name
  return '@' + h.replace(/^@/, '')
}

/** Fills a message template's {target}, {hashtags} and {link} placeholders for one channel. */
export function renderMessage (template: string, channel: Channel, target: MessageTarget, hashtags: readonly string[], link: string): string {
  const rendered = template
    .replaceAll('{target}', mention(channel, target))
    .replaceAll('{hashtags}', hashtags.map((h) => '#' + h.replace(/^#/, '')).join(' '))
    .replaceAll('{link}', link)
  return finalizeText(channel, rendered.replace(/[ \t]+/g, ' ').trim(), target, hashtags, link)
}

/**
 * Makes a (possibly personalised) text ready to send: on X it starts with `.@handle` (a leading @ would
 * hide it as a reply); the campaign's first hashtag and link are kept, appended when the supporter removed them.
 */
export function finalizeText (channel: Channel, text: string, target: MessageTarget, hashtags: readonly string[], link: string): string {
  let out = text.trim()
  const handle = target.handles.x?.replace(/^@/, '')
  if (channel === 'x' && handle) {
    const at = '@' + handle
    if (out.startsWith('.' + at)) {
      // already right
    } else if (out.startsWith(at)) {
      out = '.' + out
    } else {
      out = `.${at} ${out}`
    }
  }
  if (channel === 'bottle') return out
  const main = hashtags[0]?.replace(/^#/, '')
  if (main && !hashtagPattern(main).test(out)) out += ` #${main}`
  if (link && !out.includes(link)) out += ` ${link}`
  return out
}

// Campaigns have a handful of hashtags: their patterns are compiled once, not on every send.
const hashtagPatterns = new Map<string, RegExp>()
function hashtagPattern (tag: string): RegExp {
  let re = hashtagPatterns.get(tag)
  if (!re) {
    re = new RegExp(`#${escapeRegExp(tag)}(?![\\p{L}\\p{N}_])`, 'iu')
    if (hashtagPatterns.size > 1000) hashtagPatterns.clear()
    hashtagPatterns.set(tag, re)
  }
  return re
}

function escapeRegExp (s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
