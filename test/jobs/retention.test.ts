import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runRetention } from '../../jobs/retention-job.ts'
import { tallyCampaign } from '../../jobs/tally-job.ts'
import { RETENTION_SCHEDULE } from '../../server/queues.ts'
import { insertActions, insertBottleMessage } from '../delivery-fixtures.ts'
import { buildTestApp, seedCampaign, signIn, type SeededCampaign } from '../helper.ts'

const DAY = 86_400_000
const SETTINGS = { RETENTION_UNSELECTED_DAYS: '30', RETENTION_SIGNATURE_DAYS: '30', RETENTION_FREE_TEXT_DAYS: '90', RETENTION_PROOF_DAYS: '365' }

describe('retention: the daily job and a campaign’s purge', () => {
  let t: Awaited<ReturnType<typeof buildTestApp>>
  beforeAll(async () => { t = await buildTestApp(SETTINGS) })
  afterAll(async () => { await t.close() })

  const q = async (sql: string, params: unknown[] = []) => (await t.deps.pool.query(sql, params)).rows
  const ago = (days: number) => new Date(Date.now() - days * DAY)
  const closed = async (closedDaysAgo: number, opts: { proof?: boolean } = {}): Promise<SeededCampaign> => {
    const c = await seedCampaign(t.deps, { status: 'closed', closesAt: ago(closedDaysAgo) })
    if (opts.proof) await q('UPDATE campaigns SET keep_dossiers_as_proof = true WHERE id = $1', [c.id])
    return c
  }
  const signed = { signatureName: 'Léa', signatureTown: 'Brest', publishConsent: true }
  /** A sent delivery to a target, with its files, sent some days ago. */
  const delivered = async (c: SeededCampaign, targetId: string, sentDaysAgo: number): Promise<number> => (await q(
    `INSERT INTO deliveries (campaign_id, target_id, status, message_id, built_at, sent_at, pdf, html, mail, message_count)
     VALUES ($1, $2, 'sent', $3, $4, $4, '\\x255044462d'::bytea, '<p>dossier</p>', '{"subject":"s","text":"t","html":"h"}', 1) RETURNING id`,
    [c.id, targetId, `<${randomUUID()}@test>`, ago(sentDaysAgo)]))[0].id
  const message = (id: number) => q('SELECT status, signature_name, signature_town, text FROM bottle_messages WHERE id = $1', [id]).then((r) => r[0])
  const actionText = (messageId: number) => q('SELECT a.text FROM actions a JOIN bottle_messages b ON b.action_id = a.id WHERE b.id = $1', [messageId]).then((r) => r[0]?.text)
  const files = (deliveryId: number) => q('SELECT pdf IS NOT NULL AS pdf, html IS NOT NULL AS html, mail IS NOT NULL AS mail FROM deliveries WHERE id = $1', [deliveryId]).then((r) => r[0])
  const retentionAudit = (campaignId: string) => q("SELECT user_id, user_email, entity, after FROM audit_log WHERE action = 'retention' AND campaign_id = $1 ORDER BY id", [campaignId])

  it('removes what is older than each limit, keeps what is younger, and counts it in the audit log', async () => {
    const old = await closed(31)
    const recent = await closed(29)
    const [a0, a1, a2] = old.targets.map((x) => x.id) as [string, string, string]
    // Messages never approved, in a campaign closed 31 days ago: gone, with their words in the action; approved ones stay.
    const pending = await insertBottleMessage(t.deps, old.id, a0, 'pas retenu', { status: 'pending' })
    const rejected = await insertBottleMessage(t.deps, old.id, a0, 'rejeté', { status: 'rejected' })
    const kept = await insertBottleMessage(t.deps, old.id, a2, 'approuvé, jamais remis', { status: 'approved', ...signed, createdAt: ago(40) })
    const youngPending = await insertBottleMessage(t.deps, recent.id, recent.targets[0]!.id, 'clôture récente', { status: 'pending' })
    // Signatures and dossier files: 31 days after the delivery they go, 29 days after they stay.
    const signedOld = await insertBottleMessage(t.deps, old.id, a0, 'remis il y a 31 jours', { status: 'approved', ...signed, createdAt: ago(40) })
    const signedYoung = await insertBottleMessage(t.deps, old.id, a1, 'remis il y a 29 jours', { status: 'approved', ...signed, createdAt: ago(40) })
    const dOld = await delivered(old, a0, 31)
    const dYoung = await delivered(old, a1, 29)
    // Kept as proof: 31 days is nothing, 366 days is over the proof period.
    const proof = await seedCampaign(t.deps, { status: 'live' })
    await q('UPDATE campaigns SET keep_dossiers_as_proof = true WHERE id = $1', [proof.id])
    const [p0, p1] = proof.targets.map((x) => x.id) as [string, string]
    const proofYoung = await insertBottleMessage(t.deps, proof.id, p0, 'preuve récente', { status: 'approved', ...signed, createdAt: ago(400) })
    const proofOld = await insertBottleMessage(t.deps, proof.id, p1, 'preuve ancienne', { status: 'approved', ...signed, createdAt: ago(400) })
    const dProofYoung = await delivered(proof, p0, 31)
    const dProofOld = await delivered(proof, p1, 366)
    // Free texts on the networks: blanked after 90 days, the variant and the counts stay.
    const [oldSend, youngSend] = await insertActions(t.deps, recent.id, recent.targets[0]!.id, 'x', 2) as [number, number]
    const variant = recent.messages[0]!.id
    await q('UPDATE actions SET created_at = $2, message_id = $3 WHERE id = $1', [oldSend, ago(91), variant])
    await q('UPDATE actions SET created_at = $2, message_id = $3 WHERE id = $1', [youngSend, ago(89), variant])
    for (const c of [old, recent, proof]) await tallyCampaign(t.deps, c.id)
    const countsBefore = await q('SELECT campaign_id, dimension, key, count FROM campaign_counts ORDER BY 1, 2, 3')

    expect(await runRetention(t.deps)).toEqual({ campaigns: 3 })

    expect(await message(pending)).toBeUndefined()
    expect(await message(rejected)).toBeUndefined()
    expect(await q("SELECT count(*)::int AS n FROM actions WHERE campaign_id = $1 AND channel = 'bottle' AND text = ''", [old.id])).toEqual([{ n: 2 }])
    expect(await message(kept)).toMatchObject({ status: 'approved', signature_name: 'Léa' })
    expect(await message(youngPending)).toMatchObject({ status: 'pending', text: 'clôture récente' })
    expect(await message(signedOld)).toMatchObject({ signature_name: null, signature_town: null, text: 'remis il y a 31 jours' })
    expect(await message(signedYoung)).toMatchObject({ signature_name: 'Léa', signature_town: 'Brest' })
    expect(await files(dOld)).toEqual({ pdf: false, html: false, mail: false })
    expect(await files(dYoung)).toEqual({ pdf: true, html: true, mail: true })
    expect(await message(proofYoung)).toMatchObject({ signature_name: 'Léa' })
    expect(await message(proofOld)).toMatchObject({ signature_name: null })
    expect(await files(dProofYoung)).toEqual({ pdf: true, html: true, mail: true })
    expect(await files(dProofOld)).toEqual({ pdf: false, html: false, mail: false })
    expect(await q('SELECT id, text, message_id FROM actions WHERE id = ANY($1) ORDER BY id', [[oldSend, youngSend]])).toEqual([
      { id: String(oldSend), text: '', message_id: variant }, { id: String(youngSend), text: 'x 1', message_id: variant }
    ])
    expect(await actionText(kept)).toBe('bottle 0')
    // Counts are not personal data: every counter is as before.
    expect(await q('SELECT campaign_id, dimension, key, count FROM campaign_counts ORDER BY 1, 2, 3')).toEqual(countsBefore)

    // One entry per campaign, by the system, with counts only.
    const [entry] = await retentionAudit(old.id)
    expect(entry).toMatchObject({ user_id: null, user_email: 'system', entity: 'campaign' })
    expect(entry.after).toEqual({ slug: old.slug, removed: { messages: 2, signatures: 1, texts: 2, dossiers: 1 }, settings: { unselectedDays: 30, signatureDays: 30, freeTextDays: 90, proofDays: 365 } })
    expect(JSON.stringify(entry)).not.toMatch(/pas retenu|Léa|Brest/)
    expect((await retentionAudit(proof.id))[0].after.removed).toEqual({ messages: 0, signatures: 1, texts: 0, dossiers: 1 })
    expect((await retentionAudit(recent.id))[0].after.removed).toEqual({ messages: 0, signatures: 0, texts: 1, dossiers: 0 })

    // Idempotent: a second run removes nothing and writes nothing.
    expect(await runRetention(t.deps)).toEqual({ campaigns: 0 })
    expect(await retentionAudit(old.id)).toHaveLength(1)
  })

  it('removes every signature of a campaign closed longer than the proof period, delivered or not', async () => {
    const c = await closed(366)
    const m = await insertBottleMessage(t.deps, c.id, c.targets[0]!.id, 'jamais remis', { status: 'approved', ...signed })
    await runRetention(t.deps)
    expect(await message(m)).toMatchObject({ status: 'approved', signature_name: null, signature_town: null })
  })

  it('plans itself as one daily repeatable job under a fixed id', async () => {
    const { scheduleRetention } = await import('../../server/queues.ts')
    await scheduleRetention(t.deps.queues)
    await scheduleRetention(t.deps.queues)
    const schedulers = await t.deps.queues.retention.getJobSchedulers()
    expect(schedulers.filter((s) => s.key === RETENTION_SCHEDULE.id)).toHaveLength(1)
    expect(schedulers[0]).toMatchObject({ pattern: '30 3 * * *', tz: 'UTC' })
    await t.deps.queues.retention.removeJobScheduler(RETENTION_SCHEDULE.id)
  })

  it('shows a campaign’s Data tab to its team; only an owner keeps the dossiers as proof, audited', async () => {
    const viewer = await signIn(t.deps, 'viewer')
    const owner = await signIn(t.deps, 'owner')
    const c = await seedCampaign(t.deps)
    await q('INSERT INTO campaign_withdrawals (campaign_id, count) VALUES ($1, 2)', [c.id])
    const page = async (who: typeof owner) => t.app.inject({ url: `/admin/campaigns/${c.id}/privacy`, headers: { cookie: who.cookie, 'accept-language': 'en' } })
    const seen = await page(viewer)
    expect(seen.statusCode).toBe(200)
    expect(seen.body).toContain('2 messages withdrawn by their authors.')
    expect(seen.body).toContain('Bottle messages never approved are deleted 30 days after the campaign closes.')
    expect(seen.body).toContain('Available once the campaign is closed.')
    expect(seen.body).not.toContain('data-testid="purge-form"')
    const toggle = (who: typeof owner, keep: string) => t.app.inject({
      method: 'POST', url: `/admin/campaigns/${c.id}/privacy/proof`, headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: who.cookie }, payload: new URLSearchParams({ _csrf: who.csrf, keep }).toString()
    })
    expect((await toggle(viewer, '1')).statusCode).toBe(403)
    expect((await toggle(owner, '1')).statusCode).toBe(303)
    expect((await q('SELECT keep_dossiers_as_proof FROM campaigns WHERE id = $1', [c.id]))[0].keep_dossiers_as_proof).toBe(true)
    expect((await page(owner)).body).toContain('kept as proof and removed 365 days after the delivery')
    const [entry] = await q("SELECT user_email, before, after FROM audit_log WHERE campaign_id = $1 AND entity = 'campaign' AND action = 'update'", [c.id])
    expect(entry).toEqual({ user_email: owner.user.email, before: { keepDossiersAsProof: false }, after: { keepDossiersAsProof: true } })
  })

  describe('an owner purges a closed campaign', () => {
    const form = (cookie: string) => ({ 'content-type': 'application/x-www-form-urlencoded', cookie, 'accept-language': 'en' })

    it('removes every text, signature and dossier file at once; counts, charts and count exports stay exact', async () => {
      const owner = await signIn(t.deps, 'owner')
      const editor = await signIn(t.deps, 'editor')
      const c = await seedCampaign(t.deps)
      const [a0, a1] = c.targets.map((x) => x.id) as [string, string]
      const approved = await insertBottleMessage(t.deps, c.id, a0, 'sur le mur', { status: 'approved', ...signed })
      await insertBottleMessage(t.deps, c.id, a1, 'en attente', { status: 'pending', ...signed })
      await insertBottleMessage(t.deps, c.id, a1, 'rejeté', { status: 'rejected' })
      await q("UPDATE actions SET discounted = true WHERE id = (SELECT action_id FROM bottle_messages WHERE text = 'rejeté' AND campaign_id = $1)", [c.id])
      await insertActions(t.deps, c.id, a0, 'bluesky', 3)
      const d = await delivered(c, a0, 1)
      await tallyCampaign(t.deps, c.id)
      const post = (who: typeof owner, fields: Record<string, string>) => t.app.inject({
        method: 'POST', url: `/admin/campaigns/${c.id}/privacy/purge`, headers: form(who.cookie), payload: new URLSearchParams({ _csrf: who.csrf, ...fields }).toString()
      })

      // Live: refused, nothing removed.
      expect((await post(owner, { confirm: c.slug })).statusCode).toBe(409)
      expect(await message(approved)).toBeDefined()
      await q("UPDATE campaigns SET status = 'closed', closes_at = now() WHERE id = $1", [c.id])
      await t.deps.announceCampaign(c.slug)

      const snapshot = async () => ({
        counts: await q('SELECT dimension, key, count FROM campaign_counts WHERE campaign_id = $1 ORDER BY 1, 2', [c.id]),
        progress: (await t.app.inject({ url: `/c/${c.slug}/progress.json` })).json().total,
        csv: (await t.app.inject({ url: `/admin/campaigns/${c.id}/exports/counts.csv`, headers: { cookie: owner.cookie } })).body
      })
      const before = await snapshot()
      expect(before.progress).toBe(5)

      // An editor may not; a wrong confirmation is refused with the form again.
      expect((await post(editor, { confirm: c.slug })).statusCode).toBe(403)
      const wrong = await post(owner, { confirm: 'not-it' })
      expect(wrong.statusCode).toBe(400)
      expect(wrong.body).toContain(`Type exactly ${c.slug} to confirm the purge.`)
      expect(await message(approved)).toBeDefined()

      const done = await post(owner, { confirm: c.slug })
      expect(done.statusCode, done.body.slice(0, 3000)).toBe(303)
      expect(await q('SELECT id FROM bottle_messages WHERE campaign_id = $1', [c.id])).toEqual([])
      expect(await q("SELECT id FROM actions WHERE campaign_id = $1 AND text <> ''", [c.id])).toEqual([])
      expect(await files(d)).toEqual({ pdf: false, html: false, mail: false })
      expect((await q('SELECT purged_at FROM campaigns WHERE id = $1', [c.id]))[0].purged_at).toBeInstanceOf(Date)
      const [audit] = await q("SELECT user_email, after FROM audit_log WHERE action = 'purge' AND campaign_id = $1", [c.id])
      expect(audit).toEqual({ user_email: owner.user.email, after: { slug: c.slug, removed: { messages: 3, signatures: 0, texts: 6, dossiers: 1 } } })
      // The audit log says it in words.
      const log = await t.app.inject({ url: `/admin/audit?campaign=${c.id}`, headers: { cookie: owner.cookie, 'accept-language': 'en' } })
      expect(log.body).toContain(`purged the personal data of the campaign “${c.slug}”`)

      // Counts exact, before == after, and after a rebuild from the rows too.
      expect(await snapshot()).toEqual(before)
      await t.deps.actionRepo.rebuild(c.id)
      expect(await snapshot()).toEqual(before)
      const page = await t.app.inject({ url: `/admin/campaigns/${c.id}/privacy`, headers: { cookie: owner.cookie, 'accept-language': 'en' } })
      expect(page.body).toContain('data-testid="purged"')
    })
  })
})
