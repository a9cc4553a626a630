import { randomUUID } from 'node:crypto'
import { brotliCompressSync, constants, deflateRawSync } from 'node:zlib'

// Rendered into cached pages in place of the per-view values, then swapped for fresh ones on every view.
export const NONCE_MARK = 'n0nceMarkBouteille0000000'
export const KEY_MARK = '00000000-0000-4000-8000-0000b0u7e111'
const SPLIT = new RegExp(`(${NONCE_MARK}|${KEY_MARK})`)

interface DeflatedPart { data: Buffer, adler: number, length: number }

interface Compressed {
  /** each part as its own raw deflate run ending on a byte boundary, with its Adler-32 and length */
  deflated: DeflatedPart[]
  /** the page up to the first per-view value as a brotli stream left open on a byte boundary; the rest goes uncompressed */
  brotliHead: Buffer
  /** the parts after the first value, as bytes */
  tail: Buffer[]
  /** the size of a view in each encoding */
  deflateSize: number
  brotliSize: number
  /** the byte lengths of the per-view values this was built for (the deflate runs' back-references skip over them) */
  valueLengths: number[]
}

interface Entry {
  parts: string[]
  slots: string[]
  deps: readonly unknown[]
  /** built on the first compressed view */
  compressed: Compressed | null
}

/** The content codings a page can be sent in. */
export type PageEncoding = 'br' | 'deflate'

export interface RenderedPage {
  /** the page as a string, or, when compressed, the brotli or zlib-wrapped deflate stream */
  body: string | Buffer
  encoding: PageEncoding | null
  formKey: string
}

export type PageCache = ReturnType<typeof createPageCache>

/**
 * Keeps rendered pages whose only per-view values are the CSP nonce and the idempotency key, so a page view
 * costs two random values and a join. Each static part is also kept compressed, so a compressed view costs no
 * compression work either. Deflate: the parts' runs with the per-view values in stored blocks between them, and
 * an Adler-32 combined from the parts'; each run may refer back to the parts before it (see deflateParts), so
 * cutting the page costs next to nothing. Brotli: the page up to the first value compressed once, then the rest
 * (values included) in uncompressed meta-blocks — smaller than deflate when the values come at the very end.
 * A view goes in whichever the client takes is smaller. An entry is rebuilt when any of its deps (the
 * campaign's content, its progress document) is no longer the same object.
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
    const entry: Entry = { parts, slots: pieces.filter((_, i) => i % 2 === 1), deps, compressed: null }
    entries.delete(key)
    if (entries.size >= max) entries.delete(entries.keys().next().value!)
    entries.set(key, entry)
    return entry
  }

  return {
    /** A view of the page: built once per key and deps, with a fresh key and the given nonce, in a coding of acceptEncoding. */
    async render (key: string, deps: readonly unknown[], build: () => Promise<string>, nonce: string, acceptEncoding: string | undefined): Promise<RenderedPage> {
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
      const br = acceptsEncoding(acceptEncoding, 'br')
      const deflate = acceptsEncoding(acceptEncoding, 'deflate')
      if (!br && !deflate) {
        let html = entry.parts[0]!
        for (let i = 0; i < values.length; i++) html += values[i]! + entry.parts[i + 1]!
        return { body: html, encoding: null, formKey }
      }
      const buffers = values.map((v) => Buffer.from(v))
      // Nonces and keys keep their length from view to view; should one change, the page is compressed again for it.
      let c = entry.compressed
      if (!c || buffers.some((b, i) => b.length !== c!.valueLengths[i])) c = entry.compressed = compress(entry.parts, buffers.map((b) => b.length))
      if (br && (!deflate || c.brotliSize < c.deflateSize)) {
        const rest: Buffer[] = []
        for (let i = 0; i < buffers.length; i++) rest.push(buffers[i]!, c.tail[i]!)
        return { body: Buffer.concat([c.brotliHead, ...uncompressedMetaBlocks(rest), BROTLI_LAST]), encoding: 'br', formKey }
      }
      const deflated = c.deflated
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
      return { body: Buffer.concat(chunks), encoding: 'deflate', formKey }
    },
    size: () => entries.size
  }
}

/** Both compressed forms of a page cut into parts, for per-view values of these byte lengths. */
function compress (parts: string[], valueLengths: number[]): Compressed {
  const deflated = deflateParts(parts, valueLengths)
  const head = Buffer.from(parts[0]!)
  // Flushed, not finished: the stream ends on a byte boundary and stays open for the uncompressed rest.
  const brotliHead = brotliCompressSync(head, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_LGWIN]: 22, [constants.BROTLI_PARAM_SIZE_HINT]: head.length },
    finishFlush: constants.BROTLI_OPERATION_FLUSH
  })
  const tail = parts.slice(1).map((p) => Buffer.from(p))
  const values = valueLengths.reduce((a, b) => a + b, 0)
  const rest = values + tail.reduce((a, b) => a + b.length, 0)
  return {
    deflated,
    brotliHead,
    tail,
    deflateSize: ZLIB_HEADER.length + deflated.reduce((a, d) => a + d.data.length, 0) + 5 * valueLengths.length + values + FINAL_BLOCK.length + 4,
    brotliSize: brotliHead.length + rest + 3 * Math.ceil(rest / BROTLI_BLOCK) + BROTLI_LAST.length,
    valueLengths
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

/** Whether an Accept-Encoding header takes a content coding (named, or "*", with a quality above 0). */
export function acceptsEncoding (header: string | undefined, coding: PageEncoding): boolean {
  if (!header) return false
  for (const item of header.split(',')) {
    const [name = '', ...params] = item.trim().toLowerCase().split(';')
    if (name.trim() !== coding && name.trim() !== '*') continue
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

// Brotli (RFC 7932): uncompressed meta-blocks of at most 64 KiB (a 20-bit header padded to 3 bytes), and the
// closing empty last meta-block (ISLAST and ISLASTEMPTY set).
const BROTLI_BLOCK = 65536
const BROTLI_LAST = Buffer.from([0x03])

/** Bytes as uncompressed brotli meta-blocks (headers in front of the pieces, not copied); the stream before them ended on a byte boundary. */
function uncompressedMetaBlocks (pieces: Buffer[]): Buffer[] {
  const length = pieces.reduce((n, p) => n + p.length, 0)
  if (length === 0) return []
  if (length <= BROTLI_BLOCK) return [metaBlockHeader(length), ...pieces]
  const data = Buffer.concat(pieces)
  const out: Buffer[] = []
  for (let at = 0; at < data.length; at += BROTLI_BLOCK) {
    const chunk = data.subarray(at, at + BROTLI_BLOCK)
    out.push(metaBlockHeader(chunk.length), chunk)
  }
  return out
}

/** ISLAST 0, MNIBBLES 4 (bits 00), MLEN - 1 on 16 bits, ISUNCOMPRESSED 1; the rest of the third byte is padding. */
function metaBlockHeader (length: number): Buffer {
  const bits = ((length - 1) << 3) | (1 << 19)
  return Buffer.from([bits & 0xff, (bits >>> 8) & 0xff, (bits >>> 16) & 0xff])
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
