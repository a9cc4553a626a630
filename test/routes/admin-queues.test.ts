import { randomUUID } from 'node:crypto'
import { Worker, type Job } from 'bullmq'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, eventually, pageText, signIn, type SignedIn } from '../helper.ts'
import { redisRelay } from '../redis-relay.ts'

type App = Awaited<ReturnType<typeof buildTestApp>>

/** Runs a real BullMQ worker on the app's "counts" queue that fails every job it takes, until the given jobs have failed. */
async function failJobs (t: App, jobs: Job[], reason: string): Promise<void> {
  const worker = new Worker('counts', async () => { throw new Error(reason) }, {
    connection: { url: t.deps.config.redisUrl, maxRetriesPerRequest: null } as never,
    prefix: t.deps.config.redisPrefix
  })
  try {
    await eventually(async () => (await Promise.all(jobs.map((j) => j.getState()))).every((s) => s === 'failed'), 15_000, 'the jobs to fail')
  } finally {
    await worker.close()
  }
}

describe('admin: queue health', () => {
  let t: App
  let owner: SignedIn
  let editor: SignedIn
  let viewer: SignedIn

  beforeAll(async () => {
    t = await buildTestApp()
    owner = await signIn(t.deps, 'owner')
    editor = await signIn(t.deps, 'editor')
    viewer = await signIn(t.deps, 'viewer')
  })
  afterAll(async () => { await t?.close() })

  const get = (url: string, who?: SignedIn, lang = 'en') => t.app.inject({ method: 'GET', url, headers: { 'accept-language': lang, ...(who ? who.headers : {}) } })
  const post = (url: string, who: SignedIn, fields: Record<string, string> = { _csrf: who.csrf }) => t.app.inject({
    method: 'POST',
    url,
    headers: { 'accept-language': 'en', 'content-type': 'application/x-www-form-urlencoded', ...who.headers },
    payload: new URLSearchParams(fields).toString()
  })
  /** The page a browser lands on after a form's 303, with the flash cookie it was given. */
  const landing = (res: Awaited<ReturnType<typeof post>>, who: SignedIn) => t.app.inject({
    method: 'GET',
    url: String(res.headers.location).split('#')[0]!,
    headers: { 'accept-language': 'en', cookie: `${who.cookie}; ${String(res.headers['set-cookie']).split(';')[0]}` }
  })
  /** The numbers of a queue's state table, by state. */
  const countsOf = (html: string, queue: string) => {
    const section = html.slice(html.indexOf(`data-queue="${queue}"`))
    const end = section.indexOf('</section>')
    return Object.fromEntries([...section.slice(0, end).matchAll(/data-state="(\w+)">(?:<strong>)?([\d\s,]+)/g)].map((m) => [m[1], Number(m[2]!.replace(/\D/g, ''))]))
  }

  it('is for owners only, and in their navigation', async () => {
    const stranger = await get('/admin/queues')
    expect(stranger.statusCode).toBe(303)
    expect(stranger.headers.location).toBe('/admin/login?next=%2Fadmin%2Fqueues')
    expect((await get('/admin/queues', editor)).statusCode).toBe(403)
    expect((await get('/admin/queues', viewer)).statusCode).toBe(403)
    expect((await get('/admin', owner)).body).toContain('href="/admin/queues"')
    expect((await get('/admin', editor)).body).not.toContain('href="/admin/queues"')
    const res = await get('/admin/queues', owner)
    expect(res.statusCode).toBe(200)
    expect(res.body).toMatch(/<a href="\/admin\/queues" aria-current="page">Queues<\/a>/)
  })

  it('shows every queue of the registry with its jobs per state', async () => {
    const res = await get('/admin/queues', owner)
    const text = pageText(res.body)
    for (const q of Object.values(t.deps.queues)) expect(res.body).toContain(`data-queue="${q.name}"`)
    expect(text).toContain('Counting (tally and reconcile) counts')
    expect(text).toContain('Bottle deliveries (dossiers by e-mail)')
    expect(text).toContain('Milestone e-mails to the team')
    expect(text).toContain('Campaign openings and closings lifecycle')
    expect(text).toContain('No worker connected')
    for (const s of ['Waiting', 'Active', 'Delayed', 'Failed', 'Completed']) expect(text).toContain(s)
    expect(countsOf(res.body, 'lifecycle')).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 0, completed: 0 })

    await t.deps.queues.lifecycle.add('transition', { campaignId: randomUUID(), to: 'live', at: new Date(Date.now() + 3_600_000).toISOString() }, { delay: 3_600_000 })
    await t.deps.queues.lifecycle.add('transition', { campaignId: randomUUID(), to: 'closed', at: new Date().toISOString() })
    expect(countsOf((await get('/admin/queues', owner)).body, 'lifecycle')).toEqual({ waiting: 1, active: 0, delayed: 1, failed: 0, completed: 0 })
    const fr = pageText((await get('/admin/queues', owner, 'fr')).body)
    expect(fr).toContain('Ouvertures et clôtures de campagnes')
    expect(fr).toContain('Différées')
    await t.deps.queues.lifecycle.obliterate({ force: true })
  })

  it('lists a failed job with its name, reason, attempts and time, and Retry sends it back to wait', async () => {
    const campaignId = randomUUID()
    const job = await t.deps.queues.counts.add('tally', { campaignId }, { attempts: 1 })
    await failJobs(t, [job], 'PostgreSQL was away: connection refused')

    const page = await get('/admin/queues', owner)
    expect(countsOf(page.body, 'counts')).toMatchObject({ failed: 1, waiting: 0 })
    const row = page.body.slice(page.body.indexOf(`data-job-id="${job.id}"`))
    const text = pageText(row.slice(0, row.indexOf('</tr>')))
    expect(text).toContain('tally')
    expect(text).toContain('PostgreSQL was away: connection refused')
    expect(text).toContain('1 of 1')
    expect(text).toContain(`{"campaignId":"${campaignId}"}`)
    expect(row).toMatch(/<time datetime="\d{4}-\d\d-\d\dT/)
    const action = `/admin/queues/counts/jobs/${job.id}/retry`
    expect(page.body).toContain(`action="${action}"`)

    // Without the form's token, nothing moves.
    expect((await post(action, owner, {})).statusCode).toBe(403)
    expect(await job.getState()).toBe('failed')
    expect((await post(action, editor, { _csrf: editor.csrf })).statusCode).toBe(403)
    expect(await job.getState()).toBe('failed')

    const done = await post(action, owner)
    expect(done.statusCode).toBe(303)
    expect(done.headers.location).toBe('/admin/queues#q-counts')
    expect(await job.getState()).toBe('waiting')
    const after = await landing(done, owner)
    expect(pageText(after.body)).toContain(`Job ${job.id} of counts is waiting again.`)
    expect(countsOf(after.body, 'counts')).toMatchObject({ failed: 0, waiting: 1 })
    const audit = (await t.deps.pool.query("SELECT user_email, entity, entity_id, after FROM audit_log WHERE action = 'retry'")).rows
    expect(audit).toEqual([{ user_email: owner.user.email, entity: 'job', entity_id: String(job.id), after: { queue: 'counts', job: String(job.id), name: 'tally' } }])

    // Retried with its attempts counted afresh; retrying again finds nothing failed.
    expect((await t.deps.queues.counts.getJob(String(job.id)))!.attemptsMade).toBe(0)
    const again = await post(action, owner)
    expect(again.statusCode).toBe(303)
    expect(pageText((await landing(again, owner)).body)).toContain(`Job ${job.id} of counts is no longer failed`)
    await t.deps.queues.counts.obliterate({ force: true })
  })

  it('retries every failed job of a queue at once', async () => {
    const jobs = await Promise.all([1, 2, 3].map(() => t.deps.queues.counts.add('tally', { campaignId: randomUUID() }, { attempts: 1 })))
    await failJobs(t, jobs, 'boom')
    const page = await get('/admin/queues', owner)
    expect(countsOf(page.body, 'counts')).toMatchObject({ failed: 3 })
    expect(pageText(page.body)).toContain('Retry all 3 failed jobs')
    const res = await post('/admin/queues/counts/retry-failed', owner)
    expect(res.statusCode).toBe(303)
    expect(pageText((await landing(res, owner)).body)).toContain('3 failed jobs of counts are waiting again.')
    expect(await Promise.all(jobs.map((j) => j.getState()))).toEqual(['waiting', 'waiting', 'waiting'])
    expect(countsOf((await get('/admin/queues', owner)).body, 'counts')).toMatchObject({ failed: 0, waiting: 3 })
    expect(pageText((await landing(await post('/admin/queues/counts/retry-failed', owner), owner)).body)).toContain('No failed job to retry in counts.')
    const audit = (await t.deps.pool.query("SELECT entity, entity_id, after FROM audit_log WHERE action = 'retry' AND entity = 'queue'")).rows
    expect(audit).toEqual([{ entity: 'queue', entity_id: 'counts', after: { queue: 'counts', count: 3 } }])
    await t.deps.queues.counts.obliterate({ force: true })
  })

  it('answers 404 for a queue it does not know, and says so when the job is gone', async () => {
    expect((await post('/admin/queues/nope/retry-failed', owner)).statusCode).toBe(404)
    expect((await post('/admin/queues/nope/jobs/1/retry', owner)).statusCode).toBe(404)
    expect((await post('/admin/queues/counts/jobs/bad%20id/retry', owner)).statusCode).toBe(404)
    const gone = await post('/admin/queues/counts/jobs/12345/retry', owner)
    expect(gone.statusCode).toBe(303)
    expect(pageText((await landing(gone, owner)).body)).toContain('Job 12345 of counts is no longer failed (already retried or removed).')
  })
})

describe('admin: queue health when Redis is not answering', () => {
  let relay: Awaited<ReturnType<typeof redisRelay>>
  let t: App
  let owner: SignedIn

  beforeAll(async () => {
    relay = await redisRelay()
    t = await buildTestApp({ REDIS_URL: relay.url })
    owner = await signIn(t.deps, 'owner')
  })
  afterAll(async () => {
    await relay?.restore()
    await t?.close()
  })

  it('answers a 503 page that says so, in the admin’s language, and works again once Redis is back', async () => {
    const headers = (lang: string) => ({ 'accept-language': lang, ...owner.headers })
    expect((await t.app.inject({ method: 'GET', url: '/admin/queues', headers: headers('en') })).statusCode).toBe(200)
    await relay.cut()
    await eventually(async () => t.deps.redis.status !== 'ready', 5000, 'the client to see Redis gone')

    const en = await t.app.inject({ method: 'GET', url: '/admin/queues', headers: headers('en') })
    expect(en.statusCode).toBe(503)
    expect(en.headers['retry-after']).toBe('30')
    expect(en.body).toContain('data-testid="unavailable"')
    expect(pageText(en.body)).toContain('Redis is not answering')
    expect(pageText(en.body)).toContain('Actions are still recorded in PostgreSQL')
    const fr = await t.app.inject({ method: 'GET', url: '/admin/queues', headers: headers('fr') })
    expect(fr.statusCode).toBe(503)
    expect(pageText(fr.body)).toContain('Redis ne répond pas')
    const retry = await t.app.inject({
      method: 'POST',
      url: '/admin/queues/counts/retry-failed',
      headers: { ...headers('en'), 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ _csrf: owner.csrf }).toString()
    })
    expect(retry.statusCode).toBe(503)

    await relay.restore()
    await eventually(async () => (await t.app.inject({ method: 'GET', url: '/admin/queues', headers: headers('en') })).statusCode === 200, 15_000, 'the page to work again')
  })
})
