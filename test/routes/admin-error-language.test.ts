import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LANG_COOKIE } from '../../server/plugins/admin.ts'
import { buildTestApp, seedCampaign, signIn, type SeededCampaign, type SignedIn } from '../helper.ts'

/** What Eta writes for a text (the characters it escapes). */
const escaped = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;')

describe('admin error pages speak the admin’s language', () => {
  let t: Awaited<ReturnType<typeof buildTestApp>>
  let c: SeededCampaign
  let viewer: SignedIn
  let editor: SignedIn

  beforeAll(async () => {
    t = await buildTestApp()
    c = await seedCampaign(t.deps)
    viewer = await signIn(t.deps, 'viewer')
    editor = await signIn(t.deps, 'editor')
  })
  afterAll(async () => { await t.close() })

  const text = (locale: string, key: string) => t.deps.i18n.translator(locale).t(key)
  /** A request from a browser that prefers one language but chose another in the admin (the remembered cookie). */
  const send = (opts: { url: string, method?: 'GET' | 'POST', who?: SignedIn, remembered?: string, accept?: string, json?: boolean, payload?: Record<string, string> }) => {
    const cookies = [opts.who?.cookie, opts.remembered ? `${LANG_COOKIE}=${opts.remembered}` : undefined].filter(Boolean).join('; ')
    return t.app.inject({
      method: opts.method ?? 'GET',
      url: opts.url,
      headers: {
        'accept-language': opts.accept ?? 'fr',
        ...(cookies ? { cookie: cookies } : {}),
        ...(opts.json ? { accept: 'application/json' } : {}),
        ...(opts.payload ? { 'content-type': 'application/x-www-form-urlencoded' } : {})
      },
      payload: opts.payload ? new URLSearchParams(opts.payload).toString() : undefined
    })
  }
  const expectPage = (res: { statusCode: number, body: string }, status: number, locale: string, key: string) => {
    expect(res.statusCode).toBe(status)
    expect(res.body).toContain(`<html lang="${locale}"`)
    expect(res.body).toContain(escaped(text(locale, key)))
    // The public error layout, as before.
    expect(res.body).toContain('class="wrap error-page"')
  }

  it('403 (role too small): the remembered language, not Accept-Language', async () => {
    expectPage(await send({ url: '/admin/campaigns/new', who: viewer, remembered: 'en', accept: 'fr' }), 403, 'en', 'admin.errors.forbidden')
    expectPage(await send({ url: '/admin/campaigns/new', who: viewer, remembered: 'fr', accept: 'en-GB,en;q=0.9' }), 403, 'fr', 'admin.errors.forbidden')
  })

  it('404 (another campaign’s or an unknown id, an unknown admin address): the remembered language', async () => {
    expectPage(await send({ url: `/admin/campaigns/${randomUUID()}/edit`, who: editor, remembered: 'en' }), 404, 'en', 'errors.notFound.message')
    expectPage(await send({ url: `/admin/campaigns/${c.id}/targets/${randomUUID()}/edit`, who: editor, remembered: 'en' }), 404, 'en', 'errors.notFound.message')
    expectPage(await send({ url: '/admin/no-such-page', who: editor, remembered: 'en' }), 404, 'en', 'errors.notFound.message')
  })

  it('401 (signed out) and 403 (expired form): the remembered language', async () => {
    expectPage(await send({ url: '/admin/campaigns', method: 'POST', remembered: 'en', payload: { slug: 'x' } }), 401, 'en', 'admin.errors.signedOut')
    expectPage(await send({ url: '/admin/campaigns', method: 'POST', who: editor, remembered: 'fr', accept: 'en', payload: { slug: 'x' } }), 403, 'fr', 'admin.errors.csrf')
  })

  it('?lang= in the address wins over the remembered language, and JSON errors follow it too', async () => {
    expectPage(await send({ url: '/admin/campaigns/new?lang=fr', who: viewer, remembered: 'en', accept: 'en' }), 403, 'fr', 'admin.errors.forbidden')
    const json = await send({ url: '/admin/campaigns/new', who: viewer, remembered: 'en', accept: 'fr', json: true })
    expect(json.statusCode).toBe(403)
    expect(json.json()).toEqual({ error: text('en', 'admin.errors.forbidden') })
  })

  it('without a remembered language, Accept-Language decides, as before', async () => {
    expectPage(await send({ url: '/admin/campaigns/new', who: viewer, accept: 'en' }), 403, 'en', 'admin.errors.forbidden')
    expectPage(await send({ url: '/admin/campaigns/new', who: viewer, accept: 'fr' }), 403, 'fr', 'admin.errors.forbidden')
  })

  it('leaves the public error pages to Accept-Language, even if the admin cookie came along', async () => {
    expectPage(await send({ url: '/c/no-such-campaign', remembered: 'en', accept: 'fr' }), 404, 'fr', 'errors.notFound.message')
    expectPage(await send({ url: '/administrators', remembered: 'en', accept: 'fr' }), 404, 'fr', 'errors.notFound.message')
  })
})
