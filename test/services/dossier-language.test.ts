import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bottleMessages, deliveries, targets } from '../../server/db/schema.ts'
import { createI18n } from '../../server/i18n.ts'
import { createDeliveryService } from '../../server/services/delivery-service.ts'
import { createDossierService } from '../../server/services/dossier-service.ts'
import { createMailer } from '../../server/services/mailer.ts'
import { insertActions, insertBottleMessage } from '../delivery-fixtures.ts'
import { buildTestDeps, seedCampaign, signIn, silentLog, type SignedIn, type TestContext } from '../helper.ts'
import { pdfText } from '../pdf-text.ts'
import { startSmtpSink, type SmtpSink } from '../smtp-sink.ts'

const LOCALES = fileURLToPath(new URL('../../views/locales', import.meta.url))

describe('a dossier in its target’s language', () => {
  let sink: SmtpSink
  let t: TestContext
  let editor: SignedIn
  let dir: string
  let delivery: ReturnType<typeof createDeliveryService>

  beforeAll(async () => {
    sink = await startSmtpSink()
    t = await buildTestDeps({ SMTP_URL: sink.url })
    editor = await signIn(t.deps, 'editor')
    // The catalogs as they will be once Spanish is loaded: the shipped ones plus the pending Spanish one (moved into place at merge).
    dir = mkdtempSync(join(tmpdir(), 'bt-locales-'))
    for (const f of readdirSync(LOCALES)) if (f.endsWith('.json')) cpSync(join(LOCALES, f), join(dir, f))
    const pending = join(LOCALES, 'es-pending')
    if (existsSync(pending)) for (const f of readdirSync(pending)) cpSync(join(pending, f), join(dir, f))
    const dossiers = createDossierService({ db: t.deps.db, i18n: createI18n(dir), campaignLink: (c) => `https://b.example/c/${c.slug}` })
    delivery = createDeliveryService({
      db: t.deps.db,
      queues: t.deps.queues,
      mailer: createMailer({ url: sink.url, from: 'Equipo <equipo@clima.example>' }),
      dossiers,
      audit: t.deps.audit,
      announceCampaign: async () => {},
      log: silentLog,
      retryDelayMs: 200,
      attempts: 3
    })
  })
  afterAll(async () => {
    await t.close()
    await sink.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('writes the dossier and its e-mail in Spanish for a target whose language is es; messages grouped by language with counts', async () => {
    const c = await seedCampaign(t.deps)
    const alice = c.targets[0]!
    await t.deps.db.update(targets).set({ language: 'es' }).where(eq(targets.id, alice.id))
    await insertActions(t.deps, c.id, alice.id, 'x', 1203)
    const messages: Array<[string, string]> = [
      ['ar', 'أوقفوا الوقود الأحفوري الآن'],
      ['ja', '気候正義を今すぐ。'],
      ['es', '¡Financien el fondo de pérdidas y daños ya!'],
      ['ar', 'العدالة المناخية ليست خيارا']
    ]
    for (const [locale, text] of messages) {
      const id = await insertBottleMessage(t.deps, c.id, alice.id, text)
      await t.deps.db.update(bottleMessages).set({ locale }).where(eq(bottleMessages.id, id))
    }

    expect(await delivery.request(editor.user, c.id, { targetId: alice.id })).toMatchObject({ ok: true, queued: 1 })
    const [row] = await t.deps.db.select().from(deliveries).where(eq(deliveries.campaignId, c.id))
    expect(await delivery.run(row!.id, { final: true })).toBe('sent')
    const [mail] = await sink.waitFor(1)
    expect(mail!.subject).toBe('Le climat n’attend pas: los mensajes dirigidos a usted, Alice Martin')
    // Spanish words, Spanish numbers (1207 actions: four-digit numbers are not grouped in Spanish), Spanish plurals.
    expect(mail!.text).toContain('Estimado/a Alice Martin:')
    expect(mail!.text).toContain('se le dirigieron 1207 acciones')
    expect(mail!.text).toContain('los 4 mensajes que nuestro equipo seleccionó')
    expect(mail!.html).toContain('<html lang="es" dir="ltr">')

    const pdf = mail!.attachments.find((a) => a.contentType === 'application/pdf')!
    const text = await pdfText(pdf.content)
    expect(text).toContain('A la atención de Alice Martin')
    expect(text).toContain('1207 acciones dirigidas a usted')
    expect(text).toContain('Mensajes en la botella 4')
    expect(text).toMatch(/\d{1,2} de diciembre de \d{4}|\d{1,2} de [a-z]+ de \d{4}/)
    // Groups: the reader's language first, then the largest; names in Spanish.
    const headings = ['Español · 1 mensaje', 'Árabe · 2 mensajes', 'Japonés · 1 mensaje'].map((h) => text.indexOf(h))
    expect(headings.every((i) => i >= 0)).toBe(true)
    expect(headings).toEqual([...headings].sort((a, b) => a - b))
    for (const [, m] of messages) expect(text.replace(/\s+/g, '')).toContain(m.replace(/\s+/g, ''))
    const html = mail!.attachments.find((a) => a.contentType.startsWith('text/html'))!.content.toString()
    expect(html).toContain('<html lang="es" dir="ltr">')
    expect(html).toContain('<ol class="messages" lang="ar">')
  }, 60_000)

  it('falls back to the campaign’s default language, and writes right to left for an Arabic reader', async () => {
    const c = await seedCampaign(t.deps)
    const [alice, bongani] = [c.targets[0]!, c.targets[1]!]
    await t.deps.db.update(targets).set({ language: 'ar' }).where(eq(targets.id, bongani.id))
    const view = async (id: string) => (await createDossierService({ db: t.deps.db, i18n: createI18n(dir), campaignLink: () => 'https://b.example' }).build(c.id, id))!
    const fr = await view(alice.id)
    expect(fr.view.locale).toBe('fr')
    expect(fr.view.t.for).toBe('À l’attention de Alice Martin')
    const ar = await view(bongani.id)
    expect(ar.view.locale).toBe('ar')
    expect(ar.view.dir).toBe('rtl')
    expect(ar.html).toContain('<html lang="ar" dir="rtl">')
    // No Arabic catalog yet: words in English, key by key.
    expect(ar.view.t.for).toBe('For Bongani Dube')
  }, 60_000)
})
