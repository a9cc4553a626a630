import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tallyCampaign } from '../../jobs/tally-job.ts'
import { actBody, buildTestApp, eventually, listen, pageText, readEventStream, seedCampaign, signIn, type SeededCampaign, type SignedIn } from '../helper.ts'

// The dashboard's "Recruitment": how sends arrived, what supporter links brought, share clicks, partners (issue 14 §7).
describe('dashboard recruitment', () => {
  let t: Awaited<ReturnType<typeof buildTestApp>>
  let c: SeededCampaign
  let viewer: SignedIn
  let base: string
  beforeAll(async () => {
    t = await buildTestApp()
    base = await listen(t)
    c = await seedCampaign(t.deps)
    viewer = await signIn(t.deps, 'viewer')
  })
  afterAll(async () => { await t.close() })

  const send = (extra: Record<string, string>) => t.app.inject({ method: 'POST', url: `/c/${c.slug}/act`, headers: { accept: 'application/json' }, payload: actBody(c, extra) })
  const dashboard = async () => (await t.app.inject({ url: `/admin/campaigns/${c.id}/dashboard.json`, headers: { ...viewer.headers, accept: 'application/json' } })).json()

  it('counts sends by how they arrived, the links that brought someone, share clicks and the partners, from the counters', async () => {
    const admin = (await signIn(t.deps, 'editor')).user
    const data = (await t.deps.campaignRepo.findById(c.id))!
    await t.deps.partners.create(admin, data, { name: 'Alpha', code: 'alpha', email: '', lines: {}, onLeaderboard: true })
    await t.deps.partners.create(admin, data, { name: 'Beta', code: 'beta', email: '', lines: {}, onLeaderboard: false })
    // Supporters a, b, c got links (their own sends); a brought two people, b one, c nobody.
    for (const link of ['a', 'b', 'c']) expect((await send({ link })).statusCode).toBe(201)
    await send({ from: 'a', link: 'd' })
    await send({ from: 'a' })
    await send({ from: 'b', ref: 'alpha' })
    await send({ ref: 'alpha' })
    await send({ ref: 'beta' })
    await send({ source: 'embed', ref: 'alpha' })
    await send({ source: 'embed' })
    for (const network of ['x', 'x', 'whatsapp']) await t.app.inject({ url: `/c/${c.slug}/share/${network}?m=${c.messages[0]!.id}` })
    await t.app.inject({ method: 'POST', url: `/c/${c.slug}/shared`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'network=copy' })
    await tallyCampaign(t.deps, c.id)
    const r = await eventually(async () => {
      const d = await dashboard()
      return d.total === 10 && d.recruitment.shares.length === 3 ? d.recruitment : null
    }, 10_000, 'recruitment figures')
    expect(r.reach).toEqual({ ref: 4, from: 3, embed: 2, direct: 3 })
    // Links given: a, b, c, d; those that brought at least one more: a and b.
    expect(r.links).toEqual({ given: 4, brought: 2, percent: 50 })
    expect(r.shares).toEqual([{ key: 'x', count: 2 }, { key: 'copy', count: 1 }, { key: 'whatsapp', count: 1 }])
    expect(r.sharesByVariant).toEqual([{ key: c.messages[0]!.id, count: 3 }])
    expect(r.partners).toEqual([{ name: 'Alpha', code: 'alpha', logo: null, count: 3, rank: 1 }, { name: 'Beta', code: 'beta', logo: null, count: 1, rank: 2 }])
    const page = await t.app.inject({ url: `/admin/campaigns/${c.id}`, headers: { ...viewer.headers, 'accept-language': 'en' } })
    const section = pageText(/<section class="section" id="recruitment"[\s\S]*?<\/section>/.exec(page.body)![0])
    expect(section).toContain('Through a partner\'s code 4')
    expect(section).toContain('50% of supporters given a link brought at least one more (2 of 4).')
    expect(section).toMatch(/Alpha \(alpha\) 3/)
  })

  it('moves live on the dashboard stream when a share is counted', async () => {
    const stream = await readEventStream<{ recruitment: { shares: Array<{ key: string, count: number }> } }>(base, `/admin/campaigns/${c.id}/events`, { only: 'dashboard', cookie: viewer.cookie })
    try {
      await t.app.inject({ url: `/c/${c.slug}/share/telegram` })
      await eventually(async () => stream.events.some((e) => e.recruitment.shares.some((s) => s.key === 'telegram' && s.count === 1)), 10_000, 'a live share')
    } finally {
      stream.close()
    }
  })
})
