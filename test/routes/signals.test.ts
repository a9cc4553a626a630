import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { actBody, buildTestApp, eventually, pageText, seedCampaign, signIn, type SeededCampaign, type SignedIn } from '../helper.ts'

describe('bot-defence signals on the dashboard', () => {
  let t: Awaited<ReturnType<typeof buildTestApp>>
  let c: SeededCampaign
  let viewer: SignedIn

  beforeAll(async () => {
    t = await buildTestApp({ ACTION_RATE_LIMIT: '4', CHALLENGE_BURST_MIN: '3' })
    c = await seedCampaign(t.deps)
    viewer = await signIn(t.deps, 'viewer')
  })
  afterAll(async () => { await t.close() })

  const send = (extra: Record<string, string> = {}, ip = '198.51.100.7') =>
    t.app.inject({ method: 'POST', url: `/c/${c.slug}/act`, headers: { accept: 'application/json' }, payload: actBody(c, extra), remoteAddress: ip })
  const dashboard = async () => (await t.app.inject({ url: `/admin/campaigns/${c.id}/dashboard.json`, headers: viewer.headers })).json()

  it('counts 429s and the addresses that hit the limit, bursts on one target and near-identical free texts, without storing an address or a text', async () => {
    const statuses: number[] = []
    for (let i = 0; i < 6; i++) statuses.push((await send({ text: 'Agissez maintenant pour le climat !' })).statusCode)
    expect(statuses).toEqual([201, 201, 201, 201, 429, 429])
    // Another address, limited once.
    for (let i = 0; i < 5; i++) await send({ target: c.targets[1]!.id }, '203.0.113.9')

    const s = await eventually(async () => {
      const d = await dashboard()
      const sig = d.defence?.signals
      return sig && sig.rateLimited === 3 && sig.duplicates === 3 && sig.targetBursts.length === 2 ? sig : null
    }, 5000, 'the signals counted')
    expect(s).toMatchObject({ refused: 0, rateLimited: 3, rateLimitedAddresses: 2, duplicates: 3, autoSwitches: 0 })
    // One burst minute on each target (3 sends to it within the minute).
    expect(s.targetBursts.map((b: { count: number }) => b.count)).toEqual([1, 1])

    // Nothing in Redis names an address or holds the text.
    const keys = await t.deps.redis.keys(`${t.deps.config.redisPrefix}:sig:*`)
    const dump = (await Promise.all(keys.map(async (k) => {
      const type = await t.deps.redis.type(k)
      return type === 'hash' ? JSON.stringify(await t.deps.redis.hgetall(k)) : String(await t.deps.redis.get(k))
    }))).join(' ') + keys.join(' ')
    expect(dump).not.toMatch(/198\.51|203\.0|climat/)
  })

  it('shows them in its own section of the dashboard page, with the state of the challenge', async () => {
    const res = await t.app.inject({ url: `/admin/campaigns/${c.id}`, headers: { ...viewer.headers, 'accept-language': 'en' } })
    expect(res.statusCode).toBe(200)
    const section = /<section class="section dash-signals"[\s\S]*?<\/section>/.exec(res.body)![0]
    const text = pageText(section)
    expect(text).toContain('Bot defence')
    expect(text).toContain('Challenge off: sends are not checked.')
    expect(text).toMatch(/Sends refused by the rate limit \(429\)\s*3/)
    expect(text).toMatch(/Near-identical free texts\s*3/)
    // A viewer sees, but has no form to change anything.
    expect(section).not.toContain('<form')
    expect(res.body).toMatch(/\/assets\/js\/dashboard-signals(\.[0-9a-f]+)?\.js/)
  })
})
