// The widget's rules: which sites may frame a campaign's /embed page, as the campaign editor takes them and as the
// page's Content-Security-Policy says them.

/** How many sites one campaign's allow-list may name. */
export const EMBED_ORIGINS_MAX = 50

export type EmbedOriginsResult = { ok: true, origins: string[] } | { ok: false, error: 'embedOrigin' | 'embedOriginsCount', vars: Record<string, string | number> }

/**
 * Reads the editor's allow-list: origins (`https://partner.example.org`, a port allowed, no path) separated by
 * lines, spaces or commas, or `*` for any site. Empty or `*` means any site (stored as an empty list).
 */
export function parseEmbedOrigins (input: string): EmbedOriginsResult {
  const items = input.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean)
  if (items.includes('*')) return { ok: true, origins: [] }
  const origins: string[] = []
  for (const item of items) {
    const origin = originOf(item)
    if (!origin) return { ok: false, error: 'embedOrigin', vars: { value: item.slice(0, 100) } }
    if (!origins.includes(origin)) origins.push(origin)
  }
  if (origins.length > EMBED_ORIGINS_MAX) return { ok: false, error: 'embedOriginsCount', vars: { max: EMBED_ORIGINS_MAX } }
  return { ok: true, origins }
}

/** A site's origin, lower case, when the text is exactly one (http or https, no path, query or credentials); else null. */
export function originOf (text: string): string | null {
  let u: URL
  try { u = new URL(text) } catch { return null }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return null
  if (u.username || u.password || u.search || u.hash || (u.pathname !== '/' && u.pathname !== '')) return null
  // WHATWG URL lets through host characters that would break out of a CSP source list (';', quotes, '*', ','):
  // only DNS names and IP addresses are taken.
  if (!/^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$|^\[[0-9a-f:.]+\]$/.test(u.hostname)) return null
  // new URL() accepts "https://a.org/" and "HTTPS://A.org": the same origin; anything else it changed is refused.
  if (u.origin.toLowerCase() !== text.replace(/\/$/, '').toLowerCase()) return null
  return u.origin.toLowerCase()
}

/**
 * The CSP `frame-ancestors` sources for a campaign's allow-list: `*` (any http/https site) when it is empty, else
 * 'self' and the listed origins. CSP Level 3, frame-ancestors and source lists
 * (https://www.w3.org/TR/CSP3/#directive-frame-ancestors; checked 2026-12-04).
 */
export function frameAncestors (origins: readonly string[]): string {
  return origins.length === 0 ? '*' : ["'self'", ...origins].join(' ')
}

/** The allow-list as the editor shows it, one origin a line. */
export function embedOriginsText (origins: readonly string[]): string {
  return origins.join('\n')
}
