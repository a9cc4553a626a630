import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { actBody, buildTestApp, pageText, seedCampaign, type SeededCampaign } from '../helper.ts'

const FORM = { 'content-type': 'application/x-www-form-urlencoded' }

describe('POST /c/:slug/act from another site', () => {
  let t: Awaited<ReturnType<typeof buildTestApp>>
  let c: SeededCampaign

  beforeAll(async () => {
    t = await buildTestApp({ EMBED_ORIGINS: 'https://partner.example' })
    c = await seedCampaign(t.deps)
  })
  afterAll(async () => { await t.close() })

  const send = (headers: Record<string, string>, extra: Record<string, string> = {}) => {
    const body = actBody(c, extra)
    return t.app.inject({ method: 'POST', url: `/c/${c.slug}/act`, headers: { ...FORM, ...headers }, payload: new URLSearchParams(body).toString() })
      .then((res) => ({ res, key: body.key! }))
  }
  const rowsFor = async (key: string) => (await t.deps.pool.query('SELECT id FROM actions WHERE key = $1', [key])).rowCount
  const bottleRows = async () => (await t.deps.pool.query('SELECT count(*)::int AS n FROM bottle_messages WHERE campaign_id = $1', [c.id])).rows[0].n

  it('refuses an auto-submitted cross-site form with 403, records nothing and redirects nowhere', async () => {
    const bottleBefore = await bottleRows()
    for (const headers of <Array<Record<string, string>>>[
      { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'cross-site', origin: 'null' },
      { origin: 'https://evil.example' },
      { 'sec-fetch-site': 'same-site', origin: 'https://shop.bouteille.test' }
    ]) {
      const { res, key } = await send(headers, { channel: 'mastodon', instance: 'https://evil.example', bottle_copy: 'on' })
      expect(res.statusCode, JSON.stringify(headers)).toBe(403)
      expect(res.headers.location).toBeUndefined()
      expect(await rowsFor(key)).toBe(0)
    }
    expect(await bottleRows()).toBe(bottleBefore)
  })

  it('says why in the supporter’s language (the campaign’s by default), as HTML or JSON', async () => {
    const fr = await send({ 'sec-fetch-site': 'cross-site' })
    expect(pageText(fr.res.body)).toContain('Cet envoi vient d’un autre site')
    const en = await send({ 'sec-fetch-site': 'cross-site', 'accept-language': 'en' })
    expect(pageText(en.res.body)).toContain('This send came from another site')
    const json = await send({ origin: 'https://evil.example', accept: 'application/json', 'accept-language': 'en' })
    expect(json.res.statusCode).toBe(403)
    expect(json.res.json()).toEqual({ error: expect.stringContaining('another site') })
  })

  it('still takes the campaign page’s own sends: same-origin, our Origin, or no header at all (no-JS, old browsers)', async () => {
    for (const headers of <Array<Record<string, string>>>[
      { 'sec-fetch-site': 'same-origin', origin: 'http://bouteille.test' },
      { origin: 'http://bouteille.test' },
      {}
    ]) {
      const { res, key } = await send(headers)
      expect(res.statusCode, JSON.stringify(headers)).toBe(303)
      expect(await rowsFor(key)).toBe(1)
    }
    const body = actBody(c)
    const json = await t.app.inject({ method: 'POST', url: `/c/${c.slug}/act`, headers: { accept: 'application/json', 'sec-fetch-site': 'same-origin', origin: 'http://bouteille.test' }, payload: body })
    expect(json.statusCode).toBe(201)
    expect(await rowsFor(body.key!)).toBe(1)
  })

  it('takes sends from an allowed embedding site (EMBED_ORIGINS)', async () => {
    const { res, key } = await send({ 'sec-fetch-site': 'cross-site', origin: 'https://partner.example' })
    expect(res.statusCode).toBe(303)
    expect(await rowsFor(key)).toBe(1)
  })
})
