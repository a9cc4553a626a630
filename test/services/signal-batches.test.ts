import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import type { CampaignData } from '../../server/repos/campaign-repo.ts'
import { createSignalService } from '../../server/services/signal-service.ts'
import { eventually, REDIS_URL } from '../helper.ts'

// Sends are counted in batches (one Redis round trip for many): the counters and the switch-on must come out as if
// the sends had been counted one by one.
describe('signals counted in batches', () => {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 })
  afterAll(() => { redis.disconnect() })

  const setup = (thresholds: Partial<Parameters<typeof createSignalService>[0]['thresholds']> = {}) => {
    const bursts: string[] = []
    const errors: Error[] = []
    const at = Math.floor(Date.now() / 60_000) * 60_000 - 30_000
    const service = createSignalService({
      redis,
      prefix: `bt-sig-${randomBytes(4).toString('hex')}`,
      thresholds: { burstFactor: 5, burstMin: 3, duplicateShare: 0.5, duplicateMin: 4, ...thresholds },
      onBurst: async (_c, reason) => { bursts.push(reason) },
      onChange: async () => {},
      onError: (err) => { errors.push(err) },
      // The middle of a minute, held: no batch is split by a minute's end while the test runs.
      now: () => at
    })
    return { service, bursts, errors }
  }
  const campaign = (mode: 'auto' | 'off') => ({ id: `c-${randomBytes(4).toString('hex')}`, challengeMode: mode }) as unknown as CampaignData

  it('counts one burst minute per target that crosses the threshold, and every copy after a text\'s first as a duplicate', async () => {
    const { service, errors } = setup()
    const c = campaign('off')
    // One batch: five sends to A (crosses 3), two to B (does not); four copies of one text, one other text.
    for (let i = 0; i < 5; i++) service.observe(c, 'A', i < 4 ? 'Act now!' : 'Something else')
    for (let i = 0; i < 2; i++) service.observe(c, 'B', null)
    await eventually(async () => (await service.read(c.id)).duplicates === 3, 3000, 'three duplicates')
    expect((await service.read(c.id)).targetBursts).toEqual([{ targetId: 'A', count: 1 }])
    // The next batch: B crosses now; A, already past, counts no second burst; two more copies are two duplicates.
    service.observe(c, 'B', 'act now')
    service.observe(c, 'A', 'ACT NOW')
    await eventually(async () => (await service.read(c.id)).duplicates === 5, 3000, 'five duplicates')
    const s = await service.read(c.id)
    expect(s.targetBursts.sort((a, b) => a.targetId.localeCompare(b.targetId))).toEqual([{ targetId: 'A', count: 1 }, { targetId: 'B', count: 1 }])
    expect(errors).toEqual([])
  })

  it('switches a campaign in automatic mode on when a batch makes the minute a burst, and only then', async () => {
    const quiet = setup({ burstMin: 10 })
    const c = campaign('auto')
    for (let i = 0; i < 9; i++) quiet.service.observe(c, 'A', null)
    await new Promise((resolve) => setTimeout(resolve, 400))
    expect(quiet.bursts).toEqual([])
    quiet.service.observe(c, 'A', null)
    await eventually(async () => quiet.bursts.length === 1, 3000, 'the burst seen')
    expect(quiet.bursts).toEqual(['rate'])
    // Near-identical texts: four free texts, three the same (75 % ≥ 50 %, and at least four).
    const texts = setup({ burstMin: 1000 })
    const d = campaign('auto')
    for (const text of ['Pay up', 'pay up!', 'Other words', 'PAY UP']) texts.service.observe(d, 'A', text)
    await eventually(async () => texts.bursts.length === 1, 3000, 'the duplicates seen')
    expect(texts.bursts).toEqual(['duplicates'])
  })
})
