import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startWorker, type RunningWorker } from '../../jobs/main.ts'
import { actBody, buildTestApp, eventually, seedCampaign, type SeededCampaign } from '../helper.ts'

describe('smoke', () => {
  let t: Awaited<ReturnType<typeof buildTestApp>>
  let worker: RunningWorker
  let c: SeededCampaign
  beforeAll(async () => {
    t = await buildTestApp()
    worker = await startWorker(t.deps)
    c = await seedCampaign(t.deps)
  })
  afterAll(async () => {
    await worker.close()
    await t.close()
  })

  it('counts an action', async () => {
    const res = await t.app.inject({ method: 'POST', url: `/c/${c.slug}/act`, headers: { accept: 'application/json' }, payload: actBody(c) })
    expect(res.statusCode).toBe(201)
    console.log(res.json())
    const p = await eventually(async () => {
      const r = await t.app.inject({ url: `/c/${c.slug}/progress.json` })
      const j = r.json()
      return j.total === 1 ? j : null
    })
    console.log(p)
  })
})
