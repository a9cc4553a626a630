import { runInNewContext } from 'node:vm'
import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { measureLength } from '../../server/domain/networks/index.ts'
import { buildTestApp } from '../helper.ts'

// /assets/js/networks.js is the server's own network rules, bundled once at start, cached and compressed (brotli, gzip).
describe('GET /assets/js/networks.js', () => {
  let t: Awaited<ReturnType<typeof buildTestApp>>
  beforeAll(async () => { t = await buildTestApp() })
  afterAll(async () => { await t.close() })

  it('serves the bundle: the same counts as the server, compressed when asked, 304 when unchanged', async () => {
    const plain = await t.app.inject({ url: '/assets/js/networks.js' })
    expect(plain.statusCode).toBe(200)
    expect(plain.headers['content-type']).toBe('text/javascript; charset=utf-8')
    expect(plain.headers['cache-control']).toMatch(/max-age=[1-9]/)
    const sandbox: { BouteilleNetworks?: { measureLength: typeof measureLength } } = {}
    runInNewContext(plain.body, Object.assign(sandbox, { globalThis: sandbox, TextEncoder, Intl, URL }))
    for (const [channel, text] of [['x', 'Voir bouteille.berlin maintenant'], ['bluesky', 'a https://bouteille.org/c/une-tres-longue-campagne'], ['mastodon', '@a@b.social https://bout.fr/ab'], ['threads', '🌍 Agissez']] as const) {
      expect(sandbox.BouteilleNetworks!.measureLength(channel, text), `${channel} ${text}`).toBe(measureLength(channel, text))
    }
    const gzipped = await t.app.inject({ url: '/assets/js/networks.js', headers: { 'accept-encoding': 'gzip, deflate' } })
    expect(gzipped.headers['content-encoding']).toBe('gzip')
    expect(gunzipSync(gzipped.rawPayload).toString()).toBe(plain.body)
    expect(gzipped.rawPayload.length).toBeLessThan(plain.body.length / 2)
    const brotli = await t.app.inject({ url: '/assets/js/networks.js', headers: { 'accept-encoding': 'gzip, deflate, br, zstd' } })
    expect(brotli.headers['content-encoding']).toBe('br')
    expect(brotliDecompressSync(brotli.rawPayload).toString()).toBe(plain.body)
    const again = await t.app.inject({ url: '/assets/js/networks.js', headers: { 'if-none-match': String(plain.headers.etag) } })
    expect(again.statusCode).toBe(304)
  })
})
