import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startWorker, type RunningWorker } from '../../jobs/main.ts'
import { auditLog, deliveries, deliveryAttempts, deliverySchedules } from '../../server/db/schema.ts'
import { buildTestDeps, eventually, seedCampaign, signIn, type SignedIn, type TestContext } from '../helper.ts'
import { insertActions, insertBottleMessage } from '../delivery-fixtures.ts'
import { pdfText } from '../pdf-text.ts'
import { startSmtpSink, type SmtpSink } from '../smtp-sink.ts'

// Goals out of reach: no milestone notice to the team shares the sink (and its refusals) with the dossiers.
const FAR_GOAL = 1_000_000

describe('delivery of the bottle, end to end through a real SMTP server', () => {
  let sink: SmtpSink
  let t: TestContext
  let editor: SignedIn
  const workers: RunningWorker[] = []

  beforeAll(async () => {
    sink = await startSmtpSink()
    t = await buildTestDeps({ SMTP_URL: sink.url, MAIL_FROM: 'Équipe climat <equipe@climat.example>', DELIVERY_RETRY_DELAY_MS: '200', DELIVERY_ATTEMPTS: '3' })
    editor = await signIn(t.deps, 'editor')
  })
  afterAll(async () => {
    for (const w of workers) await w.close().catch(() => {})
    await t.close()
    await sink.close()
  })
  beforeEach(() => { sink.mails.length = 0 })

  const start = async () => {
    const w = await startWorker(t.deps, { lifecycleSweepMs: 500 })
    workers.push(w)
    return w
  }
  const rowsOf = (campaignId: string) => t.deps.db.select().from(deliveries).where(eq(deliveries.campaignId, campaignId)).orderBy(deliveries.id)
  const attemptsOf = async (deliveryId: number) => t.deps.db.select().from(deliveryAttempts).where(eq(deliveryAttempts.deliveryId, deliveryId)).orderBy(deliveryAttempts.id)
  const settle = () => new Promise((resolve) => setTimeout(resolve, 1500))

  it('e-mails the dossier: the PDF holds the counts and the approved messages, featured first, signatures only with consent', async () => {
    const worker = await start()
    const c = await seedCampaign(t.deps, { goal: FAR_GOAL })
    const alice = c.targets[0]!
    await insertActions(t.deps, c.id, alice.id, 'x', 1203)
    await insertActions(t.deps, c.id, alice.id, 'email', 4)
    await insertActions(t.deps, c.id, c.targets[1]!.id, 'x', 7)
    await insertBottleMessage(t.deps, c.id, alice.id, 'Ancien message approuvé, sans signature publiée', { signatureName: 'Secret Person', publishConsent: false, createdAt: new Date('2026-11-01T10:00:00Z') })
    await insertBottleMessage(t.deps, c.id, alice.id, 'Le fonds pertes et dommages doit être financé, maintenant, sans détour.', { featured: true, signatureName: 'Zoé', signatureTown: 'Saint-Étienne', publishConsent: true, createdAt: new Date('2026-10-01T10:00:00Z') })
    await insertBottleMessage(t.deps, c.id, alice.id, 'Message récent approuvé 🌍', { createdAt: new Date('2026-11-20T10:00:00Z') })
    await insertBottleMessage(t.deps, c.id, alice.id, 'Message en attente de modération', { status: 'pending' })
    await insertBottleMessage(t.deps, c.id, alice.id, 'Message rejeté par l’équipe', { status: 'rejected' })
    await insertBottleMessage(t.deps, c.id, c.targets[1]!.id, 'Message pour un autre décideur')

    const asked = await t.deps.delivery.request(editor.user, c.id, { targetId: alice.id })
    expect(asked).toMatchObject({ ok: true, queued: 1, already: 0 })
    const [mail] = await sink.waitFor(1)

    expect(mail!.to).toMatchObject({ value: [{ address: 'alice@example.org' }] })
    expect(mail!.from?.value[0]).toMatchObject({ address: 'equipe@climat.example' })
    expect(mail!.subject).toContain('Le climat n’attend pas')
    expect(mail!.text).toContain('1\u202f212 actions vous ont été adressées')
    expect(mail!.html).toContain('Le climat n’attend pas')
    const [row] = await rowsOf(c.id)
    expect(mail!.messageId).toBe(row!.messageId)
    const pdf = mail!.attachments.find((a) => a.contentType === 'application/pdf')!
    expect(pdf.filename).toBe(`${c.slug}-alice-martin.pdf`)
    expect(mail!.attachments.find((a) => a.contentType.startsWith('text/html'))?.content.toString()).toContain('Saint-Étienne')

    const text = await pdfText(pdf.content)
    expect(text).toContain('Le climat n’attend pas')
    expect(text).toContain('#tweetbouteille')
    expect(text).toContain('À l’attention de Alice Martin')
    // French number formatting survives the PDF's fonts (U+202F becomes a no-break space).
    expect(text).toContain('1 212 actions vous ont été adressées')
    expect(text).toMatch(/X 1 203/)
    expect(text).toMatch(/E-mail 4/)
    // Five messages went into the bottle for Alice, whatever became of them: each is an action.
    expect(text).toMatch(/Messages dans la bouteille 5/)
    expect(text).toContain('Le fonds pertes et dommages doit être financé, maintenant, sans détour.')
    expect(text).toContain('Zoé, Saint-Étienne')
    expect(text).toContain('Ancien message approuvé, sans signature publiée')
    expect(text).toContain('Message récent approuvé')
    expect(text).not.toContain('Secret Person')
    expect(text).not.toContain('en attente de modération')
    expect(text).not.toContain('rejeté')
    expect(text).not.toContain('autre décideur')
    // Featured first, then newest.
    expect(text.indexOf('pertes et dommages doit')).toBeLessThan(text.indexOf('Message récent'))
    expect(text.indexOf('Message récent')).toBeLessThan(text.indexOf('Ancien message'))
    expect(text).toMatch(/Page 1 sur 2/)

    await eventually(async () => (await rowsOf(c.id))[0]?.status === 'sent', 5000, 'the row marked sent')
    const [sent] = await rowsOf(c.id)
    expect(sent).toMatchObject({ status: 'sent', attempts: 1, toAddress: 'alice@example.org', messageCount: 3, actionCount: 1212, round: 1 })
    expect(await attemptsOf(sent!.id)).toMatchObject([{ attempt: 1, outcome: 'sent' }])
    const audit = await t.deps.db.select().from(auditLog).where(eq(auditLog.campaignId, c.id))
    expect(audit.map((a) => a.action)).toContain('deliver')
    await worker.close()
  })

  it('retries a refused send with backoff: the log shows the failure, then the success, and one mail arrives', async () => {
    const worker = await start()
    const c = await seedCampaign(t.deps, { goal: FAR_GOAL })
    await insertBottleMessage(t.deps, c.id, c.targets[1]!.id, 'Tenez parole à Belém')
    sink.failNext(1, 'Mailbox busy, try later')
    await t.deps.delivery.request(editor.user, c.id, { targetId: c.targets[1]!.id })
    await sink.waitFor(1)
    await eventually(async () => (await rowsOf(c.id))[0]?.status === 'sent', 5000, 'sent after the retry')
    const [row] = await rowsOf(c.id)
    expect(row!.attempts).toBe(2)
    const log = await attemptsOf(row!.id)
    expect(log).toMatchObject([{ attempt: 1, outcome: 'failed', reason: 'smtpTemporary' }, { attempt: 2, outcome: 'sent', reason: null }])
    expect(log[0]!.detail).toContain('Mailbox busy')
    await settle()
    expect(sink.mails).toHaveLength(1)
    expect(sink.mails[0]!.messageId).toBe(row!.messageId)
    await worker.close()
  })

  it('records a failure for good after the last try, and a new request tries the same round again', async () => {
    const worker = await start()
    const c = await seedCampaign(t.deps, { goal: FAR_GOAL })
    const target = c.targets[0]!
    sink.failNext(3, 'Still busy')
    await t.deps.delivery.request(editor.user, c.id, { targetId: target.id })
    await eventually(async () => (await rowsOf(c.id))[0]?.status === 'failed', 10_000, 'failed after 3 tries')
    const [failed] = await rowsOf(c.id)
    expect(failed).toMatchObject({ attempts: 3, reason: 'smtpTemporary' })
    expect((await attemptsOf(failed!.id)).map((a) => a.outcome)).toEqual(['failed', 'failed', 'failed'])
    expect(sink.mails).toHaveLength(0)

    expect(await t.deps.delivery.request(editor.user, c.id, { targetId: target.id })).toMatchObject({ queued: 1 })
    await sink.waitFor(1)
    await eventually(async () => (await rowsOf(c.id))[0]?.status === 'sent', 5000, 'sent')
    const rows = await rowsOf(c.id)
    expect(rows).toHaveLength(1)
    expect(rows[0]!.messageId).toBe(failed!.messageId)
    await worker.close()
  })

  it('records a refusal of the server (5xx) as failed at once, without retrying', async () => {
    const worker = await start()
    const c = await seedCampaign(t.deps, { goal: FAR_GOAL })
    sink.failNext(1, 'No such mailbox', 550)
    await t.deps.delivery.request(editor.user, c.id, { targetId: c.targets[0]!.id })
    await eventually(async () => (await rowsOf(c.id))[0]?.status === 'failed', 5000, 'failed')
    await settle()
    const [row] = await rowsOf(c.id)
    expect(row).toMatchObject({ attempts: 1, reason: 'smtpRejected' })
    expect(row!.lastError).toContain('No such mailbox')
    expect(sink.mails).toHaveLength(0)
    await worker.close()
  })

  it('takes back a send whose worker died (its claim older than the lease) and sends it once', async () => {
    const c = await seedCampaign(t.deps, { goal: FAR_GOAL })
    await t.deps.delivery.request(editor.user, c.id, { targetId: c.targets[1]!.id })
    const [row] = await rowsOf(c.id)
    // As a worker killed mid-send leaves it: claimed long ago, its job gone with Redis.
    await t.deps.db.update(deliveries).set({ status: 'sending', claimToken: 'dead-worker', claimedAt: new Date(Date.now() - 16 * 60_000), attempts: 1 }).where(eq(deliveries.id, row!.id))
    await t.deps.queues.delivery.obliterate({ force: true })
    expect(await t.deps.delivery.run(row!.id, { final: false })).toBe('sent')
    await sink.waitFor(1)
    expect((await rowsOf(c.id))[0]).toMatchObject({ attempts: 2, messageId: row!.messageId })
    // A claim still within the lease is left to its worker.
    await t.deps.db.update(deliveries).set({ status: 'sending', claimToken: 'live-worker', claimedAt: new Date() }).where(eq(deliveries.id, row!.id))
    expect(await t.deps.delivery.run(row!.id, { final: false })).toBe('skipped')
    const worker = await start()
    await settle()
    expect(sink.mails).toHaveLength(1)
    await worker.close()
  })

  it('never sends a duplicate: asking twice, all at once with two workers, one mail per target; a forced resend sends one more', async () => {
    const w1 = await start()
    const w2 = await start()
    const c = await seedCampaign(t.deps, { goal: FAR_GOAL })
    await Promise.all([
      t.deps.delivery.request(editor.user, c.id),
      t.deps.delivery.request(editor.user, c.id),
      t.deps.delivery.request(null, c.id, { targetId: c.targets[0]!.id })
    ])
    // Two targets have an address; the third is recorded as failed for want of one.
    await sink.waitFor(2)
    await eventually(async () => (await rowsOf(c.id)).every((r) => r.status === 'sent' || r.status === 'failed'), 5000, 'all settled')
    // Runs of the same rows again, as a stalled job taken over by another worker would do: nothing is sent.
    const rows = await rowsOf(c.id)
    expect(rows).toHaveLength(3)
    expect(await Promise.all(rows.map((r) => t.deps.delivery.run(r.id, { final: false })))).toEqual(['skipped', 'skipped', 'skipped'])
    expect(await t.deps.delivery.request(editor.user, c.id)).toMatchObject({ ok: true, queued: 1, already: 2 })
    await settle()
    expect(sink.mails.map((m) => m.to && 'value' in m.to ? m.to.value[0]!.address : '').sort()).toEqual(['alice@example.org', 'bdube@example.org'])
    const carla = (await rowsOf(c.id)).find((r) => r.targetId === c.targets[2]!.id)!
    expect(carla).toMatchObject({ status: 'failed', reason: 'noAddress' })

    const resent = await t.deps.delivery.request(editor.user, c.id, { targetId: c.targets[0]!.id, force: true })
    expect(resent).toMatchObject({ queued: 1 })
    await sink.waitFor(3)
    await settle()
    expect(sink.mails).toHaveLength(3)
    const alice = (await rowsOf(c.id)).filter((r) => r.targetId === c.targets[0]!.id)
    expect(alice.map((r) => [r.round, r.forced, r.status])).toEqual([[1, false, 'sent'], [2, true, 'sent']])
    expect(sink.mails[2]!.messageId).not.toBe(sink.mails[0]!.messageId)
    await Promise.all([w1.close(), w2.close()])
  })

  it('fires at the campaign’s delivery time, once, even when Redis lost the job', async () => {
    const c = await seedCampaign(t.deps, { goal: FAR_GOAL })
    const at = new Date(Math.ceil((Date.now() + 61_000) / 60_000) * 60_000)
    const local = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }).format(at).replace(' ', 'T')
    expect(await t.deps.delivery.setSchedule(editor.user, c.id, local)).toEqual({ ok: true, at })
    expect(await t.deps.delivery.setSchedule(editor.user, c.id, '2020-01-01T10:00')).toEqual({ ok: false, error: 'inPast' })
    expect(await t.deps.delivery.setSchedule(editor.user, c.id, 'demain midi')).toEqual({ ok: false, error: 'dateTime' })
    // The time comes while no worker runs and the delayed job is gone: the next worker's reconcile fires it.
    await t.deps.queues.delivery.obliterate({ force: true })
    await t.deps.db.update(deliverySchedules).set({ deliverAt: new Date(Date.now() - 1000) }).where(eq(deliverySchedules.campaignId, c.id))
    const worker = await start()
    await sink.waitFor(2)
    await eventually(async () => (await t.deps.db.select().from(deliverySchedules).where(eq(deliverySchedules.campaignId, c.id)))[0]?.firedAt, 5000, 'fired')
    await settle()
    expect(sink.mails).toHaveLength(2)
    expect((await rowsOf(c.id)).map((r) => r.origin)).toEqual(['schedule', 'schedule', 'schedule'])
    await worker.close()
  })

  it('fires a delayed job at its time', async () => {
    const worker = await start()
    const c = await seedCampaign(t.deps, { goal: FAR_GOAL })
    const at = new Date(Date.now() + 1500)
    await t.deps.db.insert(deliverySchedules).values({ campaignId: c.id, deliverAt: at })
    await t.deps.queues.delivery.add('scheduled', { campaignId: c.id, at: at.toISOString() }, { jobId: `deliver-at-${c.id}-${at.getTime()}`, delay: 1500 })
    await sink.waitFor(2)
    expect(Date.now()).toBeGreaterThanOrEqual(at.getTime())
    expect(await t.deps.delivery.runScheduled(c.id, at.toISOString())).toBe('done')
    await worker.close()
  })
})

describe('delivery without mail configured', () => {
  let t: TestContext
  beforeAll(async () => { t = await buildTestDeps() })
  afterAll(async () => { await t.close() })

  it('records the delivery as failed, saying mail is off, without crashing', async () => {
    const c = await seedCampaign(t.deps, { goal: FAR_GOAL })
    const result = await t.deps.delivery.request(null, c.id, { targetId: c.targets[0]!.id })
    expect(result).toMatchObject({ ok: true, queued: 1 })
    const [row] = await t.deps.db.select().from(deliveries).where(eq(deliveries.campaignId, c.id))
    expect(await t.deps.delivery.run(row!.id, { final: false })).toBe('failed')
    const [after] = await t.deps.db.select().from(deliveries).where(eq(deliveries.campaignId, c.id))
    expect(after).toMatchObject({ status: 'failed', reason: 'mailOff' })
  })

  it('refuses a forced resend while a delivery to the target is still on its way', async () => {
    const c = await seedCampaign(t.deps, { goal: FAR_GOAL })
    const target = c.targets[0]!.id
    expect(await t.deps.delivery.request(null, c.id, { targetId: target })).toMatchObject({ queued: 1 })
    expect(await t.deps.delivery.request(null, c.id, { targetId: target, force: true })).toMatchObject({ queued: 0, busy: 1 })
    expect(await t.deps.delivery.request(null, c.id, { targetId: target })).toMatchObject({ queued: 0, already: 1 })
    expect(await t.deps.db.select().from(deliveries).where(eq(deliveries.campaignId, c.id))).toHaveLength(1)
  })

  it('answers not found for ids that are not the campaign’s', async () => {
    const c = await seedCampaign(t.deps, { goal: FAR_GOAL })
    const other = await seedCampaign(t.deps)
    expect(await t.deps.delivery.request(null, c.id, { targetId: other.targets[0]!.id })).toEqual({ ok: false, notFound: true })
    expect(await t.deps.delivery.request(null, 'nope', {})).toEqual({ ok: false, notFound: true })
  })
})
