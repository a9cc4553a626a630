import type { Channel, Handles } from '../db/schema.ts'
import { hasHashtag, LIMITS, measureLength } from './networks/index.ts'

export const CHANNELS: readonly Channel[] = ['x', 'bluesky', 'mastodon', 'threads', 'email', 'bottle']

// Each network's length rule and limit live in server/domain/networks (one module per network).
export { LIMITS, measureLength }

export interface MessageTarget { name: string, handles: Handles }

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
  if (main && !hasHashtag(channel, out, main)) out += ` #${main}`
  if (link && !out.includes(link)) out += ` ${link}`
  return out
}
