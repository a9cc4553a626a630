import { domainToASCII } from 'node:url'
import type { Handles } from '../db/schema.ts'

/** The networks a target can have a handle on, in display order. */
export const HANDLE_NETWORKS = ['x', 'bluesky', 'mastodon', 'threads'] as const
export type HandleNetwork = (typeof HANDLE_NETWORKS)[number]

// A public DNS name: at least two labels, the last one starting with a letter (atproto's handle rule).
const DOMAIN = '(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?'
const DOMAIN_RE = new RegExp(`^${DOMAIN}$`)
// Names that never resolve publicly, checked 2026-12-04: RFC 2606 §2–3 and RFC 6761 §6 (test, localhost, invalid,
// example and example.com/.net/.org), RFC 6762 §3 (local), RFC 7686 §2 (onion), RFC 8375 (home.arpa; .arpa is
// infrastructure), RFC 9476 (alt), ICANN resolution 2024.07.29.06 (internal); atproto's handle spec refuses the same.
const RESERVED_TLDS = new Set(['local', 'localhost', 'internal', 'invalid', 'example', 'test', 'arpa', 'onion', 'alt'])
const RESERVED_NAMES = new Set(['example.com', 'example.net', 'example.org'])

/** Whether a (lower-case, ASCII) domain name is reserved or special-use, so never a public server. */
export function isReservedName (s: string): boolean {
  const name = s.replace(/\.$/, '')
  const tld = name.slice(name.lastIndexOf('.') + 1)
  return RESERVED_TLDS.has(tld) || [...RESERVED_NAMES].some((r) => name === r || name.endsWith('.' + r))
}

const X_RE = /^[A-Za-z0-9_]{1,15}$/
// Mastodon's own usernames are letters, digits and _; other fediverse servers also allow . and - inside.
const FEDI_USER_RE = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,62}[A-Za-z0-9_])?$/
const THREADS_RE = /^[A-Za-z0-9._]{1,30}$/

function isPublicDomain (s: string): boolean {
  if (s.length > 253 || !DOMAIN_RE.test(s)) return false
  return !isReservedName(s)
}

// What campaigners paste: a profile address instead of the handle. Reduced to the handle itself.
function fromProfileUrl (network: HandleNetwork, s: string): string {
  const m = /^(?:https?:\/\/)?(?:www\.)?([^/?#\s]+)\/([^?#\s]*?)\/?(?:[?#].*)?$/i.exec(s)
  if (!m) return s
  const host = m[1]!.toLowerCase()
  const path = m[2]!
  switch (network) {
    case 'x':
      return host === 'x.com' || host === 'twitter.com' || host === 'mobile.twitter.com' ? path : s
    case 'bluesky':
      return host === 'bsky.app' && path.startsWith('profile/') ? path.slice('profile/'.length) : s
    case 'threads':
      return host === 'threads.net' || host === 'threads.com' ? path : s
    case 'mastodon': {
      // https://instance/@user (a local account) or https://instance/@user@other.instance (a remote one seen from there)
      const u = /^@([^@/]+)(?:@([^@/]+))?$/.exec(path)
      return u && isPublicDomain(host) ? `${u[1]}@${u[2] ?? host}` : s
    }
  }
}

/**
 * A handle in its stored form ('jharbourwells', 'name.bsky.social', 'user@instance.social', 'j.harbourwells'),
 * or null when what was typed is not a valid handle on that network. A leading @ and a pasted profile address are accepted.
 * X: 1–15 letters, digits or _. Bluesky: a domain name. Mastodon: user@instance. Threads: 1–30 letters, digits, . or _.
 */
export function normalizeHandle (network: HandleNetwork, input: string): string | null {
  let s = fromProfileUrl(network, input.trim())
  s = s.replace(/^@/, '')
  switch (network) {
    case 'x':
      return X_RE.test(s) ? s : null
    case 'bluesky': {
      const h = s.toLowerCase()
      return isPublicDomain(h) ? h : null
    }
    case 'mastodon': {
      const at = s.lastIndexOf('@')
      if (at <= 0) return null
      const user = s.slice(0, at)
      // An internationalised instance name is kept in its ASCII (punycode) form, as the intent's host.
      const instance = domainToASCII(s.slice(at + 1).toLowerCase())
      return FEDI_USER_RE.test(user) && isPublicDomain(instance) ? `${user}@${instance}` : null
    }
    case 'threads': {
      const h = s.toLowerCase()
      return THREADS_RE.test(h) ? h : null
    }
  }
}

/** How a stored handle is shown: @handle (Mastodon: @user@instance). */
export function displayHandle (handle: string): string {
  return '@' + handle.replace(/^@/, '')
}

/** The handles of a target as a plain list, in network order (for display and duplicate checks). */
export function handleEntries (handles: Handles): Array<[HandleNetwork, string]> {
  const out: Array<[HandleNetwork, string]> = []
  for (const n of HANDLE_NETWORKS) {
    const h = handles[n]
    if (h) out.push([n, h])
  }
  return out
}

/** The key under which two handles on a network are the same account (handles are case-insensitive everywhere). */
export function handleKey (network: HandleNetwork, handle: string): string {
  return `${network}:${handle.replace(/^@/, '').toLowerCase()}`
}
