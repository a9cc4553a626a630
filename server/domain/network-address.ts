import ipaddr from 'ipaddr.js'

/**
 * The key a client address is limited under: an IPv4 address as it is, an IPv6 address by its /64 network.
 * One IPv6 subscriber usually gets a whole /64 (RFC 6177, RFC 7421; checked 2026-12-04), so counting single IPv6
 * addresses would let one person rotate through 2^64 of them. IPv4-mapped IPv6 (::ffff:a.b.c.d) counts as IPv4.
 */
export function addressGroup (address: string): string {
  const bare = address.replace(/%.*$/, '')
  if (!ipaddr.isValid(bare)) return address
  const ip = ipaddr.process(bare)
  if (ip.kind() === 'ipv4') return ip.toString()
  const parts = (ip as ipaddr.IPv6).parts.slice(0, 4).map((p) => p.toString(16))
  return `${parts.join(':')}::/64`
}

/** Whether raw is an IP address or a CIDR range (a.b.c.d/n, x::y/n), as TRUST_PROXY lists them. */
export function isAddressOrRange (raw: string): boolean {
  const [address = '', bits, ...rest] = raw.split('/')
  // ipaddr.js also takes legacy IPv4 forms ("1" = 0.0.0.1); a setting must spell four parts.
  const strict = ipaddr.IPv4.isValidFourPartDecimal(address) || ipaddr.IPv6.isValid(address)
  if (!strict || rest.length > 0) return false
  if (bits === undefined) return true
  try {
    ipaddr.parseCIDR(raw)
    return true
  } catch {
    return false
  }
}

/**
 * Whether a supporter's POST may be taken, from the headers the browser set on it. `Sec-Fetch-Site` and `Origin` are
 * set by the browser and cannot be forged by a page (Fetch Metadata, W3C; Fetch standard §3.1; checked 2026-12-04):
 * same-origin is the page itself; an explicit Origin must be one we serve or embed; without either header (no-JS
 * forms in old browsers) the request is let through, as before.
 */
export function originAllowed ({ site, origin }: { site?: string, origin?: string }, allowed: ReadonlySet<string>): boolean {
  const s = site?.trim().toLowerCase()
  if (s === 'same-origin') return true
  const o = origin?.trim().toLowerCase()
  if (o && o !== 'null') return allowed.has(o.replace(/\/+$/, ''))
  return s !== 'cross-site' && s !== 'same-site'
}
