import { randomBytes } from 'node:crypto'
import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startWorker, type RunningWorker } from '../../jobs/main.ts'
import { buildApp } from '../../server/app.ts'
import { loadConfig } from '../../server/config.ts'
import { createDeps, type Deps } from '../../server/deps.ts'
import { REDIS_URL, actBody, clearRedisPrefix, createTestDatabase, eventually, pageText, seedCampaign, testEnv, type SeededCampaign } from '../helper.ts'
import { tcpRelay, type TcpRelay } from '../tcp-relay.ts'

const FORM = { 'content-type': 'application/x-www-form-urlencoded' }

describe('PostgreSQL and Redis away, and a stopping server', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>
  let pgRelay: TcpRelay
  let redisRelay: TcpRelay
  let deps: Deps
  let app: Awaited<ReturnType<typeof buildApp>>
  let worker: RunningWorker | null = null
  let c: SeededCampaign
  const prefix = `bt-${randomBytes(4).toString('hex')}`
  const warnings: string[] = []

  beforeAll(async () => {
    database = await createTestDatabase()
    pgRelay = await tcpRelay(database.url, 5432)
    redisRelay = await tcpRelay(REDIS_URL, 6379)
    // Through both relays, with the rate limit on.
    const config = loadConfig(testEnv(pgRelay.url, prefix, { REDIS_URL: redisRelay.url, ACTION_RATE_LIMIT: '1000' }))
    deps = await createDeps({ ...config, databaseUrl: pgRelay.url }, { info: () => {}, warn: (m) => warnings.push(m), error: () => {} })
    app = await buildApp(deps)
    await deps.catalog.start()
    await deps.progressHub.start()
    c = await seedCampaign(deps)
  })
  afterAll(async () => {
    await pgRelay.restore()
    await redisRelay.restore()
    await worker?.close()
    deps.progressHub.close()
    await app.close()
    await deps.close()
    await clearRedisPrefix(prefix)
    await database.drop()
  })

  const act = (body: Record<string, string>, headers: Record<string, string> = { accept: 'application/json' }) =>
    app.inject({ method: 'POST', url: `/c/${c.slug}/act`, headers, payload: body })

  it('answers 503 with Retry-After while PostgreSQL is unreachable, keeps the supporter’s text, and recovers by itself', async () => {
    expect((await act(actBody(c))).statusCode).toBe(201)
    expect((await app.inject({ url: `/c/${c.slug}` })).statusCode).toBe(200)
    await pgRelay.cut()
    try {
      const json = await act(actBody(c))
      expect(json.statusCode).toBe(503)
      expect(json.headers['retry-after']).toBe('5')
      expect(json.json()).toEqual({ error: expect.stringMatching(/pas été envoyé/) })

      const body = actBody(c, { message: c.messages[2]!.id, text: 'Fund loss and damage, please!' })
      const form = await app.inject({ method: 'POST', url: `/c/${c.slug}/act`, headers: { ...FORM, 'accept-language': 'en' }, payload: new URLSearchParams(body).toString() })
      expect(form.statusCode).toBe(503)
      expect(form.headers['retry-after']).toBe('5')
      const text = pageText(form.body)
      expect(text).toContain('Your message was not sent')
      // The campaign page with the supporter's own text and key, to send again.
      expect(form.body).toContain('Fund loss and damage, please!')
      expect(form.body).toContain(body.key)
      expect(form.body).toContain('<form')
      expect(text).not.toMatch(/Nothing is lost|unexpected error/i)

      const ready = await app.inject({ url: '/readyz' })
      expect(ready.statusCode).toBe(503)
      expect(ready.json()).toMatchObject({ checks: { postgres: 'down', redis: 'ok' } })
      // The page, from memory, is still there.
      expect((await app.inject({ url: `/c/${c.slug}` })).statusCode).toBe(200)
      // Many failures, one warning line for them.
      for (let i = 0; i < 20; i++) await act(actBody(c))
      expect(warnings.filter((w) => w.startsWith('PostgreSQL unavailable, a send answered 503')).length).toBe(1)
    } finally {
      await pgRelay.restore()
    }
    const back = actBody(c)
    const again = await eventually(async () => {
      const res = await act(back)
      return res.statusCode === 201 ? res : null
    }, 10_000, 'a send accepted again')
    expect(again.json().id).toBeGreaterThan(0)
    expect((await app.inject({ url: '/readyz' })).statusCode).toBe(200)
  })

  it('takes sends while Redis is away with the rate limit on, and counts them once Redis is back', async () => {
    worker = await startWorker(deps)
    await redisRelay.cut()
    const keys: string[] = []
    try {
      const ready = await app.inject({ url: '/readyz' })
      expect(ready.statusCode).toBe(503)
      expect(ready.json()).toMatchObject({ checks: { postgres: 'ok', redis: 'down' } })
      for (let i = 0; i < 10; i++) {
        const body = actBody(c)
        const res = await act(body)
        expect(res.statusCode).toBe(201)
        keys.push(body.key!)
        // Past the tally requester's 25 ms window: each send tries its own enqueue, and fails.
        await new Promise((resolve) => setTimeout(resolve, 40))
      }
      // Ten failed enqueues, one line saying so.
      expect(warnings.filter((w) => w.startsWith('tally not queued')).length).toBe(1)
    } finally {
      await redisRelay.restore()
    }
    const { rows } = await deps.pool.query('SELECT count(*)::int AS n FROM actions WHERE campaign_id = $1', [c.id])
    await eventually(async () => (await app.inject({ url: `/c/${c.slug}/progress.json` })).json().total === rows[0].n, 15_000, 'the total to count the sends made without Redis')
    await worker.close()
    worker = null
  // A worker reconnecting to a cut Redis, ten sends and the recount: seconds alone, more on a loaded CI machine.
  }, 90_000)

  it('answers a request on a kept-alive socket during shutdown in the page’s language and format, with Retry-After', async () => {
    await app.listen({ port: 0, host: '127.0.0.1' })
    const { port } = app.server.address() as { port: number }
    const socket = connect(port, '127.0.0.1')
    await new Promise((resolve) => socket.once('connect', resolve))
    let received = ''
    socket.setEncoding('utf8')
    socket.on('data', (d: string) => { received += d })
    const ended = new Promise((resolve) => socket.once('close', resolve))
    // A send whose body is still coming holds the kept-alive socket busy while the server starts to close.
    const body = new URLSearchParams(actBody(c, { message: c.messages[2]!.id })).toString()
    socket.write(`POST /c/${c.slug}/act HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, 10)}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
    const closing = app.close()
    await new Promise((resolve) => setTimeout(resolve, 100))
    // The rest of the send, then the next request on the same socket: it arrives during the shutdown.
    socket.write(`${body.slice(10)}GET /c/${c.slug} HTTP/1.1\r\nHost: x\r\nAccept: text/html\r\nAccept-Language: en\r\nConnection: keep-alive\r\n\r\n`)
    await ended
    await closing
    const [first, second] = received.split(/(?=HTTP\/1\.1 )/)
    expect(first).toMatch(/^HTTP\/1\.1 303 /)
    expect(second).toMatch(/^HTTP\/1\.1 503 /)
    expect(second).toMatch(/\r\nretry-after: 5\r\n/i)
    expect(second).toMatch(/\r\nconnection: close\r\n/i)
    expect(second).toMatch(/\r\ncontent-type: text\/html/i)
    expect(pageText(second!)).toContain('briefly unavailable')
  })
})
