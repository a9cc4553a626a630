import { randomUUID } from 'node:crypto'
import { constants, deflateRawSync } from 'node:zlib'

// Rendered into cached pages in place of the per-view values, then swapped for fresh ones on every view.
export const NONCE_MARK = 'n0nceMarkBouteille0000000'
export const KEY_MARK = '00000000-0000-4000-8000-0000b0u7e111'
const SPLIT = new RegExp(`(${NONCE_MARK}|${KEY_MARK})`)

interface DeflatedPart { data: Buffer, adler: number, length: number }

interface Entry {
  parts: string[]
  slots: string[]
  deps: readonly unknown[]
  /** each part as its own raw deflate run ending on a byte boundary, with its Adler-32 and length (built on the first deflated view) */
  deflated: DeflatedPart[] | null
  /** the byte lengths of the per-view values the runs were built for (their back-references skip over them) */
  valueLengths: number[]
}

export interface RenderedPage {
  /** the page as a string, or, when deflate was asked for, the zlib-wrapped deflate stream */
  body: string | Buffer
  deflated: boolean
  formKey: string
}

export type PageCache = ReturnType<typeof createPageCache>

/**
 * Keeps rendered pages whose only per-view values are the CSP nonce and the idempotency key, so a page view
 * costs two random values and a join. Each static part is also kept deflated: a compressed view is the parts'
 * deflate runs with the per-view values in stored blocks between them, and an Adler-32 combined from the
 * parts' — no compression work per view. Each run may refer back to the parts before it (see deflateParts), so
 * cutting the page costs next to nothing in size. An entry is rebuilt when any of its deps (the campaign's
 * content, its progress document) is no longer the same object.
 */
export function createPageCache (max = 500) {
  const entries = new Map<string, Entry>()
  const building = new Map<string, Promise<Entry>>()

  function lookup (key: string, deps: readonly unknown[]): Entry | undefined {
    const entry = entries.get(key)
    if (!entry || entry.deps.length !== deps.length || entry.deps.some((d, i) => d !== deps[i])) return undefined
    // Re-inserted last: the Map's order is the eviction order (least recently used first).
    entries.delete(key)
    entries.set(key, entry)
    return entry
  }

  function store (key: string, deps: readonly unknown[], html: string): Entry {
    const pieces = html.split(SPLIT)
    const parts = pieces.filter((_, i) => i % 2 === 0)
    const entry: Entry = { parts, slots: pieces.filter((_, i) => i % 2 === 1), deps, deflated: null, valueLengths: [] }
    entries.delete(key)
    if (entries.size >= max) entries.delete(entries.keys().next().value!)
    entries.set(key, entry)
    return entry
  }

  return {
    async render (key: string, deps: readonly unknown[], build: () => Promise<string>, nonce: string, deflate: boolean): Promise<RenderedPage> {
      let entry = lookup(key, deps)
      if (!entry) {
        // Views arriving together while the page renders share one render.
        let pending = building.get(key)
        if (!pending) {
          pending = build().then((html) => store(key, deps, html)).finally(() => building.delete(key))
          building.set(key, pending)
        }
        entry = await pending
      }
      const formKey = randomUUID()
      const values = entry.slots.map((s) => s === NONCE_MARK ? nonce : formKey)
      if (!deflate) {
        let html = entry.parts[0]!
        for (let i = 0; i < values.length; i++) html += values[i]! + entry.parts[i + 1]!
        return { body: html, deflated: false, formKey }
      }
      const buffers = values.map((v) => Buffer.from(v))
      // Nonces and keys keep their length from view to view; should one change, the runs are built again for it.
      if (!entry.deflated || buffers.some((b, i) => b.length !== entry!.valueLengths[i])) {
        entry.valueLengths = buffers.map((b) => b.length)
        entry.deflated = deflateParts(entry.parts, entry.valueLengths)
      }
      const deflated = entry.deflated
      const chunks: Buffer[] = [ZLIB_HEADER, deflated[0]!.data]
      let adler = deflated[0]!.adler
      for (let i = 0; i < buffers.length; i++) {
        const value = buffers[i]!
        chunks.push(storedBlock(value), deflated[i + 1]!.data)
        adler = adler32Combine(adler32Combine(adler, adler32(value), value.length), deflated[i + 1]!.adler, deflated[i + 1]!.length)
      }
      const trailer = Buffer.alloc(4)
      trailer.writeUInt32BE(adler >>> 0)
      chunks.push(FINAL_BLOCK, trailer)
      return { body: Buffer.concat(chunks), deflated: true, formKey }
    },
    size: () => entries.size
  }
}

const WINDOW = 32 * 1024

/**
 * Deflates each part as a raw run ending on a byte boundary, with the page before it as the preset dictionary,
 * so a run can point back into the earlier parts as one whole-page stream would. In the dictionary each per-view
 * value is NUL bytes of the value's length: the text never holds a NUL, so no back-reference can cover a spot
 * whose bytes change from view to view, and every distance still lands where the client's window has the same
 * bytes. A page with a NUL of its own is deflated part by part, with no dictionary.
 */
function deflateParts (parts: string[], valueLengths: number[]): DeflatedPart[] {
  const linked = !parts.some((p) => p.includes('\u0000'))
  let history = Buffer.alloc(0)
  return parts.map((p, i) => {
    const bytes = Buffer.from(p)
    const dictionary = linked && history.length > 0 ? history.subarray(Math.max(0, history.length - WINDOW)) : undefined
    const data = deflateRawSync(bytes, { level: 9, finishFlush: constants.Z_SYNC_FLUSH, ...(dictionary ? { dictionary } : {}) })
    if (linked && i < valueLengths.length) history = Buffer.concat([history.subarray(Math.max(0, history.length - WINDOW)), bytes, Buffer.alloc(valueLengths[i]!)])
    return { data, adler: adler32(bytes), length: bytes.length }
  })
}

/** Whether an Accept-Encoding header takes "deflate" (named, or "*", with a quality above 0). */
export function acceptsDeflate (header: string | undefined): boolean {
  if (!header) return false
  for (const item of header.split(',')) {
    const [name = '', ...params] = item.trim().toLowerCase().split(';')
    if (name.trim() !== 'deflate' && name.trim() !== '*') continue
    const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined)
    if (q === undefined || Number(q) > 0) return true
  }
  return false
}

// zlib stream header (deflate, 32K window, default level); a stored block of no data closed as the final one.
const ZLIB_HEADER = Buffer.from([0x78, 0x9c])
const FINAL_BLOCK = Buffer.from([0x01, 0x00, 0x00, 0xff, 0xff])

/** A non-final stored (uncompressed) deflate block: the previous run ended on a byte boundary (sync flush). */
function storedBlock (data: Buffer): Buffer {
  const head = Buffer.alloc(5)
  head[0] = 0x00
  head.writeUInt16LE(data.length, 1)
  head.writeUInt16LE(~data.length & 0xffff, 3)
  return Buffer.concat([head, data])
}

const BASE = 65521

/** Adler-32 (RFC 1950) of a buffer. */
export function adler32 (data: Buffer): number {
  let a = 1
  let b = 0
  for (let i = 0; i < data.length;) {
    // 3800 bytes keep the sums below 2^31 before the modulo, as zlib's NMAX does.
    const end = Math.min(i + 3800, data.length)
    for (; i < end; i++) {
      a += data[i]!
      b += a
    }
    a %= BASE
    b %= BASE
  }
  return ((b << 16) | a) >>> 0
}

/** The Adler-32 of two buffers one after the other, from each one's Adler-32 and the second one's length (zlib's adler32_combine). */
export function adler32Combine (adler1: number, adler2: number, length2: number): number {
  const rem = length2 % BASE
  let sum1 = adler1 & 0xffff
  let sum2 = (rem * sum1) % BASE
  sum1 += (adler2 & 0xffff) + BASE - 1
  sum2 += ((adler1 >>> 16) & 0xffff) + ((adler2 >>> 16) & 0xffff) + BASE - rem
  if (sum1 >= BASE) sum1 -= BASE
  if (sum1 >= BASE) sum1 -= BASE
  if (sum2 >= BASE * 2) sum2 -= BASE * 2
  if (sum2 >= BASE) sum2 -= BASE
  return ((sum2 << 16) | sum1) >>> 0
}
