import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDashboardHub } from '../../server/services/dashboard-hub.ts'
import { verdictOf } from '../../server/services/dashboard-service.ts'
import { buildTestDeps, eventually, seedCampaign } from '../helper.ts'

describe('dashboard hub', () => {
  let t: Awaited<ReturnType<typeof buildTestDeps>>
  beforeAll(async () => { t = await buildTestDeps() })
  afterAll(async () => { await t.close() })

  it('reads once per campaign per progress event however many viewers watch, and shares one read between concurrent requests', async () => {
    const c = await seedCampaign(t.deps)
    const other = await seedCampaign(t.deps)
    let reads = 0
    // The real read of the counters, counted.
    const hub = createDashboardHub({
      bus: t.deps.bus,
      channels: t.deps.channels,
      read: async (id) => { reads++; return t.deps.dashboardService.read(id) },
      tickMs: 60_000
    })
    try {
      const got = await Promise.all(Array.from({ length: 20 }, () => hub.get(c.id)))
      expect(reads).toBe(1)
      expect(new Set(got.map((e) => e!.json)).size).toBe(1)

      const frames: string[][] = Array.from({ length: 50 }, () => [])
      const unsubscribe = frames.map((list) => hub.subscribe(c.id, { write: (chunk) => { list.push(chunk); return true }, end: () => {} }))
      reads = 0
      await t.deps.pool.query('INSERT INTO actions (campaign_id, target_id, channel, locale, text, key) VALUES ($1, $2, \'x\', \'fr\', \'t\', gen_random_uuid())', [c.id, c.targets[0]!.id])
      await t.deps.actionRepo.tally(c.id, 100)
      await t.deps.progressService.publish(c.id)
      await eventually(async () => frames.every((f) => f.some((x) => x.includes('"total":1'))), 5000, 'every viewer got the new total')
      expect(reads).toBe(1)
      // An event for a campaign nobody watches costs nothing.
      await t.deps.progressService.publish(other.id)
      await new Promise((resolve) => setTimeout(resolve, 200))
      expect(reads).toBe(1)

      // A burst of events while a read runs: at most one more read after it, and the last document is the newest.
      for (let i = 0; i < 10; i++) await t.deps.progressService.publish(c.id)
      await new Promise((resolve) => setTimeout(resolve, 500))
      expect(reads).toBeGreaterThanOrEqual(2)
      expect(reads).toBeLessThanOrEqual(11)
      for (const u of unsubscribe) u()
      expect(hub.connections()).toBe(0)
      expect((await hub.get('00000000-0000-4000-8000-000000000000'))).toBeNull()
    } finally {
      hub.close()
    }
  })

  it('says whether the campaign is winning from the pace and the closing time', () => {
    const now = Date.parse('2026-03-01T12:00:00Z')
    const inHours = (h: number) => new Date(now + h * 3_600_000)
    expect(verdictOf(1000, 1000, 2500, 0, null, now)).toEqual({ verdict: 'reached', projectedAt: null })
    // 500 to go at 100 an hour: five hours.
    expect(verdictOf(500, 1000, 1000, 100, inHours(6), now)).toEqual({ verdict: 'onTrack', projectedAt: '2026-03-01T17:00:00.000Z' })
    expect(verdictOf(500, 1000, 1000, 100, inHours(4), now)).toEqual({ verdict: 'behind', projectedAt: '2026-03-01T17:00:00.000Z' })
    expect(verdictOf(500, 1000, 1000, 0, inHours(4), now)).toEqual({ verdict: 'stalled', projectedAt: null })
    expect(verdictOf(500, 1000, 1000, 100, null, now).verdict).toBe('noDeadline')
  })
})
