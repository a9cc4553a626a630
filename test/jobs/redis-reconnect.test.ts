import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startWorker, type RunningWorker } from '../../jobs/main.ts'
import { buildApp } from '../../server/app.ts'
import { loadConfig } from '../../server/config.ts'
import { createDeps, type Deps } from '../../server/deps.ts'
import { REDIS_URL, actBody, clearRedisPrefix, createTestDatabase, eventually, seedCampaign, silentLog, testEnv, type SeededCampaign } from '../helper.ts'
import { tcpRelay, type TcpRelay } from '../tcp-relay.ts'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('Redis coming back', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>
  const prefix = `bt-${randomBytes(4).toString('hex')}`
  // The web process and the worker reach Redis through relays of their own, cut one at a time.
  let webRelay: TcpRelay
  let workerRelay: TcpRelay
  let web: Deps
  let work: Deps
  let app: Awaited<ReturnType<typeof buildApp>>
  let worker: RunningWorker
  let c: SeededCampaign

  beforeAll(async () => {
    database = await createTestDatabase()
    webRelay = await tcpRelay(REDIS_URL, 6379)
    workerRelay = await tcpRelay(REDIS_URL, 6379)
    const config = (url: string) => ({ ...loadConfig(testEnv(database.url, prefix, { REDIS_URL: url, RECONCILE_INTERVAL_MS: '3600000' })), databaseUrl: database.url })
    web = await createDeps(config(webRelay.url), silentLog)
    work = await createDeps(config(workerRelay.url), silentLog)
    app = await buildApp(web)
    await web.catalog.start()
    await web.progressHub.start()
    worker = await startWorker(work)
    c = await seedCampaign(web)
  })
  afterAll(async () => {
    await webRelay.restore()
    await workerRelay.restore()
    await worker.close()
    web.progressHub.close()
    await app.close()
    await Promise.all([web.close(), work.close()])
    await clearRedisPrefix(prefix)
    await database.drop()
  })

  const total = async () => (await app.inject({ url: `/c/${c.slug}/progress.json` })).json().total as number
  const rows = async () => (await web.pool.query('SELECT count(*)::int AS n FROM actions WHERE campaign_id = $1', [c.id])).rows[0].n as number
  const send = async () => expect((await app.inject({ method: 'POST', url: `/c/${c.slug}/act`, headers: { accept: 'application/json' }, payload: actBody(c) })).statusCode).toBe(201)

  it('the web process reads the counters again when its Redis connection comes back (the progress published meanwhile was missed)', async () => {
    await send()
    await eventually(async () => (await total()) === 1, 10_000, 'the first send counted')
    await webRelay.cut()
    // Sends reach PostgreSQL through another web process; the worker counts and publishes them, unheard here.
    await web.pool.query(`INSERT INTO actions (campaign_id, target_id, message_id, channel, locale, text, key)
      SELECT $1, $2, $3, 'x', 'fr', 't', gen_random_uuid() FROM generate_series(1, 5)`, [c.id, c.targets[0]!.id, c.messages[0]!.id])
    await eventually(async () => {
      const r = await web.pool.query("SELECT count::int AS n FROM campaign_counts WHERE campaign_id = $1 AND dimension = 'total'", [c.id])
      return r.rows[0]?.n === 6
    }, 15_000, 'the worker to count the rows')
    expect(await total()).toBe(1)
    await webRelay.restore()
    await eventually(async () => (await total()) === 6, 5_000, 'the web process to read the counters again')
  })

  it('the worker counts again within a couple of seconds of Redis answering after a long outage', async () => {
    await workerRelay.cut()
    // Long enough for BullMQ's own back-off to reach several seconds between tries.
    for (let i = 0; i < 12; i++) {
      await send()
      await sleep(1000)
    }
    const expected = await rows()
    expect(await total()).toBeLessThan(expected)
    await workerRelay.restore()
    const back = Date.now()
    await eventually(async () => (await total()) === expected, 15_000, 'the total to count the sends made meanwhile')
    expect(Date.now() - back).toBeLessThan(3_000)
  }, 40_000)
})
