import { inflateSync } from 'node:zlib'
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { campaignCounts, campaigns } from '../../server/db/schema.ts'
import { previewToken } from '../../server/domain/campaign-rules.ts'
import { campaignAdminFrom } from '../../server/services/campaign-admin-service.ts'
import { actBody, buildTestApp, eventually, seedCampaign, type SeededCampaign } from '../helper.ts'

const SEND_BUTTON = /name="channel" value="/

describe('what the public sees per status', () => {
  let t: Awaited<ReturnType<typeof buildTestApp>>
  beforeAll(async () => { t = await buildTestApp() })
  afterAll(async () => { await t.close() })

  const get = (url: string, headers: Record<string, string> = {}) => t.app.inject({ url, headers })
  const act = (c: SeededCampaign, accept = 'application/json') => t.app.inject({
    method: 'POST',
    url: `/c/${c.slug}/act`,
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'en', accept },
    payload: new URLSearchParams(actBody(c)).toString()
  })
  const token = (c: SeededCampaign) => previewToken(t.deps.config.secret, c.id)

  describe('draft', () => {
    it('is not found, its sends and progress neither', async () => {
      const c = await seedCampaign(t.deps, { status: 'draft' })
      expect((await get(`/c/${c.slug}`)).statusCode).toBe(404)
      expect((await get(`/c/${c.slug}/progress.json`)).statusCode).toBe(404)
      expect((await get(`/c/${c.slug}/thanks`)).statusCode).toBe(404)
      expect((await act(c)).statusCode).toBe(404)
    })

    it('shows the team a preview with its token: a banner, the texts, the form disabled, no send button', async () => {
      const c = await seedCampaign(t.deps, { status: 'draft' })
      const res = await get(`/c/${c.slug}?lang=en&preview=${token(c)}`)
      expect(res.statusCode).toBe(200)
      expect(res.headers['cache-control']).toBe('no-store')
      expect(res.headers['x-robots-tag']).toBe('noindex, nofollow')
      expect(res.body).toContain('Preview — not public yet.')
      expect(res.body).toContain('Climate can’t wait')
      expect(res.body).toMatch(/<fieldset class="targets-fieldset" disabled>/)
      expect(res.body).toMatch(/<fieldset class="variants" disabled>/)
      expect(res.body).toMatch(/<textarea[^>]* disabled/)
      expect(res.body).not.toMatch(SEND_BUTTON)
      expect(res.body).toContain('Sending is disabled in the preview.')
      // The language switch keeps the preview.
      expect(res.body).toContain(`href="/c/${c.slug}?preview=${token(c)}&amp;lang=fr"`)
      // The token opens the page only: a send is still refused.
      expect((await act(c)).statusCode).toBe(404)
    })

    it('stays not found with a wrong token, another campaign’s token or an empty one', async () => {
      const c = await seedCampaign(t.deps, { status: 'draft' })
      const other = await seedCampaign(t.deps, { status: 'draft' })
      for (const bad of [token(other), token(c).slice(0, -1), `${token(c)}x`, '', 'x']) {
        expect((await get(`/c/${c.slug}?preview=${encodeURIComponent(bad)}`)).statusCode, bad).toBe(404)
      }
    })
  })

  describe('scheduled', () => {
    it('counts down to the opening, in the page’s language, with the form disabled and no send button', async () => {
      const opensAt = new Date('2099-03-02T08:00:00Z')
      const c = await seedCampaign(t.deps, { status: 'scheduled', opensAt })
      const en = await get(`/c/${c.slug}?lang=en`)
      expect(en.statusCode).toBe(200)
      expect(en.body).toContain('This campaign opens soon')
      expect(en.body).toMatch(/<time datetime="2099-03-02T08:00:00.000Z" data-testid="opens-at">Monday, March 2, 2099 at 9:00\s?AM GMT\+1<\/time>/)
      expect(en.body).toMatch(/class="countdown" role="timer" data-countdown="2099-03-02T08:00:00.000Z"/)
      expect(en.body).toMatch(/<script src="\/assets\/js\/campaign\.[0-9a-f]{10}\.js" defer/)
      expect(en.body).not.toMatch(SEND_BUTTON)
      expect(en.body).toMatch(/<fieldset class="targets-fieldset" disabled>/)
      expect(en.body).toContain('Sending opens with the campaign.')
      const fr = await get(`/c/${c.slug}?lang=fr`)
      expect(fr.body).toContain('lundi 2 mars 2099 à 09:00 UTC+1')
      expect(fr.body).toContain('Cette campagne ouvre bientôt')
      expect((await act(c)).statusCode).toBe(409)
    })

    it('shows the countdown for a live campaign whose opening time is still ahead', async () => {
      const c = await seedCampaign(t.deps, { status: 'live', opensAt: new Date(Date.now() + 3_600_000) })
      const res = await get(`/c/${c.slug}?lang=en`)
      expect(res.body).toContain('data-countdown=')
      expect(res.body).not.toMatch(SEND_BUTTON)
    })
  })

  describe('paused and closed', () => {
    async function withCounts (status: 'paused' | 'closed') {
      const c = await seedCampaign(t.deps, { status })
      await t.deps.db.insert(campaignCounts).values([
        { campaignId: c.id, dimension: 'total', key: '', count: 1234 },
        { campaignId: c.id, dimension: 'target', key: c.targets[0]!.id, count: 34 },
        { campaignId: c.id, dimension: 'target', key: c.targets[1]!.id, count: 1200 }
      ])
      return c
    }

    it('paused: the results, a message, no form, and 409 on a send', async () => {
      const c = await withCounts('paused')
      const res = await get(`/c/${c.slug}?lang=en`)
      expect(res.statusCode).toBe(200)
      expect(res.body).toContain('This campaign is paused: sending is suspended for a moment.')
      expect(res.body).toContain('1,234 actions in total')
      expect(res.body).not.toMatch(SEND_BUTTON)
      expect(res.body).not.toContain('id="act-form"')
      // The hero no longer asks for a send it would refuse.
      expect(res.body).toMatch(/data-testid="cta">[\s\S]*?Sending is paused for now: come back soon/)
      expect(res.body).not.toContain('<span>Act</span>')
      const results = res.body.slice(res.body.indexOf('class="results"'))
      // Most contacted first.
      expect(results.indexOf('Bongani Dube')).toBeLessThan(results.indexOf('Alice Martin'))
      expect(results).toMatch(/Bongani Dube<\/bdi><\/span> <span class="result-count"><span data-result-count="1200">1,200<\/span> messages received/)
      expect(results).toMatch(/Carla Souza<\/bdi><\/span> <span class="result-count"><span data-result-count="0">0<\/span> messages received/)
      const refused = await act(c)
      expect(refused.statusCode).toBe(409)
      expect(refused.json().error).toBe('Sending is suspended for a moment. Try again a little later.')
      expect((await act(c, 'text/html')).statusCode).toBe(409)
    })

    it('closed: the results and a thank-you with the total, in French too', async () => {
      const c = await withCounts('closed')
      const en = await get(`/c/${c.slug}?lang=en`)
      expect(en.body).toContain('This campaign is closed. Thank you: 1,234 actions.')
      expect(en.body).toContain('<span class="status-badge status-badge--closed">Closed</span>')
      expect(en.body).not.toMatch(SEND_BUTTON)
      const fr = await get(`/c/${c.slug}?lang=fr`)
      expect(fr.body).toContain('Cette campagne est terminée. Merci\u00a0: 1\u202f234 actions.')
      expect((await act(c)).statusCode).toBe(409)
      // The thank-you page and the progress stay public.
      expect((await get(`/c/${c.slug}/progress.json`)).json().total).toBe(1234)
    })

    it('says "action" in the singular in French for 0 and 1', async () => {
      const c = await seedCampaign(t.deps, { status: 'closed' })
      expect((await get(`/c/${c.slug}?lang=fr`)).body).toContain('Merci\u00a0: 0 action.')
    })

    it('stops sending at the closing time, even before the worker closes it (the page cache follows the clock)', async () => {
      const c = await seedCampaign(t.deps, { status: 'live', closesAt: new Date(Date.now() + 1200) })
      const open = await get(`/c/${c.slug}?lang=en`, { 'accept-encoding': 'deflate' })
      expect(inflateSync(open.rawPayload).toString()).toMatch(SEND_BUTTON)
      await eventually(async () => {
        const res = await get(`/c/${c.slug}?lang=en`, { 'accept-encoding': 'deflate' })
        return !SEND_BUTTON.test(inflateSync(res.rawPayload).toString())
      }, 5000, 'the page to close')
      expect((await get(`/c/${c.slug}?lang=en`)).body).toContain('This campaign is closed.')
      expect((await act(c)).statusCode).toBe(409)
    })
  })

  it('drops its cached page when a change is announced, whatever the status moves to', async () => {
    const c = await seedCampaign(t.deps, { status: 'live' })
    const admin = campaignAdminFrom(t.deps)
    expect((await get(`/c/${c.slug}?lang=en`)).body).toMatch(SEND_BUTTON)
    expect(await admin.transition(null, c.id, 'paused')).toEqual({ ok: true, status: 'paused' })
    await eventually(async () => (await get(`/c/${c.slug}?lang=en`)).body.includes('This campaign is paused'), 5000, 'the paused page')
    expect(await admin.transition(null, c.id, 'live')).toEqual({ ok: true, status: 'live' })
    await eventually(async () => SEND_BUTTON.test((await get(`/c/${c.slug}?lang=en`)).body), 5000, 'the open page')
    await t.deps.db.update(campaigns).set({ status: 'draft' }).where(eq(campaigns.id, c.id))
    await t.deps.announceCampaign(c.slug)
    await eventually(async () => (await get(`/c/${c.slug}`)).statusCode === 404, 5000, 'the draft to 404')
  })

  it('lists live campaigns only on the home page', async () => {
    const live = await seedCampaign(t.deps, { status: 'live' })
    const others = await Promise.all((['draft', 'scheduled', 'paused', 'closed'] as const).map((status) => seedCampaign(t.deps, { status, opensAt: status === 'scheduled' ? new Date(Date.now() + 60_000) : undefined })))
    const home = await get('/')
    expect(home.body).toContain(`/c/${live.slug}`)
    for (const o of others) expect(home.body).not.toContain(`/c/${o.slug}`)
  })
})
