import { createHash } from 'node:crypto'
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startWorker, type RunningWorker } from '../../jobs/main.ts'
import { auditLog, deliveries, deliverySchedules } from '../../server/db/schema.ts'
import { insertBottleMessage } from '../delivery-fixtures.ts'
import { buildTestApp, eventually, pageText, seedCampaign, signIn, type SignedIn } from '../helper.ts'
import { pdfText } from '../pdf-text.ts'
import { startSmtpSink, type SmtpSink } from '../smtp-sink.ts'

const form = (fields: Record<string, string>) => ({ 'content-type': 'application/x-www-form-urlencoded', payload: new URLSearchParams(fields).toString() })

describe('admin: delivery of the bottle', () => {
  let sink: SmtpSink
  let t: Awaited<ReturnType<typeof buildTestApp>>
  let editor: SignedIn
  let viewer: SignedIn
  let worker: RunningWorker

  beforeAll(async () => {
    sink = await startSmtpSink()
    t = await buildTestApp({ SMTP_URL: sink.url, DELIVERY_RETRY_DELAY_MS: '200' })
    editor = await signIn(t.deps, 'editor')
    viewer = await signIn(t.deps, 'viewer')
    worker = await startWorker(t.deps, { lifecycleSweepMs: 1000 })
  })
  afterAll(async () => {
    await worker?.close()
    await t.close()
    await sink.close()
  })

  const post = (url: string, who: SignedIn, fields: Record<string, string>) => {
    const f = form({ _csrf: who.csrf, ...fields })
    return t.app.inject({ method: 'POST', url, headers: { 'content-type': f['content-type'], cookie: who.cookie }, payload: f.payload })
  }
  const get = (url: string, who?: SignedIn) => t.app.inject({ url, headers: who ? { cookie: who.cookie } : {} })
  // The page after a 303, with the flash cookie the redirect set (shown once).
  const follow = (res: { headers: Record<string, unknown> }, url: string, who: SignedIn) => {
    const flash = [res.headers['set-cookie']].flat().map(String).find((h) => h.startsWith('bouteille_flash='))?.split(';')[0]
    return t.app.inject({ url, headers: { cookie: flash ? `${who.cookie}; ${flash}` : who.cookie } })
  }

  it('shows each target with its selected messages and status; a viewer reads and downloads, only an editor acts', async () => {
    const c = await seedCampaign(t.deps)
    await insertBottleMessage(t.deps, c.id, c.targets[0]!.id, 'Premier message approuvé')
    await insertBottleMessage(t.deps, c.id, c.targets[0]!.id, 'Encore en attente', { status: 'pending' })
    const url = `/admin/campaigns/${c.id}/delivery?lang=en`

    expect((await get(url)).statusCode).toBe(303)
    const asViewer = await get(url, viewer)
    expect(asViewer.statusCode).toBe(200)
    const text = pageText(asViewer.body)
    expect(text).toContain('Delivering the bottle')
    expect(text).toContain('Alice Martin')
    expect(text).toContain('1 (approved: 1)')
    expect(text).toContain('no public address')
    expect(text).toContain('Not delivered yet.')
    expect(asViewer.body).toContain(`/admin/campaigns/${c.id}/dossiers/${c.targets[0]!.id}.pdf`)
    expect(asViewer.body).not.toContain('/delivery/deliver')
    expect((await post(`/admin/campaigns/${c.id}/delivery/deliver`, viewer, { target: 'all' })).statusCode).toBe(403)

    const asEditor = await get(url, editor)
    expect(asEditor.body).toContain('/delivery/deliver')
    expect(pageText(asEditor.body)).toContain('Deliver to every decision-maker now')
    const fr = pageText((await get(`/admin/campaigns/${c.id}/delivery?lang=fr`, editor)).body)
    expect(fr).toContain('Remettre la bouteille')
    expect(fr).toContain('pas d’adresse publique')
  })

  it('refuses a form without its CSRF token, bad ids (404) and bad values (400), never a 500', async () => {
    const c = await seedCampaign(t.deps)
    const other = await seedCampaign(t.deps)
    const noToken = await t.app.inject({ method: 'POST', url: `/admin/campaigns/${c.id}/delivery/deliver`, headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: editor.cookie }, payload: 'target=all' })
    expect(noToken.statusCode).toBe(403)
    expect((await post(`/admin/campaigns/${c.id}/delivery/deliver`, editor, { target: 'nobody' })).statusCode).toBe(400)
    expect((await post(`/admin/campaigns/${c.id}/delivery/resend`, editor, { target: 'all' })).statusCode).toBe(400)
    expect((await post(`/admin/campaigns/${c.id}/delivery/deliver`, editor, { target: other.targets[0]!.id })).statusCode).toBe(404)
    expect((await post('/admin/campaigns/not-a-campaign/delivery/deliver', editor, { target: 'all' })).statusCode).toBe(404)
    expect((await post('/admin/campaigns/00000000-0000-4000-8000-000000000000/delivery/schedule', editor, { deliverAt: '2030-01-01T10:00' })).statusCode).toBe(404)
    expect((await get('/admin/campaigns/00000000-0000-4000-8000-000000000000/delivery', editor)).statusCode).toBe(404)
    expect((await get(`/admin/campaigns/${c.id}/dossiers/${other.targets[0]!.id}.pdf`, viewer)).statusCode).toBe(404)
    expect((await get(`/admin/campaigns/${c.id}/dossiers/${c.targets[0]!.id}.exe`, viewer)).statusCode).toBe(404)
    expect((await get(`/admin/campaigns/${c.id}/dossiers/..%2F..%2Fetc.pdf`, viewer)).statusCode).toBe(404)

    const bad = await post(`/admin/campaigns/${c.id}/delivery/schedule?lang=en`, editor, { deliverAt: 'next tuesday' })
    expect(bad.statusCode).toBe(400)
    expect(pageText(bad.body)).toContain('Enter a date and time')
    expect(bad.body).toContain('value="next tuesday"')
    const past = await post(`/admin/campaigns/${c.id}/delivery/schedule?lang=fr`, editor, { deliverAt: '2021-05-01T10:00' })
    expect(past.statusCode).toBe(400)
    expect(pageText(past.body)).toContain('Cette heure est déjà passée')
    expect(await t.deps.db.select().from(deliverySchedules).where(eq(deliverySchedules.campaignId, c.id))).toHaveLength(0)
  })

  it('plans a delivery time in the campaign’s zone, shows it, and clears it; both audited', async () => {
    const c = await seedCampaign(t.deps)
    const res = await post(`/admin/campaigns/${c.id}/delivery/schedule`, editor, { deliverAt: '2030-12-10T09:00' })
    expect(res.statusCode).toBe(303)
    const [s] = await t.deps.db.select().from(deliverySchedules).where(eq(deliverySchedules.campaignId, c.id))
    // 09:00 in Paris in December is 08:00 UTC.
    expect(s!.deliverAt.toISOString()).toBe('2030-12-10T08:00:00.000Z')
    const page = await follow(res, `/admin/campaigns/${c.id}/delivery?lang=en`, editor)
    expect(pageText(page.body)).toContain('Planned for')
    expect(page.body).toContain('value="2030-12-10T09:00"')
    expect(pageText(page.body)).toContain('Delivery planned for')
    expect((await post(`/admin/campaigns/${c.id}/delivery/schedule`, editor, { action: 'clear' })).statusCode).toBe(303)
    expect(await t.deps.db.select().from(deliverySchedules).where(eq(deliverySchedules.campaignId, c.id))).toHaveLength(0)
    const actions = (await t.deps.db.select().from(auditLog).where(eq(auditLog.campaignId, c.id))).map((a) => a.action)
    expect(actions).toEqual(expect.arrayContaining(['schedule', 'unschedule']))
  })

  it('downloads a preview before delivery: the PDF and a self-contained HTML page, escaped, under a strict CSP', async () => {
    const c = await seedCampaign(t.deps)
    const alice = c.targets[0]!
    await insertBottleMessage(t.deps, c.id, alice.id, 'Agissez <script>alert(1)</script> maintenant')
    const pdf = await get(`/admin/campaigns/${c.id}/dossiers/${alice.id}.pdf`, viewer)
    expect(pdf.statusCode).toBe(200)
    expect(pdf.headers['content-type']).toBe('application/pdf')
    expect(pdf.headers['content-disposition']).toBe(`attachment; filename="${c.slug}-alice-martin-preview.pdf"`)
    expect(await pdfText(pdf.rawPayload)).toContain('Agissez <script>alert(1)</script> maintenant')

    const html = await get(`/admin/campaigns/${c.id}/dossiers/${alice.id}.html`, viewer)
    expect(html.statusCode).toBe(200)
    expect(html.body).toContain('Agissez &lt;script&gt;alert(1)&lt;/script&gt; maintenant')
    expect(html.body).not.toContain('<script>')
    const style = /<style>([\s\S]*?)<\/style>/.exec(html.body)![1]!
    expect(html.headers['content-security-policy']).toContain(`style-src 'sha256-${createHash('sha256').update(style).digest('base64')}'`)
    expect(html.headers['content-security-policy']).toContain("default-src 'none'")
  })

  it('delivers from the admin: the mail arrives, the page shows it sent with the log, and the public page says the bottle was delivered', async () => {
    const c = await seedCampaign(t.deps)
    const bongani = c.targets[1]!
    await insertBottleMessage(t.deps, c.id, bongani.id, 'Pour Bongani, avec espoir')
    const before = await t.app.inject({ url: `/c/${c.slug}?lang=en` })
    expect(before.body).not.toContain('data-testid="delivered"')

    sink.mails.length = 0
    expect((await post(`/admin/campaigns/${c.id}/delivery/deliver`, editor, { target: bongani.id })).statusCode).toBe(303)
    const [mail] = await sink.waitFor(1)
    expect(mail!.to).toMatchObject({ value: [{ address: 'bdube@example.org' }] })
    await eventually(async () => (await t.deps.db.select().from(deliveries).where(eq(deliveries.campaignId, c.id)))[0]?.status === 'sent', 5000, 'sent')

    const page = await get(`/admin/campaigns/${c.id}/delivery?lang=en`, viewer)
    const row = pageText(/<tr data-target-id="[^"]+" data-status="sent"[\s\S]*?<\/tr>/.exec(page.body)![0])
    expect(row).toContain('Bongani Dube')
    expect(row).toContain('Sent')
    expect(row).toContain('to bdube@example.org')
    expect(row).toContain('(as sent)')
    expect(pageText(page.body)).toMatch(/Delivered to 1 of 3 decision-makers/)
    expect(pageText(page.body)).toContain('Delivery log')

    // What was sent is what the team downloads.
    const pdf = await get(`/admin/campaigns/${c.id}/dossiers/${bongani.id}.pdf`, viewer)
    expect(pdf.headers['content-disposition']).toBe(`attachment; filename="${c.slug}-bongani-dube.pdf"`)
    expect(pdf.rawPayload.equals(mail!.attachments.find((a) => a.contentType === 'application/pdf')!.content)).toBe(true)
    // A message approved since is not in what was sent, but is in the preview of what would be sent now.
    await insertBottleMessage(t.deps, c.id, bongani.id, 'Approuvé après la remise')
    expect(await pdfText((await get(`/admin/campaigns/${c.id}/dossiers/${bongani.id}.pdf`, viewer)).rawPayload)).not.toContain('Approuvé après la remise')
    const preview = await get(`/admin/campaigns/${c.id}/dossiers/${bongani.id}.html?preview=1`, viewer)
    expect(preview.headers['content-disposition']).toBe(`inline; filename="${c.slug}-bongani-dube-preview.html"`)
    expect(preview.body).toContain('Approuvé après la remise')

    // Asking again sends nothing; "send again" is the explicit way, and is refused while one is on its way.
    const again = await post(`/admin/campaigns/${c.id}/delivery/deliver`, editor, { target: bongani.id })
    expect(again.statusCode).toBe(303)
    expect(pageText((await follow(again, `/admin/campaigns/${c.id}/delivery?lang=en`, editor)).body)).toContain('Nothing to deliver')
    const resend = await post(`/admin/campaigns/${c.id}/delivery/resend`, editor, { target: bongani.id })
    expect(pageText((await follow(resend, `/admin/campaigns/${c.id}/delivery?lang=en`, editor)).body)).toContain('1 dossier queued for delivery.')
    await sink.waitFor(2)

    const en = await eventually(async () => {
      const r = await t.app.inject({ url: `/c/${c.slug}?lang=en` })
      return r.body.includes('data-testid="delivered"') ? r : null
    }, 5000, 'the public notice')
    const day = new Intl.DateTimeFormat('en', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'Europe/Paris' }).format(new Date())
    expect(pageText(en.body)).toContain(`The bottle was delivered on ${day} to 1 decision-maker.`)
    const fr = await t.app.inject({ url: `/c/${c.slug}?lang=fr` })
    expect(pageText(fr.body)).toMatch(/La bouteille a été remise le \d{1,2} \S+ \d{4} à 1 décideur\./)
  })

  it('shows a target without an address as failed for that reason', async () => {
    const c = await seedCampaign(t.deps)
    const carla = c.targets[2]!
    expect((await post(`/admin/campaigns/${c.id}/delivery/deliver`, editor, { target: carla.id })).statusCode).toBe(303)
    await eventually(async () => (await t.deps.db.select().from(deliveries).where(eq(deliveries.campaignId, c.id)))[0]?.status === 'failed', 5000, 'failed')
    const page = pageText((await get(`/admin/campaigns/${c.id}/delivery?lang=en`, editor)).body)
    expect(page).toContain('This decision-maker has no public e-mail address')
    expect(page).toContain('Try again')
  })
})

describe('admin: delivery with mail not configured', () => {
  let t: Awaited<ReturnType<typeof buildTestApp>>
  beforeAll(async () => { t = await buildTestApp() })
  afterAll(async () => { await t.close() })

  it('warns on the page, and a delivery fails with that reason shown', async () => {
    const editor = await signIn(t.deps, 'editor')
    const c = await seedCampaign(t.deps)
    const page = await t.app.inject({ url: `/admin/campaigns/${c.id}/delivery?lang=en`, headers: { cookie: editor.cookie } })
    expect(page.body).toContain('data-testid="mail-off"')
    await t.deps.delivery.request(editor.user, c.id, { targetId: c.targets[0]!.id })
    const [row] = await t.deps.db.select().from(deliveries).where(eq(deliveries.campaignId, c.id))
    await t.deps.delivery.run(row!.id, { final: false })
    const after = pageText((await t.app.inject({ url: `/admin/campaigns/${c.id}/delivery?lang=en`, headers: { cookie: editor.cookie } })).body)
    expect(after).toContain('E-mail is not configured on this server (SMTP_URL).')
  })
})
