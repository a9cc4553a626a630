import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eq } from 'drizzle-orm'
import jsQRModule from 'jsqr'
import { startWorker, type RunningWorker } from '../../jobs/main.ts'
import { campaignTexts } from '../../server/db/schema.ts'
import { actBody, buildTestApp, eventually, seedCampaign, type SeededCampaign } from '../helper.ts'

/** Pixels of the card's lower half in the bar's colour (#f2c14e): the filled part of the bar (the hashtag, also that colour, is at the top). */
async function barPixels (png: Buffer): Promise<number> {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true })
  let n = 0
  for (let y = Math.floor(info.height / 2); y < info.height; y++) {
    for (let x = 0; x < info.width; x++) {
      const i = (y * info.width + x) * info.channels
      if (Math.abs(data[i]! - 0xf2) < 8 && Math.abs(data[i + 1]! - 0xc1) < 8 && Math.abs(data[i + 2]! - 0x4e) < 8) n++
    }
  }
  return n
}

/** The mean absolute difference of two images' pixels (0–255), region: a box in pixels. */
async function difference (a: Buffer, b: Buffer, box?: { left: number, top: number, width: number, height: number }): Promise<number> {
  const raw = async (png: Buffer) => (box ? sharp(png).extract(box) : sharp(png)).removeAlpha().raw().toBuffer()
  const [x, y] = await Promise.all([raw(a), raw(b)])
  expect(x.length).toBe(y.length)
  let sum = 0
  for (let i = 0; i < x.length; i++) sum += Math.abs(x[i]! - y[i]!)
  return sum / x.length
}

// jsqr is CommonJS: its module.exports is the function its types call `default`.
const jsQR = jsQRModule as unknown as typeof jsQRModule.default

async function decodeQr (png: Buffer): Promise<string | undefined> {
  const { data, info } = await sharp(png).ensureAlpha().raw().toBuffer({ resolveWithObject: true })
  return jsQR(new Uint8ClampedArray(data.buffer, data.byteOffset, data.length), info.width, info.height)?.data
}

describe('share cards and QR codes', () => {
  let t: Awaited<ReturnType<typeof buildTestApp>>
  let c: SeededCampaign
  let worker: RunningWorker
  beforeAll(async () => {
    t = await buildTestApp()
    c = await seedCampaign(t.deps, { goal: 100 })
    worker = await startWorker(t.deps)
  })
  afterAll(async () => {
    await worker.close()
    await t.close()
  })

  const get = (url: string, headers: Record<string, string> = {}) => t.app.inject({ url, headers })

  it('draws each format at its size, as PNG', async () => {
    for (const [query, width, height] of [['', 1200, 630], ['?format=square', 1080, 1080], ['?format=story', 1080, 1920]] as const) {
      const res = await get(`/c/${c.slug}/card.png${query}`)
      expect(res.statusCode, query).toBe(200)
      expect(res.headers['content-type']).toBe('image/png')
      expect(res.headers['set-cookie']).toBeUndefined()
      const meta = await sharp(res.rawPayload).metadata()
      expect([meta.format, meta.width, meta.height]).toEqual(['png', width, height])
    }
  })

  it('answers a bad format 400, an unknown target or campaign 404, never a 500', async () => {
    expect((await get(`/c/${c.slug}/card.png?format=huge`)).statusCode).toBe(400)
    expect((await get(`/c/${c.slug}/card.png?format=square&format=story`)).statusCode).toBe(400)
    expect((await get(`/c/${c.slug}/card.png?target=nobody`)).statusCode).toBe(404)
    expect((await get('/c/nothing-here/card.png')).statusCode).toBe(404)
    const draft = await seedCampaign(t.deps, { status: 'draft' })
    expect((await get(`/c/${draft.slug}/card.png`)).statusCode).toBe(404)
    const json = await get(`/c/${c.slug}/card.png?format=huge`, { accept: 'application/json' })
    expect(json.json()).toHaveProperty('error')
  })

  it('serves a card from its cache until the count moves a step, then draws it once more', async () => {
    const url = `/c/${c.slug}/card.png?lang=en`
    const first = await get(url)
    const rendersAfterFirst = t.deps.cards.stats().renders
    const again = await get(url)
    expect(again.headers.etag).toBe(first.headers.etag)
    expect(Buffer.compare(again.rawPayload, first.rawPayload)).toBe(0)
    expect(t.deps.cards.stats().renders).toBe(rendersAfterFirst)
    expect(await barPixels(first.rawPayload)).toBe(0)

    // A browser that has it gets a 304; the versioned URL may be kept for good, another one briefly.
    const version = first.headers.etag!.replace(/"/g, '')
    expect((await get(url, { 'if-none-match': first.headers.etag! })).statusCode).toBe(304)
    expect((await get(`${url}&v=${version}`)).headers['cache-control']).toBe('public, max-age=31536000, immutable')
    expect(first.headers['cache-control']).toBe('public, max-age=300')

    // Goal 100: five sends fill the first step of the bar.
    for (let i = 0; i < 5; i++) {
      const res = await t.app.inject({ method: 'POST', url: `/c/${c.slug}/act`, headers: { accept: 'application/json' }, payload: actBody(c) })
      expect(res.statusCode).toBe(201)
    }
    await eventually(async () => (await t.deps.progressHub.get(c.id))?.progress.total === 5)
    const moved = await get(url)
    expect(moved.headers.etag).not.toBe(first.headers.etag)
    expect(t.deps.cards.stats().renders).toBe(rendersAfterFirst + 1)
    expect(await barPixels(moved.rawPayload)).toBeGreaterThan(1000)
    // The old version's URL now gets today's card, short-lived.
    const old = await get(`${url}&v=${version}`)
    expect(old.headers.etag).toBe(moved.headers.etag)
    expect(old.headers['cache-control']).toBe('public, max-age=300')
  })

  it('draws concurrent views of a new card once', async () => {
    const before = t.deps.cards.stats().renders
    const views = await Promise.all(Array.from({ length: 8 }, () => get(`/c/${c.slug}/card.png?format=square&lang=fr`)))
    expect(new Set(views.map((v) => v.headers.etag)).size).toBe(1)
    expect(t.deps.cards.stats().renders).toBe(before + 1)
  })

  it('names the target on a target’s card', async () => {
    const [alice, bongani] = [c.targets[0]!, c.targets[1]!]
    const a = await get(`/c/${c.slug}/card.png?lang=en&target=${alice.id}`)
    const b = await get(`/c/${c.slug}/card.png?lang=en&target=${bongani.id}`)
    expect(a.statusCode).toBe(200)
    const progress = (await t.deps.progressHub.get(c.id))!.progress
    const model = t.deps.cards.model(await t.deps.catalog.get(c.slug) as never, progress, { locale: 'en', format: 'landscape', target: { ...alice, role: {}, organisation: '', country: '', photoUrl: null, email: null, groups: [] } as never })
    expect(model.headline).toBe('5 messages to Alice Martin')
    // Two names, two images: they differ where the headline is drawn, not in the title above it.
    const headline = { left: 0, top: 350, width: 1200, height: 120 }
    expect(await difference(a.rawPayload, b.rawPayload, headline)).toBeGreaterThan(2)
    expect(await difference(a.rawPayload, b.rawPayload, { left: 0, top: 170, width: 1200, height: 130 })).toBeLessThan(0.5)
  })

  it('draws Arabic and Japanese titles with their own glyphs (no tofu), as the reference renders', async () => {
    for (const [locale, title, fixture] of [['fr', 'المناخ لا ينتظر', 'card-arabic.png'], ['en', '気候は待ってくれない', 'card-japanese.png']] as const) {
      await t.deps.db.update(campaignTexts).set({ title }).where(eq(campaignTexts.campaignId, c.id)).execute()
      await t.deps.announceCampaign(c.slug)
      await eventually(async () => (await t.deps.catalog.get(c.slug))?.texts.fr?.title === title)
      const res = await get(`/c/${c.slug}/card.png?lang=${locale}&format=square`)
      expect(res.statusCode).toBe(200)
      const reference = await sharp(new URL(`../fixtures/${fixture}`, import.meta.url).pathname).png().toBuffer()
      // The title's band: the reference holds the right glyphs; a missing glyph draws a box (tofu) and differs by far more.
      const band = { left: 0, top: 300, width: 1080, height: 480 }
      expect(await difference(res.rawPayload, reference, band), fixture).toBeLessThan(1.5)
    }
  })

  it('encodes the campaign link with its language and ref in the QR code, PNG and SVG', async () => {
    const png = await get(`/c/${c.slug}/qr.png?ref=flyer-42&lang=en`)
    expect(png.statusCode).toBe(200)
    expect(png.headers['content-type']).toBe('image/png')
    expect(png.headers['cache-control']).toBe('public, max-age=86400')
    expect(png.headers.etag).toBeTruthy()
    expect(await decodeQr(png.rawPayload)).toBe(`http://bouteille.test/c/${c.slug}?lang=en&ref=flyer-42`)

    const svg = await get(`/c/${c.slug}/qr.svg?ref=partner_1`)
    expect(svg.headers['content-type']).toBe('image/svg+xml; charset=utf-8')
    expect(svg.body).toMatch(/^<svg /)
    expect(await decodeQr(await sharp(svg.rawPayload).resize(800).png().toBuffer())).toBe(`http://bouteille.test/c/${c.slug}?ref=partner_1`)
    expect((await get(`/c/${c.slug}/qr.svg?ref=partner_1`, { 'if-none-match': svg.headers.etag! })).statusCode).toBe(304)
  })

  it('refuses a QR code of a link that would not work', async () => {
    expect((await get(`/c/${c.slug}/qr.png?ref=${encodeURIComponent('<script>')}`)).statusCode).toBe(400)
    expect((await get(`/c/${c.slug}/qr.svg?lang=xx-nope`)).statusCode).toBe(400)
    expect((await get('/c/nothing-here/qr.svg')).statusCode).toBe(404)
  })
})
