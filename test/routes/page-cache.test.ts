import { randomBytes } from 'node:crypto'
import { deflateRawSync, inflateSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { KEY_MARK, NONCE_MARK, acceptsDeflate, adler32, adler32Combine, createPageCache, type PageCache } from '../../server/routes/public/page-cache.ts'

const page = (n: number) => `<html><script nonce="${NONCE_MARK}"></script>${'<p>é climat 🌍</p>'.repeat(n)}<input name="key" value="${KEY_MARK}"><p>fin</p></html>`

// One page, taken and served: what a view of an uncached page does.
async function view (cache: PageCache, key: string, deps: readonly unknown[], html: string | (() => Promise<string>), nonce: string, deflate: boolean) {
  const build = typeof html === 'string' ? async () => html : html
  return cache.serve(await cache.take(key, deps, () => [], build), nonce, deflate)
}
const text = (r: { body: Buffer, deflated: boolean }) => r.deflated ? inflateSync(r.body).toString() : r.body.toString()

describe('page cache', () => {
  it('swaps a fresh key into every view and renders once per deps', async () => {
    const cache = createPageCache()
    let builds = 0
    const build = async () => { builds++; return page(3) }
    const deps = [{}, {}]
    const a = await view(cache, 'k', deps, build, 'NONCE1', false)
    const b = await view(cache, 'k', deps, build, 'NONCE2', false)
    expect(builds).toBe(1)
    expect(text(a)).toContain('nonce="NONCE1"')
    expect(text(a)).toContain(`value="${a.formKey}"`)
    expect(text(b)).toContain(`value="${b.formKey}"`)
    expect(text(b)).toContain('nonce="NONCE2"')
    expect(a.formKey).not.toBe(b.formKey)
    expect(text(a)).not.toContain(KEY_MARK)
    expect(text(a)).toBe(page(3).replace(NONCE_MARK, 'NONCE1').replace(KEY_MARK, a.formKey))
    await view(cache, 'k', [deps[0], {}], build, 'N', false)
    expect(builds).toBe(2)
  })

  it('answers next() only for a current slot whose turn is built, without rendering', async () => {
    const cache = createPageCache()
    const deps = [{}]
    expect(cache.next('k', deps)).toBeUndefined()
    const built: string[] = []
    const build = async (choice: string) => { built.push(choice); return `<p>${choice}</p><i nonce="${NONCE_MARK}"></i>` }
    const rotation = () => ['m1', 'm2', 'm3']
    // Each view takes the next turn: the first three render m1, m2, m3; then next() serves them in turn.
    for (let i = 0; i < 3; i++) await cache.take('k', deps, rotation, build)
    expect(built).toEqual(['m1', 'm2', 'm3'])
    const seen = [1, 2, 3, 4, 5, 6].map(() => text(cache.serve(cache.next('k', deps)!, 'n', false)).slice(3, 5))
    expect(seen).toEqual(['m1', 'm2', 'm3', 'm1', 'm2', 'm3'])
    expect(cache.size()).toBe(3)
    // Other deps: the slot is stale, next() answers nothing and the pages are dropped.
    expect(cache.next('k', [{}])).toBeUndefined()
    expect(cache.size()).toBe(0)
  })

  it('shares one render between views arriving together', async () => {
    const cache = createPageCache()
    let builds = 0
    let release!: () => void
    const gate = new Promise<void>((resolve) => { release = resolve })
    const build = async () => { builds++; await gate; return page(2) }
    const views = Array.from({ length: 5 }, () => cache.take('k', [], () => [], build))
    release()
    const pages = await Promise.all(views)
    expect(builds).toBe(1)
    expect(new Set(pages).size).toBe(1)
  })

  it('serves a valid zlib deflate stream that inflates to the same page', async () => {
    const cache = createPageCache()
    for (const n of [0, 1, 50, 5000]) {
      const html = page(n)
      const r = await view(cache, `k${n}`, [], html, 'abcNONCE', true)
      expect(r.deflated).toBe(true)
      const inflated = inflateSync(r.body).toString()
      expect(inflated).toBe(html.replace(NONCE_MARK, 'abcNONCE').replace(KEY_MARK, r.formKey))
      if (n === 5000) expect(r.body.length).toBeLessThan(Buffer.byteLength(inflated) / 20)
    }
  })

  it('gives every view its own bytes (a body is never shared or rewritten by a later view)', async () => {
    const cache = createPageCache()
    const p = await cache.take('k', [], () => [], async () => page(20))
    const a = cache.serve(p, 'AAAA', true)
    const before = Buffer.from(a.body)
    const b = cache.serve(p, 'BBBB', true)
    expect(a.body.equals(before)).toBe(true)
    expect(inflateSync(a.body).toString()).toContain('nonce="AAAA"')
    expect(inflateSync(b.body).toString()).toContain('nonce="BBBB"')
  })

  it('lets each deflated part point back into the parts before it, never into the per-view values', async () => {
    const cache = createPageCache()
    // Incompressible on its own, so only a back-reference across the cut can make the second copy cheap.
    const chunk = randomBytes(3000).toString('base64')
    const html = `<p>${chunk}</p><input name="key" value="${KEY_MARK}"><p>${chunk}</p><script nonce="${NONCE_MARK}"></script><p>${chunk}</p>`
    const r = await view(cache, 'k', [], html, 'abcNONCE', true)
    expect(inflateSync(r.body).toString()).toBe(html.replace(NONCE_MARK, 'abcNONCE').replace(KEY_MARK, r.formKey))
    expect(r.body.length).toBeLessThan(deflateRawSync(chunk).length * 1.2)
  })

  it('builds the bytes again when a value comes with another length, and stays right', async () => {
    const cache = createPageCache()
    const html = `<p>${'abc '.repeat(50)}</p><script nonce="${NONCE_MARK}"></script><p>${'abc '.repeat(50)}</p>`
    for (const nonce of ['short', 'a-much-longer-nonce-than-before', 'short']) {
      for (const deflate of [true, false]) expect(text(await view(cache, 'k', [], html, nonce, deflate))).toBe(html.replace(NONCE_MARK, nonce))
    }
  })

  it('keeps a page that holds NUL bytes right (no back-reference may land on a value)', async () => {
    const cache = createPageCache()
    // The same bytes as the page around the key, NULs in the key's place: a dictionary with NULs would match them.
    const html = `<p>#around#${KEY_MARK}#around#</p><p>#around#${'\u0000'.repeat(KEY_MARK.length)}#around#</p>`
    const r = await view(cache, 'k', [], html, 'n', true)
    expect(inflateSync(r.body).toString()).toBe(html.replace(KEY_MARK, r.formKey))
  })

  it('evicts the least recently used slots past its number of pages', async () => {
    const cache = createPageCache(2)
    let builds = 0
    const build = async () => { builds++; return page(1) }
    await view(cache, 'a', [], build, 'n', false)
    await view(cache, 'b', [], build, 'n', false)
    expect(cache.next('a', [])).toBeDefined()
    await view(cache, 'c', [], build, 'n', false)
    expect(builds).toBe(3)
    expect(cache.size()).toBe(2)
    expect(cache.next('a', [])).toBeDefined()
    expect(cache.next('b', [])).toBeUndefined()
    await view(cache, 'b', [], build, 'n', false)
    expect(builds).toBe(4)
  })
})

describe('adler32', () => {
  it('matches zlib and combines', () => {
    const a = Buffer.from('Hello, ')
    const b = Buffer.from('Bouteille! '.repeat(10_000))
    expect(adler32(Buffer.from('Wikipedia'))).toBe(0x11e60398)
    expect(adler32Combine(adler32(a), adler32(b), b.length)).toBe(adler32(Buffer.concat([a, b])))
  })
})

describe('acceptsDeflate', () => {
  it('reads Accept-Encoding', () => {
    expect(acceptsDeflate('gzip, deflate, br, zstd')).toBe(true)
    expect(acceptsDeflate('deflate;q=0.5')).toBe(true)
    expect(acceptsDeflate('*')).toBe(true)
    expect(acceptsDeflate('gzip, deflate;q=0')).toBe(false)
    expect(acceptsDeflate('gzip')).toBe(false)
    expect(acceptsDeflate(undefined)).toBe(false)
  })
})
