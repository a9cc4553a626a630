import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { actBody, buildTestApp, seedCampaign, type SeededCampaign } from '../helper.ts'

// The rule (README, "The public contract"): a key counts once per target and channel. The page keeps one key
// while it is open, so a supporter who goes back and writes to another decision-maker, or on another network,
// sends a real second message; a retry of the same send (a double click, a lost answer) counts once.
describe('the idempotency key', () => {
  let t: Awaited<ReturnType<typeof buildTestApp>>
  let c: SeededCampaign
  beforeAll(async () => {
    t = await buildTestApp()
    c = await seedCampaign(t.deps)
  })
  afterAll(async () => { await t.close() })

  const act = (body: Record<string, string>) => t.app.inject({ method: 'POST', url: `/c/${c.slug}/act`, headers: { accept: 'application/json' }, payload: body })
  const rows = async (key: string) => (await t.deps.pool.query('SELECT id::int, target_id, channel FROM actions WHERE key = $1 ORDER BY id', [key])).rows

  it('same key, target and channel again: the same answer, one row', async () => {
    const body = actBody(c)
    const first = await act(body)
    const again = await act({ ...body, text: 'Un autre texte' })
    expect(first.statusCode).toBe(201)
    expect(again.statusCode).toBe(201)
    expect(again.json().id).toBe(first.json().id)
    expect(again.json().intentUrl).toBe(first.json().intentUrl)
    expect(await rows(body.key!)).toHaveLength(1)
  })

  it('same key to another target or on another channel: a new send, counted', async () => {
    const body = actBody(c)
    const first = await act(body)
    const otherTarget = await act({ ...body, target: c.targets[1]!.id })
    const otherChannel = await act({ ...body, channel: 'bluesky' })
    for (const res of [first, otherTarget, otherChannel]) expect(res.statusCode).toBe(201)
    expect(new Set([first, otherTarget, otherChannel].map((r) => r.json().id)).size).toBe(3)
    expect(await rows(body.key!)).toEqual([
      { id: first.json().id, target_id: c.targets[0]!.id, channel: 'x' },
      { id: otherTarget.json().id, target_id: c.targets[1]!.id, channel: 'x' },
      { id: otherChannel.json().id, target_id: c.targets[0]!.id, channel: 'bluesky' }
    ])
  })
})
