import type { Channel } from '../../db/schema.ts'
import { BLUESKY_LIMIT, blueskyHashtags, blueskyLength } from './bluesky.ts'
import { EMAIL_LIMIT, emailLength } from './email.ts'
import { MASTODON_LIMIT, mastodonHashtags, mastodonLength } from './mastodon.ts'
import { THREADS_LIMIT, threadsLength } from './threads.ts'
import { X_LIMIT, xHashtags, xLength } from './x.ts'

// One module for every network's rules, run by the server and — bundled once (server/infra/networks-bundle.ts) — by
// the campaign page's live counter, so both count the same text to the same number.

/** Length limit per channel (each network's own; sources in its module). The bottle is ours. */
export const LIMITS: Readonly<Record<Channel, number>> = {
  x: X_LIMIT, bluesky: BLUESKY_LIMIT, mastodon: MASTODON_LIMIT, threads: THREADS_LIMIT, email: EMAIL_LIMIT, bottle: 1000
}

/** The length of a text by the rule of the network it is sent on. */
export function measureLength (channel: Channel, text: string): number {
  switch (channel) {
    case 'x': return xLength(text)
    case 'bluesky': return blueskyLength(text)
    case 'mastodon': return mastodonLength(text)
    case 'threads': return threadsLength(text)
    case 'email':
    case 'bottle': return emailLength(text)
  }
}

/** The networks that parse hashtags with a published parser. Threads publishes none (one topic tag, set in its composer). */
export const TAG_NETWORKS = ['x', 'bluesky', 'mastodon'] as const
export type TagNetwork = (typeof TAG_NETWORKS)[number]

/** The hashtags a network reads in a text, without their #. */
export function hashtagsOn (network: TagNetwork, text: string): string[] {
  if (network === 'x') return xHashtags(text)
  if (network === 'bluesky') return blueskyHashtags(text)
  return mastodonHashtags(text)
}

// Hashtags are compared as the networks compare them: case-insensitively, in NFC.
function tagKey (tag: string): string {
  return tag.replace(/^[#＃]/, '').normalize('NFC').toLowerCase()
}

/** What a network reads when `#tag` is written alone: the tag itself, another (shorter) tag, or null (no tag). */
export function tagReadAs (network: TagNetwork, tag: string): string | null {
  return hashtagsOn(network, '#' + tag.replace(/^[#＃]/, ''))[0] ?? null
}

/** Whether a network reads `#tag` as exactly that tag. */
export function readsWhole (network: TagNetwork, tag: string): boolean {
  const read = tagReadAs(network, tag)
  return read !== null && tagKey(read) === tagKey(tag)
}

/**
 * Whether a text already carries a hashtag on a channel, as that network parses it (#tag² is #tag on X, #tag·x is not).
 * E-mail and the bottle have no parser: any network reading the tag there is enough; Threads reads tags like Mastodon's
 * published rule as the closest one.
 */
export function hasHashtag (channel: Channel, text: string, tag: string): boolean {
  const key = tagKey(tag)
  const networks: readonly TagNetwork[] = channel === 'x' || channel === 'bluesky' || channel === 'mastodon' ? [channel] : ['x', 'mastodon']
  return networks.some((n) => hashtagsOn(n, text).some((t) => tagKey(t) === key))
}
