import { randomFillSync } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import fp from 'fastify-plugin'
import helmet from 'helmet'

declare module 'fastify' {
  interface FastifyReply {
    /** A fresh CSP nonce for this page; also puts it in the Content-Security-Policy header. */
    pageNonce: () => string
    /** pageNonce for the one framable page: its CSP lets the given sources frame it, and it goes without X-Frame-Options. */
    framableNonce: (ancestors: string) => string
  }
}

// Outbound sends are 303s from our own form to a network: the CSP form-action must allow those redirects.
const DIRECTIVES: Record<string, string[]> = {
  'default-src': ["'self'"],
  'base-uri': ["'none'"],
  'object-src': ["'none'"],
  'frame-ancestors': ["'none'"],
  'img-src': ["'self'", 'data:'],
  'style-src': ["'self'"],
  'font-src': ["'self'"],
  'connect-src': ["'self'"],
  'form-action': ["'self'", 'https:', 'mailto:'],
  'script-src': ["'self'"]
}

// The policy as text, cut where a page's nonce goes: a page only joins three strings.
const POLICY = Object.entries(DIRECTIVES).map(([k, v]) => `${k} ${v.join(' ')}${k === 'script-src' ? '\u0000' : ''}`).join('; ')
const [BEFORE_NONCE, AFTER_NONCE] = POLICY.split('\u0000') as [string, string]
const csp = (nonce?: string): string => nonce ? `${BEFORE_NONCE} 'nonce-${nonce}'${AFTER_NONCE}` : BEFORE_NONCE + AFTER_NONCE

// Nonces are cut from a buffer of random bytes refilled when used up: one system call per 256 pages.
const pool = Buffer.alloc(16 * 256)
let offset = pool.length
export function nextNonce (): string {
  if (offset >= pool.length) {
    randomFillSync(pool)
    offset = 0
  }
  const nonce = pool.toString('base64', offset, offset + 16)
  offset += 16
  return nonce
}

/** The headers helmet sets (all but the CSP, which carries a per-page nonce), computed once at start. */
function helmetHeaders (): Record<string, string> {
  const headers: Record<string, string> = {}
  const res = {
    setHeader: (name: string, value: string | number | string[]) => { headers[name.toLowerCase()] = String(value) },
    removeHeader: (name: string) => { delete headers[name.toLowerCase()] }
  }
  helmet({
    contentSecurityPolicy: false,
    strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
    referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
    crossOriginEmbedderPolicy: false
  })({} as IncomingMessage, res as unknown as ServerResponse, () => {})
  headers['permissions-policy'] = 'camera=(), microphone=(), geolocation=(), interest-cohort=()'
  return headers
}

const HELMET = helmetHeaders()
const HELMET_LIST = Object.entries(HELMET).flat()

/**
 * The security headers and the CSP (with a page's nonce, if it has one) as a flat [name, value, …] list, for a
 * response written straight to Node (the cached campaign page, event streams): Node takes such a list faster
 * than an object.
 */
export function securityHeaderList (nonce?: string): string[] {
  return [...HELMET_LIST, 'content-security-policy', csp(nonce)]
}
/** The Content-Security-Policy value with a page's nonce. */
export const cspWithNonce = (nonce: string): string => csp(nonce)

// The widget is the one page other sites may frame: its policy names them (frame-ancestors) and it goes without
// X-Frame-Options, which would refuse every other site (CSP's frame-ancestors wins where both are set, but older
// browsers only read X-Frame-Options; https://www.w3.org/TR/CSP3/#frame-ancestors-and-frame-options; checked 2026-12-04).
const EMBED_HELMET_LIST = Object.entries(HELMET).filter(([k]) => k !== 'x-frame-options').flat()

/** The Content-Security-Policy of a framable page: its nonce, and the sites allowed to frame it (`frame-ancestors`). */
export function embedCsp (nonce: string, ancestors: string): string {
  return `${BEFORE_ANCESTORS}frame-ancestors ${ancestors}${ANCESTORS_TO_NONCE} 'nonce-${nonce}'${AFTER_NONCE}`
}
// The policy cut where the framing sites go too (frame-ancestors comes before script-src): a widget view joins strings.
const [BEFORE_ANCESTORS, ANCESTORS_TO_NONCE] = BEFORE_NONCE.split("frame-ancestors 'none'") as [string, string]

/** The security headers of a framable page (no X-Frame-Options) as a flat list, its CSP last (see embedCsp). */
export function embedHeaderList (nonce: string, ancestors: string): string[] {
  return [...EMBED_HELMET_LIST, 'content-security-policy', embedCsp(nonce, ancestors)]
}

const HELMET_ENTRIES = Object.entries(HELMET)
const EMBED_ENTRIES = HELMET_ENTRIES.filter(([k]) => k !== 'x-frame-options')
const DEFAULT_CSP = csp()
const FRAMABLE = Symbol('framable')

/**
 * Security headers (helmet's set) and a strict CSP on every response Fastify sends; pages add a nonce. They are
 * set when the response goes out (onSend), so a response a route writes to Node itself pays nothing here and
 * carries the same list (securityHeaderList).
 */
export default fp(async (app) => {
  app.decorateReply('pageNonce', function () {
    const nonce = nextNonce()
    this.header('content-security-policy', csp(nonce))
    return nonce
  })
  app.decorateReply('framableNonce', function (ancestors: string) {
    const nonce = nextNonce()
    this.header('content-security-policy', embedCsp(nonce, ancestors));
    (this as unknown as Record<symbol, boolean>)[FRAMABLE] = true
    return nonce
  })
  // A callback hook, not an async one: it runs on every response, and needs no promise. A header the route set
  // itself stays (the widget's loader is a cross-origin resource).
  app.addHook('onSend', (_request, reply, payload, done) => {
    const entries = (reply as unknown as Record<symbol, boolean>)[FRAMABLE] ? EMBED_ENTRIES : HELMET_ENTRIES
    for (let i = 0; i < entries.length; i++) if (!reply.hasHeader(entries[i]![0])) reply.header(entries[i]![0], entries[i]![1])
    if (!reply.hasHeader('content-security-policy')) reply.header('content-security-policy', DEFAULT_CSP)
    done(null, payload)
  })
}, { name: 'security' })
