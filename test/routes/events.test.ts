import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startWorker, type RunningWorker } from '../../jobs/main.ts'
import { actBody, buildTestApp, eventually, listen, seedCampaign, type SeededCampaign, readEventStream } from '../helper.ts'

type TestApp = Awaited<ReturnType<typeof buildTestApp>>

/** Opens an SSE stream and collects its progress events. */
const openStream = (base: string, path: string) => readEventStream<{ total: number }>(base, path, { only: 'progress' })

describe('GET /c/:slug/events', () => {
  let t: TestApp
  let worker: RunningWorker
  let c: SeededCampaign
  let base: string
  beforeAll(async () => {
    t = await buildTestApp()
    worker = await startWorker(t.deps)
    c = await seedCampaign(t.deps)
    base = await listen(t)
  })
  afterAll(async () => {
    await worker.close()
    await t.close()
  })

  it('sends the current total at once, then the new total after an action, to every open stream', async () => {
    const a = await openStream(base, `/c/${c.slug}/events`)
    const b = await openStream(base, `/c/${c.slug}/events`)
    expect(a.res.statusCode).toBe(200)
    expect(a.res.headers['content-type']).toMatch(/^text\/event-stream/)
    // Written straight to Node, the stream still carries the security headers of every response.
    expect(a.res.headers['x-content-type-options']).toBe('nosniff')
    expect(a.res.headers['content-security-policy']).toContain("default-src 'self'")
    expect(a.res.headers['referrer-policy']).toBe('strict-origin-when-cross-origin')
    await eventually(async () => a.events.length >= 1 && b.events.length >= 1, 5000, 'first events')
    expect(a.events[0]).toMatchObject({ slug: c.slug, total: 0 })
    const res = await fetch(`${base}/c/${c.slug}/act`, { method: 'POST', headers: { accept: 'application/json', 'content-type': 'application/json' }, body: JSON.stringify(actBody(c)) })
    expect(res.status).toBe(201)
    await eventually(async () => a.events.at(-1)?.total === 1 && b.events.at(-1)?.total === 1, 5000, 'total 1 on both streams')
    expect(t.deps.progressHub.connections()).toBe(2)
    a.close()
    b.close()
    await eventually(async () => t.deps.progressHub.connections() === 0, 5000, 'streams released')
  })

  it('publishes at most a few events per second however fast the clicks come', async () => {
    const s = await openStream(base, `/c/${c.slug}/events`)
    await eventually(async () => s.events.length >= 1, 5000, 'first event')
    const start = s.events.length
    const before = s.events.at(-1)!.total
    const started = Date.now()
    await Promise.all(Array.from({ length: 100 }, () => t.app.inject({ method: 'POST', url: `/c/${c.slug}/act`, headers: { accept: 'application/json' }, payload: actBody(c) })))
    await eventually(async () => s.events.at(-1)?.total === before + 100, 10_000, 'all 100 counted')
    const seconds = (Date.now() - started) / 1000
    const events = s.events.length - start
    // 100 clicks, but events are throttled by the tally interval (100 ms in tests).
    expect(events).toBeLessThan(100)
    expect(events).toBeLessThanOrEqual(Math.ceil(seconds / 0.1) + 2)
    s.close()
  })

  it('answers 404 for an unknown campaign', async () => {
    const res = await fetch(`${base}/c/nope/events`)
    expect(res.status).toBe(404)
  })
})

describe('Redis restarted empty', () => {
  let redis: ChildProcess | null = null
  let t: TestApp
  let worker: RunningWorker
  let port: number

  const startRedis = async (): Promise<void> => {
    redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
    await eventually(async () => new Promise<boolean>((resolve) => {
      const sock = createServer().listen(port, '127.0.0.1')
      sock.once('error', () => resolve(true))
      sock.once('listening', () => sock.close(() => resolve(false)))
    }), 5000, 'redis-server up')
  }

  beforeAll(async () => {
    port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port
        srv.close(() => resolve(p))
      })
    })
    await startRedis()
    t = await buildTestApp({ REDIS_URL: `redis://127.0.0.1:${port}` })
    worker = await startWorker(t.deps)
  })
  afterAll(async () => {
    await worker?.close()
    await t?.close()
    redis?.kill('SIGKILL')
  })

  it('loses no action and shows the right total once Redis is back', async () => {
    const c = await seedCampaign(t.deps)
    const send = () => t.app.inject({ method: 'POST', url: `/c/${c.slug}/act`, headers: { accept: 'application/json' }, payload: actBody(c) })
    for (let i = 0; i < 10; i++) expect((await send()).statusCode).toBe(201)
    await eventually(async () => (await t.app.inject({ url: `/c/${c.slug}/progress.json` })).json().total === 10, 10_000, 'total 10')

    redis!.kill('SIGKILL')
    await new Promise((resolve) => redis!.once('exit', resolve))
    // While Redis is down, sends are still recorded (the count follows later).
    for (let i = 0; i < 5; i++) expect((await send()).statusCode).toBe(201)
    await startRedis()
    for (let i = 0; i < 5; i++) expect((await send()).statusCode).toBe(201)

    await eventually(async () => (await t.app.inject({ url: `/c/${c.slug}/progress.json` })).json().total === 20, 30_000, 'total 20 after the restart')
    const rows = await t.deps.pool.query('SELECT count(*)::int AS n FROM actions WHERE campaign_id = $1', [c.id])
    expect(rows.rows[0].n).toBe(20)
  })
})
