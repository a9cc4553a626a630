import type { Channel } from '../db/schema.ts'

// Fixed bases: a redirect can only ever lead to one of these (or to the supporter's own Mastodon instance).
const BASES = {
  x: 'https://x.com/intent/post',
  bluesky: 'https://bsky.app/intent/compose',
  threads: 'https://www.threads.net/intent/post'
} as const

// A public DNS name: labels of letters, digits and hyphens, a dot, a letter TLD. No IP, no port, no path.
const INSTANCE_RE = /^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/

/** Normalises what a supporter typed as their Mastodon instance ("@me@mastodon.social", "https://piaille.fr/") to a host name, or null. */
export function parseInstance (input: string | undefined): string | null {
  if (!input) return null
  let s = input.trim().toLowerCase()
  s = s.replace(/^https?:\/\//, '').replace(/\/.*$/, '')
  const at = s.lastIndexOf('@')
  if (at >= 0) s = s.slice(at + 1)
  if (!INSTANCE_RE.test(s) || s.endsWith('.local') || s.endsWith('.localhost') || s.endsWith('.internal')) return null
  return s
}

export interface IntentOptions {
  /** Mastodon: the supporter's instance host (already validated by parseInstance) */
  instance?: string | null
  /** E-mail: the target's public address */
  email?: string | null
  /** E-mail: the subject line */
  subject?: string
  /** Bottle: where the supporter goes next (a path on this site) */
  thanksUrl?: string
}

/** Builds the URL a supporter is sent to for a channel, from fixed bases only; null when the channel cannot be used. */
export function buildIntentUrl (channel: Channel, text: string, opts: IntentOptions = {}): string | null {
  switch (channel) {
    case 'x':
    case 'bluesky':
    case 'threads':
      return `${BASES[channel]}?text=${encodeURIComponent(text)}`
    case 'mastodon':
      if (!opts.instance || parseInstance(opts.instance) !== opts.instance) return null
      return `https://${opts.instance}/share?text=${encodeURIComponent(text)}`
    case 'email': {
      if (!opts.email || !isEmail(opts.email)) return null
      const q = [`subject=${encodeURIComponent(opts.subject ?? '')}`, `body=${encodeURIComponent(text)}`].join('&')
      return `mailto:${encodeURIComponent(opts.email).replace('%40', '@')}?${q}`
    }
    case 'bottle':
      return opts.thanksUrl ?? null
  }
}

/** A plain, conservative check of an e-mail address's shape. */
export function isEmail (s: string): boolean {
  return /^[^\s@<>()[\]\\,;:"]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/i.test(s) && s.length <= 254
}
