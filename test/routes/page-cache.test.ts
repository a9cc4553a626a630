import { randomBytes } from 'node:crypto'
import { deflateRawSync, inflateSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { KEY_MARK, NONCE_MARK, acceptsDeflate, adler32, adler32Combine, createPageCache } from '../../server/routes/public/page-cache.ts'

const page = (n: number) => `<html><script nonce="${NONCE_MARK}"></script>${'<p>é climat 🌍</p>'.repeat(n)}<input name="key" value="${KEY_MARK}"><p>fin</p></html>`

describe('page cache', () => {
  it('swaps a fresh key into every view and renders once per deps', async () => {
    const cache = createPageCache()
    let builds = 0
    const build = async () => { builds++; return page(3) }
    const deps = [{}, {}]
    const a = await cache.render('k', deps, build, 'NONCE1', false)
    const b = await cache.render('k', deps, build, 'NONCE2', false)
    expect(builds).toBe(1)
    expect(a.body).toContain('nonce="NONCE1"')
    expect(a.body).toContain(`value="${a.formKey}"`)
    expect(b.body).toContain(`value="${b.formKey}"`)
    expect(a.formKey).not.toBe(b.formKey)
    expect(String(a.body)).not.toContain(KEY_MARK)
    await cache.render('k', [deps[0], {}], build, 'N', false)
    expect(builds).toBe(2)
  })

  it('serves a valid zlib deflate stream that inflates to the same page', async () => {
    const cache = createPageCache()
    for (const n of [0, 1, 50, 5000]) {
      const html = page(n)
      const r = await cache.render(`k${n}`, [], async () => html, 'abcNONCE', true)
      expect(r.deflated).toBe(true)
      const text = inflateSync(r.body as Buffer).toString()
      expect(text).toBe(html.replace(NONCE_MARK, 'abcNONCE').replace(KEY_MARK, r.formKey))
      if (n === 5000) expect((r.body as Buffer).length).toBeLessThan(Buffer.byteLength(text) / 20)
    }
  })

  it('lets each deflated part point back into the parts before it, never into the per-view values', async () => {
    const cache = createPageCache()
    // Incompressible on its own, so only a back-reference across the cut can make the second copy cheap.
    const chunk = randomBytes(3000).toString('base64')
    const html = `<p>${chunk}</p><input name="key" value="${KEY_MARK}"><p>${chunk}</p><script nonce="${NONCE_MARK}"></script><p>${chunk}</p>`
    const r = await cache.render('k', [], async () => html, 'abcNONCE', true)
    const body = r.body as Buffer
    expect(inflateSync(body).toString()).toBe(html.replace(NONCE_MARK, 'abcNONCE').replace(KEY_MARK, r.formKey))
    expect(body.length).toBeLessThan(deflateRawSync(chunk).length * 1.2)
  })

  it('deflates again when a value comes with another length, and stays right', async () => {
    const cache = createPageCache()
    const html = `<p>${'abc '.repeat(50)}</p><script nonce="${NONCE_MARK}"></script><p>${'abc '.repeat(50)}</p>`
    for (const nonce of ['short', 'a-much-longer-nonce-than-before', 'short']) {
      const r = await cache.render('k', [], async () => html, nonce, true)
      expect(inflateSync(r.body as Buffer).toString()).toBe(html.replace(NONCE_MARK, nonce))
    }
  })

  it('keeps a page that holds NUL bytes right (no back-reference may land on a value)', async () => {
    const cache = createPageCache()
    // The same bytes as the page around the key, NULs in the key's place: a dictionary with NULs would match them.
    const html = `<p>#around#${KEY_MARK}#around#</p><p>#around#${'\u0000'.repeat(KEY_MARK.length)}#around#</p>`
    const r = await cache.render('k', [], async () => html, 'n', true)
    expect(inflateSync(r.body as Buffer).toString()).toBe(html.replace(KEY_MARK, r.formKey))
  })

  it('evicts the least recently used entry past its size', async () => {
    const cache = createPageCache(2)
    let builds = 0
    const build = async () => { builds++; return page(1) }
    await cache.render('a', [], build, 'n', false)
    await cache.render('b', [], build, 'n', false)
    await cache.render('a', [], build, 'n', false)
    await cache.render('c', [], build, 'n', false)
    expect(builds).toBe(3)
    await cache.render('a', [], build, 'n', false)
    expect(builds).toBe(3)
    await cache.render('b', [], build, 'n', false)
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
