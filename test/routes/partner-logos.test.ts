import { and, asc, eq } from 'drizzle-orm'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { auditLog, partnerLogos, partners } from '../../server/db/schema.ts'
import { buildTestApp, eventually, listen, pageText, seedCampaign, signIn, type SeededCampaign, type SignedIn } from '../helper.ts'

type File = { data: Buffer | string, name: string, type: string }

// Partner logos (issue 14 §2): uploaded with the partner, stored like target photos, shown wherever the partner is named.
describe('partner logos', () => {
  let t: Awaited<ReturnType<typeof buildTestApp>>
  let c: SeededCampaign
  let editor: SignedIn
  let viewer: SignedIn
  let baseUrl: string

  beforeAll(async () => {
    t = await buildTestApp()
    c = await seedCampaign(t.deps)
    editor = await signIn(t.deps, 'editor')
    viewer = await signIn(t.deps, 'viewer')
    baseUrl = await listen(t)
  })
  afterAll(async () => { await t.close() })

  const base = () => `/admin/campaigns/${c.id}/partners`
  const get = (url: string, who?: SignedIn, headers: Record<string, string> = {}) => t.app.inject({ url, headers: { 'accept-language': 'en', ...(who ? { cookie: who.cookie } : {}), ...headers } })
  /** The partner form as a browser sends it: multipart, with the logo's file input empty or not. */
  const send = async (url: string, fields: Record<string, string>, logo: File | null, who?: SignedIn) => {
    const form = new FormData()
    if (who) form.append('_csrf', who.csrf)
    for (const [k, v] of Object.entries(fields)) form.append(k, v)
    form.append('logo', logo ? new Blob([typeof logo.data === 'string' ? logo.data : new Uint8Array(logo.data)], { type: logo.type }) : new Blob([], { type: 'application/octet-stream' }), logo?.name ?? '')
    const res = await fetch(baseUrl + url, { method: 'POST', body: form, redirect: 'manual', headers: { 'accept-language': 'en', ...(who ? { cookie: who.cookie } : {}) } })
    return { status: res.status, location: res.headers.get('location'), body: await res.text() }
  }
  const row = async (code: string) => (await t.deps.db.select().from(partners).where(and(eq(partners.campaignId, c.id), eq(partners.code, code))))[0]
  const stored = async (id: string) => (await t.deps.db.select().from(partnerLogos).where(eq(partnerLogos.partnerId, id)))[0]
  const audits = async (id: string) => t.deps.db.select().from(auditLog).where(and(eq(auditLog.entity, 'partner'), eq(auditLog.entityId, id))).orderBy(asc(auditLog.id))
  /** A wide logo on a transparent background, as organisations send them. */
  const wideLogo = () => sharp({ create: { width: 1600, height: 400, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } })
    .composite([{ input: { create: { width: 400, height: 400, channels: 4, background: { r: 42, g: 157, b: 143, alpha: 1 } } }, left: 0, top: 0 }])
    .png().toBuffer()
  const img = (html: string, testid: string) => /<img [^>]*>/.exec(html.slice(html.lastIndexOf('<img', html.indexOf(`data-testid="${testid}"`))))?.[0] ?? ''

  it('stores a logo sent with the new partner, reduced but never cropped, transparent, and served versioned with 304s', async () => {
    const res = await send(base(), { name: 'Réseau Action Climat', code: 'rac', line_en: 'RAC backs this call.', on_leaderboard: 'on' }, { data: await wideLogo(), name: 'rac.png', type: 'image/png' }, editor)
    expect(res.status).toBe(303)
    const p = (await row('rac'))!
    const file = (await stored(p.id))!
    expect(file.contentType).toBe('image/webp')
    expect(p.logo).toEqual({ url: `/media/partners/${p.id}.webp?v=${file.etag}`, width: 480, height: 120 })

    const served = await get(p.logo!.url)
    expect(served.statusCode).toBe(200)
    expect(served.headers['content-type']).toBe('image/webp')
    expect(served.headers['cache-control']).toBe('public, max-age=31536000, immutable')
    const meta = await sharp(served.rawPayload).metadata()
    expect(meta).toMatchObject({ format: 'webp', width: 480, height: 120, hasAlpha: true })
    // The transparent part stays transparent; the coloured part is still there (reduced, not cropped away).
    const { data, info } = await sharp(served.rawPayload).raw().toBuffer({ resolveWithObject: true })
    expect(data[(60 * info.width + 400) * 4 + 3]).toBe(0)
    expect(data[(60 * info.width + 20) * 4 + 3]).toBe(255)
    expect((await get(p.logo!.url, undefined, { 'if-none-match': served.headers.etag as string })).statusCode).toBe(304)
    const stale = await get(`/media/partners/${p.id}.webp?v=old`)
    expect(stale.statusCode).toBe(200)
    expect(stale.headers['cache-control']).toBe('public, max-age=0, must-revalidate')
    expect((await get(`/media/partners/${c.id}.webp`)).statusCode).toBe(404)
    expect((await get('/media/partners/not-a-file.webp')).statusCode).toBe(404)

    // The team's list shows it beside the name; the audit log says who set which logo.
    expect((await get(base(), viewer)).body).toContain(`src="${p.logo!.url.replace('&', '&amp;')}"`)
    expect((await audits(p.id)).map((a) => [a.action, (a.after as { logo?: string | null }).logo])).toEqual([['create', null], ['logo', p.logo!.url]])
  })

  it('shows the logo on the With-partner line, on the public leaderboard and on the partner\'s private page, without moving the layout', async () => {
    const p = (await row('rac'))!
    const logo = p.logo!
    const tag = `src="${logo.url}" alt="" width="480" height="120"`
    const page = await eventually(async () => {
      const res = await get(`/c/${c.slug}?lang=en&ref=rac`)
      return res.body.includes('data-testid="partner-line-logo"') ? res.body : null
    }, 10_000, 'the logo on the partner line')
    expect(img(page, 'partner-line-logo')).toContain(tag)
    expect(pageText(/<p class="partner-line"[\s\S]*?<\/p>/.exec(page)![0]).trim()).toBe('With Réseau Action Climat RAC backs this call.')
    const board = /<section class="wrap partner-board"[\s\S]*?<\/section>/.exec(page)![0]
    expect(board).toContain(tag)
    // Without the code, no partner line: the logo is only on the leaderboard.
    expect((await get(`/c/${c.slug}?lang=en`)).body).not.toContain('partner-line-logo')

    const campaign = (await t.deps.campaignRepo.findById(c.id))!
    const token = await t.deps.partners.issueLink(editor.user, campaign, p)
    const priv = await get(`/p/${token}`)
    expect(priv.statusCode).toBe(200)
    expect(img(priv.body, 'partner-page-logo')).toContain(tag)
  })

  it('refuses a file that is not an image, too large, or from a viewer, says what to do, and keeps what was there', async () => {
    const p = (await row('rac'))!
    const before = p.logo
    const fields = { name: 'RAC France', code: 'rac', line_en: 'RAC backs this call.', on_leaderboard: 'on' }

    const fake = await send(`${base()}/${p.id}`, fields, { data: '<svg xmlns="http://www.w3.org/2000/svg"/>', name: 'logo.png', type: 'image/png' }, editor)
    expect(fake.status).toBe(400)
    expect(pageText(fake.body)).toContain('This file is not a PNG, WebP or JPEG image (whatever its name says). An SVG logo must be exported as PNG first.')
    expect(fake.body).toMatch(/id="f-logo"[^>]*aria-invalid="true"/)
    // The other fields were saved; the logo is the one from before.
    expect(await row('rac')).toMatchObject({ name: 'RAC France', logo: before })

    const huge = await send(`${base()}/${p.id}`, fields, { data: Buffer.alloc(5 * 1024 * 1024 + 1, 1), name: 'huge.png', type: 'image/png' }, editor)
    expect(huge.status).toBe(400)
    expect(pageText(huge.body)).toContain('This file is larger than 5 MB: choose a smaller one.')
    expect((await row('rac'))!.logo).toEqual(before)

    const png = await sharp({ create: { width: 50, height: 50, channels: 3, background: '#e63946' } }).png().toBuffer()
    expect((await send(`${base()}/${p.id}`, fields, { data: png, name: 'a.png', type: 'image/png' }, viewer)).status).toBe(403)
    expect((await send(`${base()}/${p.id}`, fields, { data: png, name: 'a.png', type: 'image/png' })).status).toBe(401)
    expect((await row('rac'))!.logo).toEqual(before)

    // A new partner whose logo is refused is added all the same, and its edit form says why.
    const created = await send(base(), { name: 'Gamma Collectif', code: 'gamma' }, { data: 'not an image', name: 'gamma.jpg', type: 'image/jpeg' }, editor)
    expect(created.status).toBe(400)
    expect(pageText(created.body)).toContain('Gamma Collectif was added, without the logo: choose another file below.')
    const gamma = (await row('gamma'))!
    expect(gamma.logo).toBeNull()
    expect(created.body).toContain(`action="${base()}/${gamma.id}"`)
    // Saving the form without choosing a file keeps the logo.
    expect((await send(`${base()}/${p.id}`, fields, null, editor)).status).toBe(303)
    expect((await row('rac'))!.logo).toEqual(before)
  })

  it('replaces the logo under a new address, strips a photo\'s metadata, and removes it: 404 and gone from the pages', async () => {
    const p = (await row('rac'))!
    const old = p.logo!
    const jpeg = await sharp({ create: { width: 300, height: 300, channels: 3, background: '#264653' } })
      .withMetadata({ exif: { IFD0: { Copyright: 'Someone', Artist: 'Photographer' } } }).jpeg().toBuffer()
    expect((await sharp(jpeg).metadata()).exif).toBeDefined()
    const res = await send(`${base()}/${p.id}`, { name: 'RAC France', code: 'rac', on_leaderboard: 'on' }, { data: jpeg, name: 'new.jpg', type: 'image/jpeg' }, editor)
    expect(res.status).toBe(303)
    const now = (await row('rac'))!.logo!
    expect(now.url).not.toBe(old.url)
    expect(now).toMatchObject({ width: 192, height: 192 })
    const served = await get(now.url)
    expect((await sharp(served.rawPayload).metadata()).exif).toBeUndefined()
    await eventually(async () => (await get(`/c/${c.slug}?lang=en&ref=rac`)).body.includes(now.url), 10_000, 'the new logo on the page')

    const edit = await get(`${base()}/${p.id}/edit`, editor)
    expect(edit.body).toContain(`action="${base()}/${p.id}/logo/remove"`)
    const form = new URLSearchParams({ _csrf: editor.csrf }).toString()
    const removed = await t.app.inject({ method: 'POST', url: `${base()}/${p.id}/logo/remove`, headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: editor.cookie }, payload: form })
    expect(removed.statusCode).toBe(303)
    expect((await row('rac'))!.logo).toBeNull()
    expect(await stored(p.id)).toBeUndefined()
    expect((await get(now.url)).statusCode).toBe(404)
    await eventually(async () => !(await get(`/c/${c.slug}?lang=en&ref=rac`)).body.includes('/media/partners/'), 10_000, 'the logo gone from the page')
    expect((await audits(p.id)).at(-1)).toMatchObject({ action: 'logoRemoved', before: { logo: now.url }, after: { logo: null } })
    // A viewer may not remove it (nothing left to remove, but the answer says so all the same).
    const refused = await t.app.inject({ method: 'POST', url: `${base()}/${p.id}/logo/remove`, headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: viewer.cookie }, payload: new URLSearchParams({ _csrf: viewer.csrf }).toString() })
    expect(refused.statusCode).toBe(403)
  })
})
