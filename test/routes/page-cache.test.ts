import { randomBytes } from 'node:crypto'
import { brotliDecompressSync, deflateRawSync, inflateSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { KEY_MARK, NONCE_MARK, acceptsEncoding, adler32, adler32Combine, createPageCache } from '../../server/routes/public/page-cache.ts'

const page = (n: number) => `<html><script nonce="${NONCE_MARK}"></script>${'<p>é climat 🌍</p>'.repeat(n)}<input name="key" value="${KEY_MARK}"><p>fin</p></html>`

describe('page cache', () => {
  it('swaps a fresh key into every view and renders once per deps', async () => {
    const cache = createPageCache()
    let builds = 0
    const build = async () => { builds++; return page(3) }
    const deps = [{}, {}]
    const a = await cache.render('k', deps, build, 'NONCE1', undefined)
    const b = await cache.render('k', deps, build, 'NONCE2', undefined)
    expect(builds).toBe(1)
    expect(a.body).toContain('nonce="NONCE1"')
    expect(a.body).toContain(`value="${a.formKey}"`)
    expect(b.body).toContain(`value="${b.formKey}"`)
    expect(a.formKey).not.toBe(b.formKey)
    expect(String(a.body)).not.toContain(KEY_MARK)
    await cache.render('k', [deps[0], {}], build, 'N', undefined)
    expect(builds).toBe(2)
  })

  it('serves a valid zlib deflate stream that inflates to the same page', async () => {
    const cache = createPageCache()
    for (const n of [0, 1, 50, 5000]) {
      const html = page(n)
      const r = await cache.render(`k${n}`, [], async () => html, 'abcNONCE', 'deflate')
      expect(r.encoding).toBe('deflate')
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
    const r = await cache.render('k', [], async () => html, 'abcNONCE', 'deflate')
    const body = r.body as Buffer
    expect(inflateSync(body).toString()).toBe(html.replace(NONCE_MARK, 'abcNONCE').replace(KEY_MARK, r.formKey))
    expect(body.length).toBeLessThan(deflateRawSync(chunk).length * 1.2)
  })

  it('deflates again when a value comes with another length, and stays right', async () => {
    const cache = createPageCache()
    const html = `<p>${'abc '.repeat(50)}</p><script nonce="${NONCE_MARK}"></script><p>${'abc '.repeat(50)}</p>`
    for (const nonce of ['short', 'a-much-longer-nonce-than-before', 'short']) {
      const r = await cache.render('k', [], async () => html, nonce, 'deflate')
      expect(inflateSync(r.body as Buffer).toString()).toBe(html.replace(NONCE_MARK, nonce))
    }
  })

  it('keeps a page that holds NUL bytes right (no back-reference may land on a value)', async () => {
    const cache = createPageCache()
    // The same bytes as the page around the key, NULs in the key's place: a dictionary with NULs would match them.
    const html = `<p>#around#${KEY_MARK}#around#</p><p>#around#${'\u0000'.repeat(KEY_MARK.length)}#around#</p>`
    const r = await cache.render('k', [], async () => html, 'n', 'deflate')
    expect(inflateSync(r.body as Buffer).toString()).toBe(html.replace(KEY_MARK, r.formKey))
  })

  it('evicts the least recently used entry past its size', async () => {
    const cache = createPageCache(2)
    let builds = 0
    const build = async () => { builds++; return page(1) }
    await cache.render('a', [], build, 'n', undefined)
    await cache.render('b', [], build, 'n', undefined)
    await cache.render('a', [], build, 'n', undefined)
    await cache.render('c', [], build, 'n', undefined)
    expect(builds).toBe(3)
    await cache.render('a', [], build, 'n', undefined)
    expect(builds).toBe(3)
    await cache.render('b', [], build, 'n', undefined)
    expect(builds).toBe(4)
  })
})

describe('page cache, brotli', () => {
  it('serves a valid brotli stream: the page compressed up to the first value, the rest as it is', async () => {
    const cache = createPageCache()
    for (const n of [0, 1, 50, 5000]) {
      const html = `${'<p>é climat 🌍</p>'.repeat(n)}<script nonce="${NONCE_MARK}"></script><input name="key" value="${KEY_MARK}"><p>fin</p>`
      const r = await cache.render(`k${n}`, [], async () => html, 'abcNONCE', 'gzip, deflate, br')
      expect(r.encoding).toBe('br')
      expect(brotliDecompressSync(r.body as Buffer).toString()).toBe(html.replace(NONCE_MARK, 'abcNONCE').replace(KEY_MARK, r.formKey))
      if (n === 5000) expect((r.body as Buffer).length).toBeLessThan(300)
    }
  })

  it('carries a long rest in several uncompressed meta-blocks, and a page with no value at all', async () => {
    const cache = createPageCache()
    const rest = randomBytes(150_000).toString('hex')
    const html = `<p>début</p><input name="key" value="${KEY_MARK}">${rest}`
    const r = await cache.render('long', [], async () => html, 'n', 'br')
    expect(r.encoding).toBe('br')
    expect(brotliDecompressSync(r.body as Buffer).toString()).toBe(html.replace(KEY_MARK, r.formKey))
    const plain = await cache.render('plain', [], async () => '<p>no value here</p>', 'n', 'br')
    expect(brotliDecompressSync(plain.body as Buffer).toString()).toBe('<p>no value here</p>')
  })

  it('sends whichever accepted coding is smaller: deflate when much of the page follows a value', async () => {
    const cache = createPageCache()
    const late = `${'<li>une cible</li>'.repeat(400)}<input name="key" value="${KEY_MARK}">`
    const early = `<input name="key" value="${KEY_MARK}">${'<li>une cible</li>'.repeat(400)}`
    expect((await cache.render('late', [], async () => late, 'n', 'gzip, deflate, br')).encoding).toBe('br')
    const r = await cache.render('early', [], async () => early, 'n', 'gzip, deflate, br')
    expect(r.encoding).toBe('deflate')
    expect(inflateSync(r.body as Buffer).toString()).toBe(early.replace(KEY_MARK, r.formKey))
    // A client that takes brotli alone still gets it.
    const only = await cache.render('early', [], async () => early, 'n', 'br')
    expect(only.encoding).toBe('br')
    expect(brotliDecompressSync(only.body as Buffer).toString()).toBe(early.replace(KEY_MARK, only.formKey))
    expect((await cache.render('early', [], async () => early, 'n', 'gzip')).encoding).toBe(null)
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

describe('acceptsEncoding', () => {
  it('reads Accept-Encoding', () => {
    expect(acceptsEncoding('gzip, deflate, br, zstd', 'deflate')).toBe(true)
    expect(acceptsEncoding('gzip, deflate, br, zstd', 'br')).toBe(true)
    expect(acceptsEncoding('deflate;q=0.5', 'deflate')).toBe(true)
    expect(acceptsEncoding('*', 'deflate')).toBe(true)
    expect(acceptsEncoding('*', 'br')).toBe(true)
    expect(acceptsEncoding('gzip, deflate;q=0', 'deflate')).toBe(false)
    expect(acceptsEncoding('gzip, br;q=0', 'br')).toBe(false)
    expect(acceptsEncoding('gzip, deflate', 'br')).toBe(false)
    expect(acceptsEncoding('gzip', 'deflate')).toBe(false)
    expect(acceptsEncoding(undefined, 'deflate')).toBe(false)
  })
})
