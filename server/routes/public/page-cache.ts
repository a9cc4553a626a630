import { randomUUID } from 'node:crypto'
import { constants, deflateRawSync } from 'node:zlib'

// Rendered into cached pages in place of the per-view values, then swapped for fresh ones on every view.
export const NONCE_MARK = 'n0nceMarkBouteille0000000'
export const KEY_MARK = '00000000-0000-4000-8000-0000b0u7e111'
// A page whose campaign asks the no-JS question (bot defence) also holds a fresh question and its signed token.
export const QUESTION_MARK = 'qu3stionMarkBouteille'
export const TOKEN_MARK = 't0kenMarkBouteille'
const SPLIT = new RegExp(`(${NONCE_MARK}|${KEY_MARK}|${QUESTION_MARK}|${TOKEN_MARK})`)

/** The per-view question of a page that asks one: the sum to show and its token (short ASCII both). */
export interface ViewQuestion { text: string, token: string }

interface DeflatedPart { data: Buffer, adler: number, length: number }

/** A page's bytes with a hole for each per-view value: a view copies it and writes its values in. */
interface Template {
  bytes: Buffer
  /** where each value goes */
  holes: number[]
  /** the byte lengths of the values it was built for */
  lengths: number[]
  /** deflated only: each static part's Adler-32 and length, and where the stream's Adler-32 goes */
  adlers?: Array<{ adler: number, length: number }>
}

/** A rendered page whose only per-view values are the CSP nonce and the idempotency key (and a question, see QUESTION_MARK). */
export interface CachedPage {
  parts: string[]
  /** which value goes between parts i and i+1 */
  slots: string[]
  plain: Template | null
  deflated: Template | null
}

interface Slot {
  deps: readonly unknown[]
  /** the choices (message variants) the slot's views take turns with */
  rotation: string[]
  turn: number
  pages: Map<string, CachedPage>
  building: Map<string, Promise<CachedPage>>
}

export interface RenderedPage {
  /** the page, or, when deflate was asked for, the zlib-wrapped deflate stream */
  body: Buffer
  deflated: boolean
  formKey: string
}

export type PageCache = ReturnType<typeof createPageCache>

/**
 * Keeps rendered pages whose only per-view values are the CSP nonce and the idempotency key, so a page view
 * costs two random values and one copy. A slot (a campaign page in one phase, language and selection) rotates
 * over its message variants, one cached page each. Each page is also kept deflated: a compressed view is the
 * parts' deflate runs with the per-view values in stored blocks between them, and an Adler-32 combined from the
 * parts' — no compression work per view. Each run may refer back to the parts before it (see deflateParts), so
 * cutting the page costs next to nothing in size. A slot is dropped when any of its deps (the campaign's
 * content, its progress document) is no longer the same object; past maxPages, the least recently used go.
 */
export function createPageCache (maxPages = 500) {
  const slots = new Map<string, Slot>()
  let pages = 0

  function current (key: string, deps: readonly unknown[]): Slot | undefined {
    const slot = slots.get(key)
    if (!slot) return undefined
    if (slot.deps.length === deps.length && slot.deps.every((d, i) => d === deps[i])) return slot
    drop(key, slot)
    return undefined
  }

  function drop (key: string, slot: Slot): void {
    slots.delete(key)
    pages -= slot.pages.size
  }

  // The Map's order is the eviction order: a slot is moved last when used, once the cache is half full
  // (below that nothing is evicted, so the order does not matter and views skip the move).
  function touch (key: string, slot: Slot): void {
    if (pages * 2 < maxPages) return
    slots.delete(key)
    slots.set(key, slot)
  }

  function keep (slot: Slot, choice: string, page: CachedPage): void {
    slot.pages.set(choice, page)
    pages++
    for (const [k, s] of slots) {
      if (pages <= maxPages) break
      if (s !== slot) drop(k, s)
    }
  }

  return {
    /** The slot's next page when it is current and built: the view's hot path, with no await and no render. */
    next (key: string, deps: readonly unknown[]): CachedPage | undefined {
      const slot = current(key, deps)
      if (!slot) return undefined
      const page = slot.pages.get(slot.rotation[slot.turn % slot.rotation.length]!)
      if (!page) return undefined
      slot.turn++
      touch(key, slot)
      return page
    },

    /**
     * The slot's next page, rendered by build(choice) when it is not cached yet (views arriving together share
     * one render). rotation() gives the choices when the slot is (re)made; an empty list means one page.
     */
    async take (key: string, deps: readonly unknown[], rotation: () => string[], build: (choice: string) => Promise<string>): Promise<CachedPage> {
      let slot = current(key, deps)
      if (!slot) {
        const choices = rotation()
        slot = { deps, rotation: choices.length > 0 ? choices : [''], turn: 0, pages: new Map(), building: new Map() }
        // Slots whose render failed hold no page: they are bounded apart.
        if (slots.size >= maxPages * 2) drop(slots.keys().next().value!, slots.values().next().value!)
        slots.set(key, slot)
      }
      const choice = slot.rotation[slot.turn++ % slot.rotation.length]!
      const cached = slot.pages.get(choice)
      if (cached) return cached
      let pending = slot.building.get(choice)
      if (!pending) {
        const s = slot
        pending = build(choice).then((html) => {
          const page = parse(html)
          if (slots.get(key) === s) keep(s, choice, page)
          return page
        }).finally(() => s.building.delete(choice))
        slot.building.set(choice, pending)
      }
      return pending
    },

    /** The page with a fresh idempotency key and the given nonce in (and a fresh question, if it asks one), deflated when asked. */
    serve (page: CachedPage, nonce: string, deflate: boolean, question?: () => ViewQuestion): RenderedPage {
      const formKey = randomUUID()
      const q = question && page.slots.includes(TOKEN_MARK) ? question() : null
      const values = page.slots.map((s) => s === NONCE_MARK ? nonce : s === KEY_MARK ? formKey : s === QUESTION_MARK ? q?.text ?? '' : q?.token ?? '')
      if (nonce.length > 1000) throw new Error('a page nonce is a short ASCII value')
      const template = deflate ? deflatedTemplate(page, values) : plainTemplate(page, values)
      const body = carve(template.bytes.length)
      template.bytes.copy(body)
      const adlers = template.adlers
      let adler = adlers ? adlers[0]!.adler : 0
      for (let i = 0; i < values.length; i++) {
        // The values are short ASCII: written and summed in one pass.
        const value = values[i]!
        const at = template.holes[i]!
        let a = 1
        let b = 0
        for (let j = 0; j < value.length; j++) {
          const byte = value.charCodeAt(j)
          body[at + j] = byte
          a += byte
          b += a
        }
        if (adlers) adler = adler32Combine(adler32Combine(adler, (((b % BASE) << 16) | (a % BASE)) >>> 0, value.length), adlers[i + 1]!.adler, adlers[i + 1]!.length)
      }
      if (adlers) body.writeUInt32BE(adler >>> 0, body.length - 4)
      return { body, deflated: deflate, formKey }
    },

    /** How many pages are kept. */
    size: () => pages
  }
}

// Views' bodies are cut from shared slabs, as Node's own pool does for small buffers: a page-sized allocation
// of its own costs a view more than the copy into it. A slab is freed once the last body cut from it is sent
// and dropped; every byte of a body is written before it is sent.
const SLAB_SIZE = 512 * 1024
let slab = Buffer.allocUnsafeSlow(SLAB_SIZE)
let slabUsed = 0

function carve (length: number): Buffer {
  if (length > SLAB_SIZE / 8) return Buffer.allocUnsafe(length)
  if (slabUsed + length > SLAB_SIZE) {
    slab = Buffer.allocUnsafeSlow(SLAB_SIZE)
    slabUsed = 0
  }
  const body = slab.subarray(slabUsed, slabUsed + length)
  // Keep the next body 8-byte aligned.
  slabUsed = (slabUsed + length + 7) & ~7
  return body
}

function parse (html: string): CachedPage {
  const pieces = html.split(SPLIT)
  return { parts: pieces.filter((_, i) => i % 2 === 0), slots: pieces.filter((_, i) => i % 2 === 1), plain: null, deflated: null }
}

// Nonces and keys are short ASCII (one character a byte, and short enough for Adler-32's sums to need no
// modulo on the way). Should a value change length, its template is built again.
const sameLengths = (t: Template | null, values: string[]): t is Template => t !== null && values.every((v, i) => v.length === t.lengths[i])

function plainTemplate (page: CachedPage, values: string[]): Template {
  if (sameLengths(page.plain, values)) return page.plain
  const chunks: Buffer[] = []
  const holes: number[] = []
  let at = 0
  page.parts.forEach((part, i) => {
    const bytes = Buffer.from(part)
    chunks.push(bytes)
    at += bytes.length
    if (i < values.length) {
      holes.push(at)
      chunks.push(Buffer.alloc(values[i]!.length))
      at += values[i]!.length
    }
  })
  page.plain = { bytes: Buffer.concat(chunks), holes, lengths: values.map((v) => v.length) }
  return page.plain
}

function deflatedTemplate (page: CachedPage, values: string[]): Template {
  if (sameLengths(page.deflated, values)) return page.deflated
  const lengths = values.map((v) => v.length)
  const runs = deflateParts(page.parts, lengths)
  const chunks: Buffer[] = [ZLIB_HEADER, runs[0]!.data]
  const holes: number[] = []
  let at = ZLIB_HEADER.length + runs[0]!.data.length
  for (let i = 0; i < values.length; i++) {
    chunks.push(storedBlockHead(lengths[i]!), Buffer.alloc(lengths[i]!), runs[i + 1]!.data)
    holes.push(at + 5)
    at += 5 + lengths[i]! + runs[i + 1]!.data.length
  }
  chunks.push(FINAL_BLOCK, Buffer.alloc(4))
  page.deflated = { bytes: Buffer.concat(chunks), holes, lengths, adlers: runs.map((r) => ({ adler: r.adler, length: r.length })) }
  return page.deflated
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

const deflateAnswers = new Map<string, boolean>()

/** Whether an Accept-Encoding header takes "deflate" (named, or "*", with a quality above 0). Browsers send a handful of distinct headers: each is read once. */
export function acceptsDeflate (header: string | undefined): boolean {
  if (!header) return false
  let answer = deflateAnswers.get(header)
  if (answer === undefined) {
    answer = readAcceptEncoding(header)
    if (deflateAnswers.size >= 256) deflateAnswers.clear()
    deflateAnswers.set(header, answer)
  }
  return answer
}

function readAcceptEncoding (header: string): boolean {
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

/** The head of a non-final stored (uncompressed) deflate block of `length` bytes (the run before it ended on a byte boundary). */
function storedBlockHead (length: number): Buffer {
  const head = Buffer.alloc(5)
  head[0] = 0x00
  head.writeUInt16LE(length, 1)
  head.writeUInt16LE(~length & 0xffff, 3)
  return head
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
