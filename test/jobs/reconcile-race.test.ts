import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestDeps, seedCampaign, type TestContext } from '../helper.ts'

/** The published total and the rows, read in one statement (one snapshot), so they can be compared. */
async function sample (t: TestContext, campaignId: string): Promise<{ published: number, rows: number }> {
  const { rows } = await t.deps.pool.query<{ published: number, rows: number }>(`
    SELECT coalesce((SELECT count FROM campaign_counts WHERE campaign_id = $1 AND dimension = 'total'), 0)::int AS published,
           (SELECT count(*) FROM actions WHERE campaign_id = $1)::int AS rows`, [campaignId])
  return rows[0]!
}

describe('the reconcile under a steady stream of sends', () => {
  let t: TestContext
  beforeAll(async () => { t = await buildTestDeps() })
  afterAll(async () => { await t.close() })

  it('never publishes more than the rows, and ends equal', async () => {
    const c = await seedCampaign(t.deps)
    // Rows already there make each rebuild take long enough for sends to commit while it runs.
    await t.deps.pool.query(`
      INSERT INTO actions (campaign_id, target_id, message_id, channel, locale, text, key, tallied)
      SELECT $1, $2, $3, 'x', 'fr', 'text', gen_random_uuid(), true FROM generate_series(1, 30000)`, [c.id, c.targets[0]!.id, c.messages[0]!.id])
    await t.deps.actionRepo.rebuild(c.id)

    const stream = { running: true }
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
    // About 100 sends a second, each its own committed insert, as web processes make them.
    const sends = (async () => {
      let i = 0
      while (stream.running) {
        await Promise.all(Array.from({ length: 5 }, () => t.deps.actionRepo.record({
          campaignId: c.id, targetId: c.targets[i++ % 3]!.id, messageId: c.messages[0]!.id, channel: 'x', locale: 'fr', text: 'text', ref: null, key: crypto.randomUUID()
        })))
        await sleep(50)
      }
    })()
    const tallies = (async () => {
      while (stream.running) {
        await t.deps.actionRepo.tally(c.id, 1000)
        await sleep(100)
      }
    })()
    const reconciles = (async () => {
      while (stream.running) {
        await t.deps.actionRepo.rebuild(c.id)
        await sleep(1000)
      }
    })()
    const over: Array<{ published: number, rows: number }> = []
    let samples = 0
    const until = Date.now() + 6_000
    while (Date.now() < until) {
      const s = await sample(t, c.id)
      samples++
      if (s.published > s.rows) over.push(s)
      await sleep(100)
    }
    stream.running = false
    await Promise.all([sends, tallies, reconciles])
    await t.deps.actionRepo.tally(c.id, 1000)

    expect(samples).toBeGreaterThan(20)
    expect(over).toEqual([])
    const end = await sample(t, c.id)
    expect(end.rows).toBeGreaterThan(30_300)
    expect(end.published).toBe(end.rows)
  }, 30_000)
})
