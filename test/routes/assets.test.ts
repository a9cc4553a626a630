import { readFileSync } from 'node:fs'
import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, seedCampaign, type SeededCampaign } from '../helper.ts'

const file = (path: string): Buffer => readFileSync(new URL(`../../public/${path}`, import.meta.url))

describe('static files and first views', () => {
  let t: Awaited<ReturnType<typeof buildTestApp>>
  let c: SeededCampaign
  beforeAll(async () => {
    t = await buildTestApp()
    c = await seedCampaign(t.deps)
  })
  afterAll(async () => { await t.close() })

  const hashedUrls = (html: string): string[] => [...html.matchAll(/(?:href|src)="(\/assets\/[^"#]+)/g)].map((m) => m[1]!)

  it('pages link content-hashed assets, served for a year as immutable, brotli or gzip, decoding to the file', async () => {
    const page = await t.app.inject({ url: `/c/${c.slug}` })
    const urls = [...new Set(hashedUrls(page.body))]
    expect(urls).toEqual(expect.arrayContaining([expect.stringMatching(/^\/assets\/css\/app\.[0-9a-f]{10}\.css$/), expect.stringMatching(/^\/assets\/js\/campaign\.[0-9a-f]{10}\.js$/)]))
    const css = urls.find((u) => u.includes('/app.'))!
    for (const [encoding, decode] of [['br', brotliDecompressSync], ['gzip', gunzipSync]] as const) {
      const res = await t.app.inject({ url: css, headers: { 'accept-encoding': encoding } })
      expect(res.statusCode).toBe(200)
      expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable')
      expect(res.headers.vary).toBe('accept-encoding')
      expect(res.headers['content-encoding']).toBe(encoding)
      expect(res.headers['content-type']).toBe('text/css; charset=utf-8')
      // The stylesheet's own links to images are hashed too.
      const text = decode(res.rawPayload).toString()
      const waves = /\/assets\/img\/waves\.[0-9a-f]{10}\.svg/.exec(text)?.[0]
      expect(waves).toBeDefined()
      expect(text).toBe(file('css/app.css').toString().replaceAll('/assets/img/waves.svg', waves!))
      expect((await t.app.inject({ url: waves! })).headers['cache-control']).toBe('public, max-age=31536000, immutable')
    }
    const js = urls.find((u) => u.includes('/campaign.'))!
    const plain = await t.app.inject({ url: js })
    expect(plain.headers['content-encoding']).toBeUndefined()
    expect(plain.rawPayload.equals(file('js/campaign.js'))).toBe(true)
    expect((await t.app.inject({ url: js, headers: { 'if-none-match': String(plain.headers.etag) } })).statusCode).toBe(304)
  })

  it('old unhashed names keep working, with a short cache', async () => {
    const res = await t.app.inject({ url: '/assets/css/app.css', headers: { 'accept-encoding': 'gzip' } })
    expect(res.statusCode).toBe(200)
    expect(res.headers['cache-control']).toBe('public, max-age=3600')
    expect(res.headers['content-encoding']).toBe('gzip')
    expect((await t.app.inject({ url: '/assets/img/icons.svg' })).statusCode).toBe(200)
    expect((await t.app.inject({ url: '/assets/css/nope.css' })).statusCode).toBe(404)
    expect((await t.app.inject({ url: '/assets/../package.json' })).statusCode).toBe(404)
  })

  it('every HTML page goes out compressed when the client takes it', async () => {
    await t.app.inject({ method: 'POST', url: `/c/${c.slug}/act`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `target=${c.targets[0]!.id}&message=${c.messages[0]!.id}&key=${crypto.randomUUID()}&channel=bottle` })
    for (const url of ['/', `/c/${c.slug}/thanks`, `/c/${c.slug}/wall`, '/admin/login', '/nope']) {
      const plain = await t.app.inject({ url })
      const br = await t.app.inject({ url, headers: { 'accept-encoding': 'gzip, deflate, br' } })
      expect(br.headers['content-encoding'], url).toBe('br')
      expect(String(br.headers.vary), url).toMatch(/accept-encoding/)
      expect(br.statusCode, url).toBe(plain.statusCode)
      // Same page but for its per-view nonce (and, on the thank-you page, the supporter link's code made per view).
      const strip = (s: string): string => s.replace(/nonce="[^"]+"/g, '').replace(/name="_csrf" value="[^"]+"/g, '').replace(/(from=|link=|value="|data-code=")[A-Za-z0-9_-]{12}(?=["&])/g, '$1')
      expect(strip(brotliDecompressSync(br.rawPayload).toString()), url).toBe(strip(plain.body))
      const gz = await t.app.inject({ url, headers: { 'accept-encoding': 'gzip' } })
      expect(gz.headers['content-encoding'], url).toBe('gzip')
    }
  })

  it('answers /favicon.ico with a real icon and /robots.txt with the public pages open and private ones closed', async () => {
    const ico = await t.app.inject({ url: '/favicon.ico' })
    expect(ico.statusCode).toBe(200)
    expect(ico.headers['content-type']).toBe('image/x-icon')
    // ICONDIR: reserved 0, type 1 (icon), at least one image.
    expect([...ico.rawPayload.subarray(0, 4)]).toEqual([0, 0, 1, 0])
    expect(ico.rawPayload.readUInt16LE(4)).toBeGreaterThan(0)
    const robots = await t.app.inject({ url: '/robots.txt' })
    expect(robots.statusCode).toBe(200)
    expect(robots.body.split('\n')).toEqual(expect.arrayContaining(['User-agent: *', 'Allow: /', 'Disallow: /admin', 'Disallow: /p/', 'Disallow: /c/*/withdraw/']))
  })
})
