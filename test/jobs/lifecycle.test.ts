import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startWorker, type RunningWorker } from '../../jobs/main.ts'
import { lifecycleJobId } from '../../server/queues.ts'
import { auditLog, campaigns } from '../../server/db/schema.ts'
import { buildTestApp, clearRedisPrefix, eventually, seedCampaign, signIn, type SignedIn } from '../helper.ts'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('lifecycle: scheduled opening and closing', () => {
  let t: Awaited<ReturnType<typeof buildTestApp>>
  let editor: SignedIn
  const workers: RunningWorker[] = []

  beforeAll(async () => {
    t = await buildTestApp()
    editor = await signIn(t.deps, 'editor')
  })
  afterAll(async () => {
    for (const w of workers) await w.close().catch(() => {})
    await t.close()
  })

  const start = async () => {
    const w = await startWorker(t.deps)
    workers.push(w)
    return w
  }
  const status = async (id: string) => (await t.deps.db.select({ status: campaigns.status }).from(campaigns).where(eq(campaigns.id, id)))[0]!.status
  const schedule = async (id: string) => {
    const res = await t.app.inject({
      method: 'POST',
      url: `/admin/campaigns/${id}/status`,
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: editor.cookie },
      payload: new URLSearchParams({ _csrf: editor.csrf, to: 'scheduled' }).toString()
    })
    expect(res.statusCode).toBe(303)
    expect(await status(id)).toBe('scheduled')
  }
  const systemChanges = async (id: string) => (await t.deps.db.select().from(auditLog).where(eq(auditLog.campaignId, id)).orderBy(auditLog.id))
    .filter((a) => a.action === 'status' && a.userEmail === 'system')
    .map((a) => `${(a.before as { status: string }).status}>${(a.after as { status: string }).status}`)
  const page = (slug: string) => t.app.inject({ url: `/c/${slug}?lang=en` })

  it('opens and closes a scheduled campaign by itself, audited as the system and shown on the public page', async () => {
    const worker = await start()
    const now = Date.now()
    const c = await seedCampaign(t.deps, { status: 'draft', opensAt: new Date(now + 1200), closesAt: new Date(now + 2600) })
    await schedule(c.id)
    const scheduledPage = await page(c.slug)
    expect(scheduledPage.body).toContain('data-countdown=')
    expect(scheduledPage.body).not.toContain('name="channel"')

    await eventually(async () => await status(c.id) === 'live', 10_000, 'the opening')
    expect(Date.now()).toBeGreaterThanOrEqual(now + 1200)
    await eventually(async () => (await page(c.slug)).body.includes('name="channel" value="x"'), 5000, 'the open page')
    await eventually(async () => await status(c.id) === 'closed', 10_000, 'the closing')
    expect(Date.now()).toBeGreaterThanOrEqual(now + 2600)
    expect(await systemChanges(c.id)).toEqual(['scheduled>live', 'live>closed'])
    await eventually(async () => (await page(c.slug)).body.includes('This campaign is closed.'), 5000, 'the closed page')
    await worker.close()
  })

  it('still opens and closes after a restart of everything, Redis emptied included', async () => {
    let worker = await start()
    const now = Date.now()
    const c = await seedCampaign(t.deps, { status: 'draft', opensAt: new Date(now + 1000), closesAt: new Date(now + 2000) })
    await schedule(c.id)
    expect(await t.deps.queues.lifecycle.getJob(lifecycleJobId(c.id, 'live', new Date(now + 1000)))).toBeTruthy()

    // Everything stops; Redis comes back empty; both times pass meanwhile.
    await worker.close()
    await clearRedisPrefix(t.prefix)
    expect(await t.deps.queues.lifecycle.getJob(lifecycleJobId(c.id, 'live', new Date(now + 1000)))).toBeFalsy()
    await sleep(Math.max(0, now + 2300 - Date.now()))
    expect(await status(c.id)).toBe('scheduled')

    worker = await start()
    await eventually(async () => await status(c.id) === 'closed', 10_000, 'the overdue changes')
    expect(await systemChanges(c.id)).toEqual(['scheduled>live', 'live>closed'])
    await worker.close()
  })

  it('re-creates the delayed jobs of times still ahead when Redis was emptied', async () => {
    let worker = await start()
    const now = Date.now()
    const c = await seedCampaign(t.deps, { status: 'draft', opensAt: new Date(now + 2500) })
    await schedule(c.id)
    await worker.close()
    await clearRedisPrefix(t.prefix)

    worker = await start()
    // Before its time: the new worker planned the job again instead of acting early.
    expect(await status(c.id)).toBe('scheduled')
    expect(await t.deps.queues.lifecycle.getJob(lifecycleJobId(c.id, 'live', new Date(now + 2500)))).toBeTruthy()
    await eventually(async () => await status(c.id) === 'live', 10_000, 'the opening')
    expect(Date.now()).toBeGreaterThanOrEqual(now + 2500)
    await worker.close()
  })

  it('moves the opening when its time is edited: the old time no longer opens it', async () => {
    const worker = await start()
    const now = Date.now()
    const opensAt = new Date(now + 1200)
    const c = await seedCampaign(t.deps, { status: 'draft', opensAt })
    await schedule(c.id)
    const later = new Date(Math.ceil((now + 3_600_000) / 60_000) * 60_000)
    const fields = {
      _csrf: editor.csrf,
      slug: c.slug,
      goal: '100',
      defaultLocale: 'fr',
      channels: 'x',
      timeZone: 'UTC',
      opensAt: later.toISOString().slice(0, 16),
      closesAt: '',
      title_fr: 'Le climat n’attend pas'
    }
    const res = await t.app.inject({
      method: 'POST',
      url: `/admin/campaigns/${c.id}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: editor.cookie },
      payload: new URLSearchParams(fields).toString()
    })
    expect(res.statusCode).toBe(303)
    expect(await t.deps.queues.lifecycle.getJob(lifecycleJobId(c.id, 'live', opensAt))).toBeFalsy()
    expect(await t.deps.queues.lifecycle.getJob(lifecycleJobId(c.id, 'live', later))).toBeTruthy()

    // A stale job (as if it had been promoted before the edit removed it) finds its time changed and does nothing.
    await t.deps.queues.lifecycle.add('transition', { campaignId: c.id, to: 'live', at: opensAt.toISOString() })
    await sleep(Math.max(0, now + 2500 - Date.now()))
    expect(await status(c.id)).toBe('scheduled')
    expect(await systemChanges(c.id)).toEqual([])
    await worker.close()
  })

  it('closes a paused campaign at its closing time too', async () => {
    const worker = await start()
    const c = await seedCampaign(t.deps, { status: 'paused', opensAt: new Date(Date.now() - 60_000) })
    const closesAt = new Date(Date.now() + 1000)
    await t.deps.db.update(campaigns).set({ closesAt }).where(eq(campaigns.id, c.id))
    // The worker's reconcile plans what the web side did not (here: a time written straight in the database).
    await worker.close()
    const next = await start()
    await eventually(async () => await status(c.id) === 'closed', 10_000, 'the closing')
    expect(await systemChanges(c.id)).toEqual(['paused>closed'])
    await next.close()
  })
})
