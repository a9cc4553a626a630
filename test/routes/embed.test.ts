import { randomUUID } from 'node:crypto'
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { campaigns } from '../../server/db/schema.ts'
import { actBody, buildTestApp, eventually, pageText, seedCampaign, signIn, type SeededCampaign, type SignedIn } from '../helper.ts'

const FORM = { 'content-type': 'application/x-www-form-urlencoded' }
const ancestorsOf = (csp: unknown): string | undefined => /frame-ancestors ([^;]+)/.exec(String(csp))?.[1]

describe('the widget: GET /c/:slug/embed and /embed.js', () => {
  let t: Awaited<ReturnType<typeof buildTestApp>>
  let open: SeededCampaign
  let listed: SeededCampaign
  let editor: SignedIn

  beforeAll(async () => {
    t = await buildTestApp()
    open = await seedCampaign(t.deps)
    listed = await seedCampaign(t.deps)
    await t.deps.db.update(campaigns).set({ embedOrigins: ['https://partner.example', 'http://localhost:8081'] }).where(eq(campaigns.id, listed.id))
    editor = await signIn(t.deps, 'editor')
  })
  afterAll(async () => { await t.close() })

  it('may be framed by any site when the allow-list is empty, with no X-Frame-Options, from the cache as well', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await t.app.inject({ url: `/c/${open.slug}/embed?ref=partner_1&lang=en`, headers: { 'accept-encoding': i === 2 ? 'deflate' : '' } })
      expect(res.statusCode).toBe(200)
      expect(res.headers['x-frame-options']).toBeUndefined()
      expect(ancestorsOf(res.headers['content-security-policy'])).toBe('*')
      expect(String(res.headers['content-security-policy'])).toMatch(/script-src 'self' 'nonce-[^']+'/)
      expect(res.headers['set-cookie']).toBeUndefined()
    }
    const res = await t.app.inject({ url: `/c/${open.slug}/embed?ref=partner_1&lang=en` })
    // The campaign page's form, compact, with the partner's code and the widget as its source.
    expect(res.body).toContain('<input type="hidden" name="source" value="embed">')
    expect(res.body).toContain('<input type="hidden" name="ref" value="partner_1">')
    expect(res.body).toMatch(/<meta name="robots" content="noindex">/)
    expect(res.body).toMatch(/name="channel" value="x"[^>]*formtarget="_blank"/)
    expect(res.body).not.toMatch(/name="channel" value="bottle"[^>]*formtarget/)
    expect(pageText(res.body)).toContain('Climate can’t wait')
    // Its language links stay in the widget.
    expect(res.body).toContain(`href="/c/${open.slug}/embed?ref=partner_1&amp;lang=fr"`)
  })

  it('names only the allow-listed sites (and itself) in frame-ancestors', async () => {
    const res = await t.app.inject({ url: `/c/${listed.slug}/embed` })
    expect(res.statusCode).toBe(200)
    expect(ancestorsOf(res.headers['content-security-policy'])).toBe("'self' https://partner.example http://localhost:8081")
    expect(res.headers['x-frame-options']).toBeUndefined()
  })

  it('every other page keeps refusing frames', async () => {
    await t.app.inject({ method: 'POST', url: `/c/${open.slug}/act`, headers: FORM, payload: new URLSearchParams(actBody(open, { channel: 'bottle' })).toString() })
    for (const url of ['/', `/c/${open.slug}`, `/c/${open.slug}`, `/c/${open.slug}/thanks`, `/c/${open.slug}/wall`, '/admin/login', `/c/${open.slug}/embed-nope`, '/robots.txt']) {
      const res = await t.app.inject({ url })
      expect(res.headers['x-frame-options'], url).toBe('SAMEORIGIN')
      expect(ancestorsOf(res.headers['content-security-policy']), url).toBe("'none'")
    }
  })

  it('an unknown or draft campaign is a 404, not a frame', async () => {
    const draft = await seedCampaign(t.deps, { status: 'draft' })
    for (const slug of ['nope-nope', draft.slug, 'BAD%20SLUG']) {
      expect((await t.app.inject({ url: `/c/${slug}/embed` })).statusCode, slug).toBe(404)
    }
  })

  it('takes sends posted from the frame (its own origin) with the partner code; the bottle answers with the frame’s thanks', async () => {
    const key = randomUUID()
    const res = await t.app.inject({
      method: 'POST',
      url: `/c/${open.slug}/act`,
      headers: { ...FORM, 'sec-fetch-site': 'same-origin', origin: 'http://bouteille.test' },
      payload: new URLSearchParams({ ...actBody(open, { channel: 'bottle', ref: 'partner_1', source: 'embed' }), key }).toString()
    })
    expect(res.statusCode).toBe(303)
    expect(res.headers.location).toBe(`/c/${open.slug}/embed?lang=fr&ref=partner_1&sent=bottle`)
    const rows = await t.deps.pool.query('SELECT channel, ref FROM actions WHERE key = $1', [key])
    expect(rows.rows).toEqual([{ channel: 'bottle', ref: 'partner_1' }])
    const thanks = await t.app.inject({ url: String(res.headers.location) })
    expect(thanks.statusCode).toBe(200)
    expect(ancestorsOf(thanks.headers['content-security-policy'])).toBe('*')
    expect(thanks.headers['x-frame-options']).toBeUndefined()
    expect(pageText(thanks.body)).toContain('Votre message est dans la bouteille.')
    expect(thanks.body).toContain(`href="/c/${open.slug}/embed?lang=fr&amp;ref=partner_1"`)
    // A network send from the frame goes to the network, as from the page.
    const net = await t.app.inject({ method: 'POST', url: `/c/${open.slug}/act`, headers: { ...FORM, 'sec-fetch-site': 'same-origin' }, payload: new URLSearchParams(actBody(open, { channel: 'x', source: 'embed' })).toString() })
    expect(net.statusCode).toBe(303)
    expect(String(net.headers.location)).toMatch(/^https:\/\/x\.com\/intent\/tweet\?/)
  })

  it('a send refused from the frame shows the widget again, framable, with the reason', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: `/c/${listed.slug}/act`,
      headers: FORM,
      payload: new URLSearchParams(actBody(listed, { channel: 'bottle', source: 'embed', text: 'x'.repeat(3000) })).toString()
    })
    expect(res.statusCode).toBe(400)
    expect(ancestorsOf(res.headers['content-security-policy'])).toBe("'self' https://partner.example http://localhost:8081")
    expect(res.headers['x-frame-options']).toBeUndefined()
    expect(res.body).toContain('<input type="hidden" name="source" value="embed">')
    expect(res.body).toContain('role="alert"')
  })

  it('the partner’s own site may not post in the frame’s place: the cross-site check holds', async () => {
    const key = randomUUID()
    const res = await t.app.inject({
      method: 'POST',
      url: `/c/${listed.slug}/act`,
      headers: { ...FORM, 'sec-fetch-site': 'cross-site', origin: 'https://partner.example' },
      payload: new URLSearchParams({ ...actBody(listed, { source: 'embed' }), key }).toString()
    })
    expect(res.statusCode).toBe(403)
    expect((await t.deps.pool.query('SELECT 1 FROM actions WHERE key = $1', [key])).rowCount).toBe(0)
  })

  it('serves /embed.js: under 5 KB, readable cross-origin, cached, compressed, no cookie', async () => {
    const res = await t.app.inject({ url: '/embed.js' })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8')
    expect(res.rawPayload.length).toBeLessThan(5 * 1024)
    expect(res.headers['cross-origin-resource-policy']).toBe('cross-origin')
    expect(res.headers['cache-control']).toMatch(/public, max-age=[1-9]/)
    expect(res.headers['set-cookie']).toBeUndefined()
    expect(res.body).toContain('bouteille-embed')
    const br = await t.app.inject({ url: '/embed.js', headers: { 'accept-encoding': 'br' } })
    expect(br.headers['content-encoding']).toBe('br')
  })

  it('the editor keeps the allow-list, and refuses what is not a site address, saying how to write it', async () => {
    const edit = async (embedOrigins: string) => {
      const page = await t.app.inject({ url: `/admin/campaigns/${open.id}/edit`, headers: { cookie: editor.cookie, 'accept-language': 'en' } })
      const fields = new URLSearchParams({ _csrf: editor.csrf, slug: open.slug, goal: '100', defaultLocale: 'fr', timeZone: 'Europe/Paris', opensAt: '', closesAt: '', title_fr: 'Le climat n’attend pas', title_en: 'Climate can’t wait', embedOrigins })
      for (const ch of ['x', 'bluesky', 'mastodon', 'threads', 'email', 'bottle']) fields.append('channels', ch)
      expect(page.body).toContain('name="embedOrigins"')
      return t.app.inject({ method: 'POST', url: `/admin/campaigns/${open.id}`, headers: { ...FORM, cookie: editor.cookie, 'accept-language': 'en' }, payload: fields.toString() })
    }
    const bad = await edit('https://ok.example\nhttps://partner.example/path')
    expect(bad.statusCode).toBe(400)
    expect(pageText(bad.body)).toContain('“https://partner.example/path” is not a site address')
    const good = await edit('HTTPS://Partner.Example\n  https://other.example:8443/ ')
    expect(good.statusCode).toBe(303)
    const [row] = await t.deps.db.select({ embedOrigins: campaigns.embedOrigins }).from(campaigns).where(eq(campaigns.id, open.id))
    expect(row!.embedOrigins).toEqual(['https://partner.example', 'https://other.example:8443'])
    // The change reaches the page when it is announced (over Redis).
    const ancestors = async () => ancestorsOf((await t.app.inject({ url: `/c/${open.slug}/embed` })).headers['content-security-policy'])
    await eventually(async () => await ancestors() === "'self' https://partner.example https://other.example:8443", 5000, 'allow-list applied')
    expect((await edit('*')).statusCode).toBe(303)
    await eventually(async () => await ancestors() === '*', 5000, 'allow-list emptied')
  })
})
