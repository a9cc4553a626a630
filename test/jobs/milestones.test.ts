import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startWorker, type RunningWorker } from '../../jobs/main.ts'
import { notifyMilestone } from '../../jobs/milestone-job.ts'
import { reconcileCounts } from '../../jobs/reconcile-job.ts'
import { tallyCampaign } from '../../jobs/tally-job.ts'
import { actBody, buildTestApp, buildTestDeps, eventually, seedCampaign, signIn, type SeededCampaign } from '../helper.ts'
import { startSmtpSink, type SmtpSink } from '../smtp-sink.ts'

type TestApp = Awaited<ReturnType<typeof buildTestApp>>

/** Inserts n untallied actions at the given times (one per time, cycling), as web instances would. */
async function insertAt (t: Pick<TestApp, 'deps'>, c: SeededCampaign, times: string[], n = times.length): Promise<void> {
  await t.deps.pool.query(`
    INSERT INTO actions (campaign_id, target_id, message_id, channel, locale, text, key, created_at)
    SELECT $1, ($2::uuid[])[1 + i % 3], $3, 'x', 'fr', 'text', gen_random_uuid(), ($4::timestamptz[])[1 + i % array_length($4::timestamptz[], 1)]
    FROM generate_series(0, $5 - 1) AS i`, [c.id, c.targets.map((x) => x.id), c.messages[0]!.id, times, n])
}

async function rows<T> (t: Pick<TestApp, 'deps'>, sql: string, values: unknown[]): Promise<T[]> {
  return (await t.deps.pool.query(sql, values)).rows as T[]
}

const buckets = (t: Pick<TestApp, 'deps'>, id: string, dimension: string) =>
  rows<{ key: string, count: number }>(t, 'SELECT key, count::int AS count FROM campaign_counts WHERE campaign_id = $1 AND dimension = $2 ORDER BY key', [id, dimension])

describe('minute and hour buckets', () => {
  let t: Awaited<ReturnType<typeof buildTestDeps>>
  beforeAll(async () => { t = await buildTestDeps({ TALLY_BATCH_SIZE: '7' }) })
  afterAll(async () => { await t.close() })

  it('counts every action into its UTC minute and hour, across batches, and the rebuild gives the same buckets', async () => {
    const c = await seedCampaign(t.deps)
    // Around minute and hour boundaries, and in another time zone's notation (the bucket is UTC).
    await insertAt(t, c, ['2026-03-01T10:59:59.999Z', '2026-03-01T11:00:00Z', '2026-03-01T11:00:59Z', '2026-03-01T12:01:00+01:00', '2026-03-01T11:30:00Z'], 53)
    await tallyCampaign(t.deps, c.id)
    const minutes = await buckets(t, c.id, 'minute')
    const hours = await buckets(t, c.id, 'hour')
    // 53 rows cycling over 5 times: the first three times get 11, the last two 10.
    expect(minutes).toEqual([
      { key: '2026-03-01T10:59Z', count: 11 },
      { key: '2026-03-01T11:00Z', count: 22 },
      { key: '2026-03-01T11:01Z', count: 10 },
      { key: '2026-03-01T11:30Z', count: 10 }
    ])
    expect(hours).toEqual([{ key: '2026-03-01T10:00Z', count: 11 }, { key: '2026-03-01T11:00Z', count: 42 }])
    await t.deps.actionRepo.rebuild(c.id)
    expect(await buckets(t, c.id, 'minute')).toEqual(minutes)
    expect(await buckets(t, c.id, 'hour')).toEqual(hours)
  })
})

describe('milestones exactly once', () => {
  let t: TestApp
  let sink: SmtpSink
  const workers: RunningWorker[] = []
  beforeAll(async () => {
    sink = await startSmtpSink()
    t = await buildTestApp({ SMTP_URL: sink.url, TALLY_BATCH_SIZE: '9' })
    await signIn(t.deps, 'owner', 'owner@example.org')
    await signIn(t.deps, 'viewer', 'viewer@example.org')
  })
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.close()))
  })
  afterAll(async () => {
    await t.close()
    await sink.close()
  })

  // Mails about one campaign since an index (other tests' notices may still be arriving).
  const mailsFor = (campaignId: string, since: number) => sink.mails.slice(since).filter((m) => m.messageId?.includes(campaignId)).length
  const reached = (id: string) => rows<{ threshold: number, kind: string, mail_status: string }>(t, 'SELECT threshold, kind, mail_status FROM milestones WHERE campaign_id = $1 ORDER BY threshold', [id])

  it('records each threshold once when tallies of one campaign run concurrently, in small batches', async () => {
    const c = await seedCampaign(t.deps, { goal: 100 })
    await insertAt(t, c, [new Date().toISOString()], 260)
    const counted = await Promise.all(Array.from({ length: 6 }, () => tallyCampaign(t.deps, c.id)))
    expect(counted.reduce((a, b) => a + b, 0)).toBe(260)
    expect(await reached(c.id)).toEqual([
      { threshold: 25, kind: 'percent', mail_status: 'pending' },
      { threshold: 50, kind: 'percent', mail_status: 'pending' },
      { threshold: 75, kind: 'percent', mail_status: 'pending' },
      { threshold: 100, kind: 'percent', mail_status: 'pending' },
      { threshold: 250, kind: 'step', mail_status: 'pending' }
    ])
    // Running it again, or rebuilding every counter, fires nothing more.
    expect(await tallyCampaign(t.deps, c.id)).toBe(0)
    await reconcileCounts(t.deps, c.id)
    expect(await reached(c.id)).toHaveLength(5)
    // Each notice sent once, even with two jobs for each at the same time.
    const since = sink.mails.length
    const ids = (await t.deps.milestoneRepo.list(c.id)).map((m) => m.id)
    await Promise.all([...ids, ...ids].map((id) => notifyMilestone(t.deps, id)))
    expect(mailsFor(c.id, since)).toBe(5)
    expect(await t.deps.milestoneRepo.pendingMail()).toEqual([])
  })

  it('sends one e-mail per milestone with two workers and supporters acting through the web, to the whole team, in French and English', async () => {
    const c = await seedCampaign(t.deps, { goal: 40 })
    const before = sink.mails.length
    workers.push(await startWorker(t.deps), await startWorker(t.deps))
    const send = () => t.app.inject({ method: 'POST', url: `/c/${c.slug}/act`, headers: { accept: 'application/json' }, payload: actBody(c) })
    for (let i = 0; i < 5; i++) {
      const answers = await Promise.all(Array.from({ length: 10 }, send))
      expect(answers.every((r) => r.statusCode === 201)).toBe(true)
    }
    // 25 to 100 % of 40, then the goal's first step-up (50).
    await eventually(async () => (await reached(c.id)).filter((m) => m.mail_status === 'sent').length === 5, 20_000, 'five milestones e-mailed')
    expect((await reached(c.id)).map((m) => m.threshold)).toEqual([10, 20, 30, 40, 50])
    // A little longer, in case a second worker or a retry were to send again.
    await new Promise((resolve) => setTimeout(resolve, 1000))
    // The workers' sweep also sends the notices the first test left pending: keep this campaign's.
    const mails = sink.mails.slice(before).filter((m) => m.messageId?.includes(c.id))
    expect(mails).toHaveLength(5)
    expect(new Set(mails.map((m) => m.messageId)).size).toBe(5)
    const half = mails.find((m) => m.subject?.includes('50 %'))!
    expect(half.subject).toBe('Le climat n’attend pas : 50 % de l’objectif (20 actions) atteint')
    expect(half.text).toContain('La campagne « Le climat n’attend pas » a atteint 50 % de l’objectif (20 actions)')
    expect(half.text).toContain('The campaign “Climate can’t wait” has reached 50% of the goal (20 actions)')
    expect(half.text).toContain(`http://bouteille.test/admin/campaigns/${c.id}`)
    const to = (Array.isArray(half.to) ? half.to : [half.to]).flatMap((a) => a?.value.map((v) => v.address))
    expect(to.sort()).toEqual(['owner@example.org', 'viewer@example.org'])
    expect(half.messageId).toMatch(/^<milestone-\d+\.[0-9a-f-]{36}@bouteille\.test>$/)
  })

  it('sends once when the notice job runs twice at the same time, and again with the same Message-ID only after a failure', async () => {
    const c = await seedCampaign(t.deps, { goal: 4 })
    await insertAt(t, c, [new Date().toISOString()], 1)
    await tallyCampaign(t.deps, c.id)
    const [m] = await rows<{ id: string }>(t, 'SELECT id FROM milestones WHERE campaign_id = $1', [c.id])
    const id = Number(m!.id)
    const before = sink.mails.length
    const results = await Promise.all([notifyMilestone(t.deps, id), notifyMilestone(t.deps, id), notifyMilestone(t.deps, id)])
    expect(results.sort()).toEqual(['done', 'done', 'sent'])
    expect(await notifyMilestone(t.deps, id)).toBe('done')
    expect(mailsFor(c.id, before)).toBe(1)

    // A refused send leaves the notice pending and free to take again; the retry carries the same Message-ID.
    await insertAt(t, c, [new Date().toISOString()], 1)
    await tallyCampaign(t.deps, c.id)
    const [second] = await rows<{ id: string }>(t, 'SELECT id FROM milestones WHERE campaign_id = $1 AND threshold = 2', [c.id])
    sink.failNext(1)
    await expect(notifyMilestone(t.deps, Number(second!.id))).rejects.toThrow()
    expect((await reached(c.id)).find((x) => x.threshold === 2)?.mail_status).toBe('pending')
    expect(await notifyMilestone(t.deps, Number(second!.id))).toBe('sent')
    expect(mailsFor(c.id, before)).toBe(2)
    expect(sink.mails.at(-1)!.messageId).toBe(`<milestone-${second!.id}.${c.id}@bouteille.test>`)
  })

  it('retries through the queue when the mail server refuses, until one e-mail is accepted', async () => {
    const c = await seedCampaign(t.deps, { goal: 4 })
    workers.push(await startWorker(t.deps))
    const before = sink.mails.length
    sink.failNext(2)
    const res = await t.app.inject({ method: 'POST', url: `/c/${c.slug}/act`, headers: { accept: 'application/json' }, payload: actBody(c) })
    expect(res.statusCode).toBe(201)
    await eventually(async () => (await reached(c.id))[0]?.mail_status === 'sent', 30_000, 'the notice sent after two refusals')
    const [m] = await rows<{ mail_attempts: number }>(t, 'SELECT mail_attempts FROM milestones WHERE campaign_id = $1', [c.id])
    expect(m!.mail_attempts).toBe(3)
    expect(mailsFor(c.id, before)).toBe(1)
  })
})

describe('milestones without a mail server', () => {
  it('are recorded and shown, their notice marked as not sent', async () => {
    const t = await buildTestDeps()
    try {
      await signIn(t.deps, 'owner')
      const c = await seedCampaign(t.deps, { goal: 4 })
      await insertAt(t, c, [new Date().toISOString()], 4)
      await tallyCampaign(t.deps, c.id)
      const list = await t.deps.milestoneRepo.list(c.id)
      expect(list.map((m) => m.threshold)).toEqual([4, 3, 2, 1])
      expect(await notifyMilestone(t.deps, list[0]!.id)).toBe('skipped')
      expect((await t.deps.milestoneRepo.list(c.id))[0]!.mailStatus).toBe('skipped')
      expect(await t.deps.milestoneRepo.pendingMail()).toHaveLength(3)
    } finally {
      await t.close()
    }
  })
})
