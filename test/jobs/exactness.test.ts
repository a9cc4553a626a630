import { spawn, type ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { isDeepStrictEqual } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startWorker, type RunningWorker } from '../../jobs/main.ts'
import { actBody, buildTestApp, clearRedisPrefix, eventually, seedCampaign, testEnv, type SeededCampaign } from '../helper.ts'

const BIN = fileURLToPath(new URL('../../server/bin.js', import.meta.url))

type TestApp = Awaited<ReturnType<typeof buildTestApp>>

async function publishedTotal (t: TestApp, slug: string): Promise<number> {
  return (await t.app.inject({ url: `/c/${slug}/progress.json` })).json().total
}

async function sqlCounts (t: TestApp, campaignId: string) {
  const q = (sql: string) => t.deps.pool.query(sql, [campaignId]).then((r) => r.rows)
  const [rows] = await q('SELECT count(*)::int AS n, count(DISTINCT key)::int AS keys FROM actions WHERE campaign_id = $1')
  const counters = Object.fromEntries((await q("SELECT dimension || ':' || key AS k, count::int AS n FROM campaign_counts WHERE campaign_id = $1")).map((r) => [r.k, r.n]))
  const expected = Object.fromEntries((await q(`
    SELECT 'total:' AS k, count(*)::int AS n FROM actions WHERE campaign_id = $1
    UNION ALL SELECT 'target:' || target_id, count(*)::int FROM actions WHERE campaign_id = $1 GROUP BY target_id
    UNION ALL SELECT 'channel:' || channel, count(*)::int FROM actions WHERE campaign_id = $1 GROUP BY channel
    UNION ALL SELECT 'locale:' || locale, count(*)::int FROM actions WHERE campaign_id = $1 GROUP BY locale
    UNION ALL SELECT 'ref:' || ref, count(*)::int FROM actions WHERE campaign_id = $1 AND ref IS NOT NULL GROUP BY ref
    UNION ALL SELECT 'message:' || message_id, count(*)::int FROM actions WHERE campaign_id = $1 AND message_id IS NOT NULL GROUP BY message_id
    UNION ALL SELECT 'hour:' || to_char(date_trunc('hour', created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD"T"HH24":00Z"'), count(*)::int FROM actions WHERE campaign_id = $1 GROUP BY 1
    UNION ALL SELECT 'minute:' || to_char(date_trunc('minute', created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD"T"HH24:MI"Z"'), count(*)::int FROM actions WHERE campaign_id = $1 GROUP BY 1
    UNION ALL SELECT 'reach:' || CASE WHEN r = 1 THEN 'ref' WHEN r = 2 THEN 'from' WHEN r = 3 THEN 'embed' ELSE 'direct' END, count(*)::int
      FROM actions, generate_series(1, 4) AS r WHERE campaign_id = $1 AND CASE r WHEN 1 THEN ref IS NOT NULL WHEN 2 THEN from_code IS NOT NULL WHEN 3 THEN source = 'embed' ELSE ref IS NULL AND from_code IS NULL AND source <> 'embed' END GROUP BY 1
    UNION ALL SELECT 'from:' || from_code, count(*)::int FROM actions WHERE campaign_id = $1 AND from_code IS NOT NULL GROUP BY 1
    UNION ALL SELECT 'link:' || link_code, count(*)::int FROM actions WHERE campaign_id = $1 AND link_code IS NOT NULL GROUP BY 1
    UNION ALL SELECT 'ref_target:' || ref || '|' || target_id, count(*)::int FROM actions WHERE campaign_id = $1 AND ref IS NOT NULL GROUP BY 1
    UNION ALL SELECT 'ref_channel:' || ref || '|' || channel, count(*)::int FROM actions WHERE campaign_id = $1 AND ref IS NOT NULL GROUP BY 1
    UNION ALL SELECT 'ref_hour:' || ref || '|' || to_char(date_trunc('hour', created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD"T"HH24":00Z"'), count(*)::int FROM actions WHERE campaign_id = $1 AND ref IS NOT NULL GROUP BY 1`)).map((r) => [r.k, r.n]))
  return { rows: rows.n as number, keys: rows.keys as number, counters, expected }
}

/** Inserts n actions straight into the database (untallied), as if many web instances had taken them. */
async function insertActions (t: TestApp, c: SeededCampaign, n: number): Promise<void> {
  await t.deps.pool.query(`
    INSERT INTO actions (campaign_id, target_id, message_id, channel, locale, text, ref, key, from_code, link_code, source)
    SELECT $1, ($2::uuid[])[1 + i % 3], $3, (ARRAY['x','bluesky','mastodon','email','bottle'])[1 + i % 5]::channel,
           CASE WHEN i % 4 = 0 THEN 'en' ELSE 'fr' END, 'text', CASE WHEN i % 7 = 0 THEN 'partner' END, gen_random_uuid(),
           CASE WHEN i % 6 = 0 THEN 'friend' || (i % 5) END, 'sender' || (i % 11), CASE WHEN i % 9 = 0 THEN 'embed' ELSE 'page' END
    FROM generate_series(1, $4) AS i`, [c.id, c.targets.map((x) => x.id), c.messages[0]!.id, n])
}

describe('exact counting', () => {
  let t: TestApp
  let worker: RunningWorker | null = null
  beforeAll(async () => { t = await buildTestApp({ TALLY_BATCH_SIZE: '50' }) })
  afterAll(async () => {
    await worker?.close()
    await t.close()
  })

  it('publishes a total equal to the distinct keys and the rows after concurrent sends with repeated keys', async () => {
    worker = await startWorker(t.deps)
    const c = await seedCampaign(t.deps)
    const keys = Array.from({ length: 150 }, () => randomUUID())
    const sends = [...keys, ...keys.slice(0, 60)].map((key, i) => actBody(c, {
      key, target: c.targets[i % 2]!.id, channel: ['x', 'bluesky', 'email'][i % 3]!, ...(i % 5 === 0 ? { ref: 'partner-a' } : {})
    }))
    // The repeats carry the same target and channel as their first send (same key = same send).
    for (let i = 150; i < sends.length; i++) Object.assign(sends[i]!, { target: sends[i - 150]!.target, channel: sends[i - 150]!.channel, ref: sends[i - 150]!.ref })
    const answers = await Promise.all(sends.map((payload) => t.app.inject({ method: 'POST', url: `/c/${c.slug}/act`, headers: { accept: 'application/json' }, payload })))
    expect(answers.every((a) => a.statusCode === 201)).toBe(true)
    await eventually(async () => (await publishedTotal(t, c.slug)) === 150, 15_000, 'published total 150')
    const s = await sqlCounts(t, c.id)
    expect(s.rows).toBe(150)
    expect(s.keys).toBe(150)
    expect(s.counters).toEqual(s.expected)
    await worker.close()
    worker = null
  })

  it('stays exact when a worker is killed in the middle of a tally', async () => {
    const c = await seedCampaign(t.deps)
    await insertActions(t, c, 20_000)
    const env = { ...process.env, ...testEnv(t.databaseUrl, t.prefix, { TALLY_BATCH_SIZE: '50', SEED_DEMO: 'false' }) }
    const child: ChildProcess = spawn(process.execPath, [BIN, 'start', 'worker'], { env, stdio: 'ignore' })
    try {
      // Wait until the tally has counted part of the rows, then kill the worker without warning.
      const partial = await eventually(async () => {
        const { rows } = await t.deps.pool.query("SELECT count::int AS n FROM campaign_counts WHERE campaign_id = $1 AND dimension = 'total'", [c.id])
        const n = rows[0]?.n ?? 0
        return n > 0 && n < 20_000 ? n : null
      }, 30_000, 'a partial tally')
      child.kill('SIGKILL')
      expect(partial).toBeLessThan(20_000)
    } finally {
      child.kill('SIGKILL')
    }
    worker = await startWorker(t.deps)
    await eventually(async () => (await publishedTotal(t, c.slug)) === 20_000, 40_000, 'total 20000 after the kill')
    const s = await sqlCounts(t, c.id)
    expect(s.rows).toBe(20_000)
    expect(s.counters).toEqual(s.expected)
    const untallied = await t.deps.pool.query('SELECT count(*)::int AS n FROM actions WHERE campaign_id = $1 AND NOT tallied', [c.id])
    expect(untallied.rows[0].n).toBe(0)
    await worker.close()
    worker = null
  })

  it('counts every action after Redis lost all its keys (queued tallies included)', async () => {
    const c = await seedCampaign(t.deps)
    // Actions taken while no worker runs: their tally jobs wait in Redis…
    for (let i = 0; i < 30; i++) {
      const res = await t.app.inject({ method: 'POST', url: `/c/${c.slug}/act`, headers: { accept: 'application/json' }, payload: actBody(c) })
      expect(res.statusCode).toBe(201)
    }
    // …and are lost with everything else of this installation in Redis.
    await clearRedisPrefix(t.prefix)
    expect(await t.deps.redis.keys(`${t.prefix}:*`)).toEqual([])
    worker = await startWorker(t.deps)
    await eventually(async () => (await publishedTotal(t, c.slug)) === 30, 15_000, 'total 30 after Redis was emptied')
    const s = await sqlCounts(t, c.id)
    expect(s.counters).toEqual(s.expected)
    await worker.close()
    worker = null
  })

  it('rebuilds wrong counters from the action rows (reconcile)', async () => {
    const c = await seedCampaign(t.deps)
    await insertActions(t, c, 500)
    worker = await startWorker(t.deps)
    await eventually(async () => (await publishedTotal(t, c.slug)) === 500, 15_000, 'total 500')
    await t.deps.pool.query("UPDATE campaign_counts SET count = count + 7 WHERE campaign_id = $1 AND dimension IN ('total', 'channel')", [c.id])
    await t.deps.pool.query("DELETE FROM campaign_counts WHERE campaign_id = $1 AND dimension = 'target'", [c.id])
    await t.deps.queues.counts.add('reconcile', { campaignId: c.id })
    await eventually(async () => {
      const s = await sqlCounts(t, c.id)
      return isDeepStrictEqual(s.counters, s.expected)
    }, 15_000, 'rebuilt counters')
    const s = await sqlCounts(t, c.id)
    expect(s.counters).toEqual(s.expected)
    expect(await publishedTotal(t, c.slug)).toBe(500)
    await worker.close()
    worker = null
  })
})
