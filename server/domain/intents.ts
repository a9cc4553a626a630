import { domainToASCII } from 'node:url'
import type { Channel } from '../db/schema.ts'
import { isReservedName } from './handles.ts'
import { BLUESKY_INTENT } from './networks/bluesky.ts'
import { mailtoUrl } from './networks/email.ts'
import { THREADS_INTENT } from './networks/threads.ts'
import { X_INTENT } from './networks/x.ts'

// A public DNS name in its ASCII (punycode) form: labels of letters, digits and hyphens, a dot, a TLD that is
// letters or an IDN's xn-- label. No IP, no port, no path.
const INSTANCE_RE = /^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/

/**
 * Normalises what a supporter typed as their Mastodon instance ("@me@mastodon.social", "https://piaille.fr/",
 * "мастодон.рф") to an ASCII host name (IDNs punycoded), or null when it is not a public name.
 */
export function parseInstance (input: string | undefined): string | null {
  if (!input) return null
  let s = input.trim().toLowerCase()
  s = s.replace(/^https?:\/\//, '').replace(/\/.*$/, '')
  const at = s.lastIndexOf('@')
  if (at >= 0) s = s.slice(at + 1)
  // UTS #46 processing (WHATWG URL): "мастодон.рф" becomes "xn--80aaodk2ah.xn--p1ai"; an invalid name becomes ''.
  s = domainToASCII(s)
  if (!INSTANCE_RE.test(s) || isReservedName(s)) return null
  return s
}

export interface IntentOptions {
  /** Mastodon: the supporter's instance host (already validated by parseInstance) */
  instance?: string | null
  /** E-mail: the target's public address */
  email?: string | null
  /** E-mail: the subject line */
  subject?: string
  /** Threads: the campaign link, passed in `url` when the text ends with it */
  link?: string
  /** Bottle: where the supporter goes next (a path on this site) */
  thanksUrl?: string
}

/** Builds the URL a supporter is sent to for a channel, from fixed bases only; null when the channel cannot be used. */
export function buildIntentUrl (channel: Channel, text: string, opts: IntentOptions = {}): string | null {
  switch (channel) {
    case 'x':
      return `${X_INTENT}?text=${encodeURIComponent(text)}`
    case 'bluesky':
      return `${BLUESKY_INTENT}?text=${encodeURIComponent(text)}`
    case 'threads': {
      // Threads takes the link in its own `url` parameter (the documented form); the text keeps everything else.
      const link = opts.link && text.endsWith(' ' + opts.link) ? opts.link : null
      const body = link ? text.slice(0, -link.length - 1) : text
      return `${THREADS_INTENT}?text=${encodeURIComponent(body)}${link ? `&url=${encodeURIComponent(link)}` : ''}`
    }
    case 'mastodon':
      if (!opts.instance || parseInstance(opts.instance) !== opts.instance) return null
      return `https://${opts.instance}/share?text=${encodeURIComponent(text)}`
    case 'email': {
      if (!opts.email || !isEmail(opts.email)) return null
      return mailtoUrl(opts.email, opts.subject ?? '', text)
    }
    case 'bottle':
      return opts.thanksUrl ?? null
  }
}

/** A plain, conservative check of an e-mail address's shape. */
export function isEmail (s: string): boolean {
  return /^[^\s@<>()[\]\\,;:"]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/i.test(s) && s.length <= 254
}
