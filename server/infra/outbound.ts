import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns'
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import ipaddr from 'ipaddr.js'
import { addressAllowed, hostAllowed, outboundProblem } from '../domain/listening.ts'

export class OutboundRefused extends Error {}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void

/**
 * A dns.lookup for sockets that refuses private, loopback and link-local addresses (the SSRF guard), except for
 * hosts in allowHosts. Checked on the address actually connected to, so a name re-pointed after a check does not pass.
 */
export function guardedLookup (allowed: boolean) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '')
      const list = addresses as LookupAddress[]
      const bad = list.find((a) => !addressAllowed(a.address, allowed))
      if (bad) return callback(Object.assign(new OutboundRefused(`${hostname} resolves to a private address (${bad.address}); allowed only for OUTBOUND_ALLOW_HOSTS`), { code: 'EREFUSED' }), '')
      if (options.all) return callback(null, list)
      const first = list[0]
      if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '')
      callback(null, first.address, first.family)
    })
  }
}

/** Checks an outbound URL (scheme, literal private addresses); throws OutboundRefused. Returns the lookup to connect with. */
export function checkOutbound (url: string, allowHosts: readonly string[]): { url: URL, lookup: ReturnType<typeof guardedLookup> } {
  const problem = outboundProblem(url, allowHosts)
  if (problem) throw new OutboundRefused(problem)
  const u = new URL(url)
  const allowed = hostAllowed(u, allowHosts)
  // A literal address is connected to without any lookup: check it here.
  const literal = u.hostname.replace(/^\[|\]$/g, '')
  if (ipaddr.isValid(literal) && !addressAllowed(literal, allowed)) throw new OutboundRefused(`${u.host} is a private address; allowed only for OUTBOUND_ALLOW_HOSTS`)
  return { url: u, lookup: guardedLookup(allowed) }
}

export interface JsonAnswer { status: number, headers: Record<string, string | undefined>, body: unknown }

/** GET a JSON document through the outbound guard, bounded in time and size; never follows redirects. */
export function getJson (url: string, { allowHosts, headers = {}, timeoutMs = 10_000, maxBytes = 2_000_000 }: {
  allowHosts: readonly string[]
  headers?: Record<string, string>
  timeoutMs?: number
  maxBytes?: number
}): Promise<JsonAnswer> {
  return new Promise((resolve, reject) => {
    let checked: ReturnType<typeof checkOutbound>
    try { checked = checkOutbound(url, allowHosts) } catch (err) { reject(err); return }
    const request = checked.url.protocol === 'https:' ? httpsRequest : httpRequest
    const req = request(checked.url, {
      method: 'GET',
      headers: { accept: 'application/json', 'user-agent': 'Bouteille (campaign listening)', ...headers },
      lookup: checked.lookup as never,
      timeout: timeoutMs
    }, (res) => {
      const chunks: Buffer[] = []
      let size = 0
      res.on('data', (c: Buffer) => {
        size += c.length
        if (size > maxBytes) { req.destroy(new Error(`answer over ${maxBytes} bytes`)); return }
        chunks.push(c)
      })
      res.on('error', reject)
      res.on('end', () => {
        const flat: Record<string, string | undefined> = {}
        for (const [k, v] of Object.entries(res.headers)) flat[k] = Array.isArray(v) ? v.join(', ') : v
        let body: unknown = null
        try { body = JSON.parse(Buffer.concat(chunks).toString('utf8')) } catch {}
        resolve({ status: res.statusCode ?? 0, headers: flat, body })
      })
    })
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)))
    req.on('error', reject)
    req.end()
  })
}
