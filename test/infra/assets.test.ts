import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import { afterAll, describe, expect, it } from 'vitest'
import { loadAssets, preferredEncoding } from '../../server/infra/assets.ts'

describe('preferredEncoding', () => {
  it('prefers brotli, then gzip, honours q=0 and *', () => {
    expect(preferredEncoding('gzip, deflate, br, zstd')).toBe('br')
    expect(preferredEncoding('gzip, deflate')).toBe('gzip')
    expect(preferredEncoding('br;q=0, gzip;q=0.5')).toBe('gzip')
    expect(preferredEncoding('deflate')).toBeNull()
    expect(preferredEncoding('identity')).toBeNull()
    expect(preferredEncoding('*')).toBe('br')
    expect(preferredEncoding('*, br;q=0')).toBe('gzip')
    expect(preferredEncoding('gzip;q=0, *;q=0')).toBeNull()
    expect(preferredEncoding(undefined)).toBeNull()
    expect(preferredEncoding('')).toBeNull()
  })
})

describe('loadAssets', () => {
  const root = mkdtempSync(join(tmpdir(), 'assets-'))
  afterAll(() => rmSync(root, { recursive: true, force: true }))

  it('names files by content, hashes the stylesheets’ links, compresses what is worth it', async () => {
    mkdirSync(join(root, 'css'))
    mkdirSync(join(root, 'img'))
    writeFileSync(join(root, 'img', 'a.svg'), `<svg xmlns="http://www.w3.org/2000/svg">${'<path d="M0 0h10v10z"/>'.repeat(50)}</svg>`)
    writeFileSync(join(root, 'css', 'app.css'), '.a { background: url("/assets/img/a.svg"); } .b { background: url("/assets/img/none.svg"); }\n'.repeat(20))
    writeFileSync(join(root, 'tiny.txt'), 'x')
    writeFileSync(join(root, 'notes.md'), 'not served')
    const store = await loadAssets(root, [{ path: 'js/gen.js', body: Buffer.from('console.log(1)\n'.repeat(100)) }])
    const svg = store.url('img/a.svg')
    expect(svg).toMatch(/^\/assets\/img\/a\.[0-9a-f]{10}\.svg$/)
    const css = store.find(store.url('css/app.css').slice('/assets/'.length))!
    expect(css.hashed).toBe(true)
    expect(css.asset.body.toString()).toContain(`url("${svg}")`)
    // An unknown path stays as written.
    expect(css.asset.body.toString()).toContain('url("/assets/img/none.svg")')
    expect(brotliDecompressSync(css.asset.br!).equals(css.asset.body)).toBe(true)
    expect(gunzipSync(css.asset.gzip!).equals(css.asset.body)).toBe(true)
    expect(store.find('css/app.css')).toEqual({ asset: css.asset, hashed: false })
    expect(store.find('js/gen.js')!.asset.type).toBe('text/javascript; charset=utf-8')
    // Compressing one byte would make it longer: kept plain.
    expect(store.find('tiny.txt')!.asset.br).toBeNull()
    expect(store.find('notes.md')).toBeUndefined()
    expect(store.hashPaths('<link href="/assets/css/app.css"><use href="/assets/img/a.svg#x"/>')).toBe(`<link href="${store.url('css/app.css')}"><use href="${svg}#x"/>`)
  })
})
