import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { verdictOf } from '../../server/services/dashboard-service.ts'
import { buildTestApp, pageText, seedCampaign, signIn, type SeededCampaign, type SignedIn } from '../helper.ts'

const PAGES = [
  ['dashboard', ''], ['edit', '/edit'], ['targets', '/targets'], ['messages', '/messages'], ['bottle', '/bottle'], ['delivery', '/delivery'], ['exports', '/exports'], ['partners', '/partners'], ['shareKit', '/share-kit'], ['privacy', '/privacy']
] as const

describe('the same campaign tabs on every campaign page', () => {
  let t: Awaited<ReturnType<typeof buildTestApp>>
  let c: SeededCampaign
  let viewer: SignedIn

  beforeAll(async () => {
    t = await buildTestApp()
    c = await seedCampaign(t.deps, { status: 'paused' })
    viewer = await signIn(t.deps, 'owner')
  })
  afterAll(async () => { await t.close() })

  const get = (url: string, lang = 'en') => t.app.inject({ url, headers: { 'accept-language': lang, cookie: viewer.cookie } })

  it('shows the ten tabs, the current one marked, the public page and exactly one status badge', async () => {
    for (const [key, path] of PAGES) {
      const res = await get(`/admin/campaigns/${c.id}${path}`)
      expect(res.statusCode, key).toBe(200)
      const nav = /<nav class="tabs"[^>]*data-testid="campaign-tabs">([\s\S]*?)<\/nav>/.exec(res.body)
      expect(nav, key).toBeTruthy()
      const tabs = [...nav![1]!.matchAll(/<a href="([^"]+)" data-tab="(\w+)"( aria-current="page")?>/g)].map((m) => [m[2], m[1], Boolean(m[3])])
      expect(tabs, key).toEqual([
        ...PAGES.map(([k, p]) => [k, `/admin/campaigns/${c.id}${p}`, k === key]),
        ['public', `/c/${c.slug}`, false]
      ])
      expect(res.body.match(/data-testid="status"/g), key).toHaveLength(1)
      expect(res.body, key).toContain('data-testid="status">Paused</span>')
      // One set of tabs per page: the older per-page tab bars are gone.
      expect(res.body.match(/<nav class="tabs"/g), key).toHaveLength(1)
    }
    const fr = await get(`/admin/campaigns/${c.id}/bottle`, 'fr')
    expect(pageText(/<nav class="tabs"[\s\S]*?<\/nav>/.exec(fr.body)![0]).trim()).toBe('Tableau de bord Réglages Cibles Messages Bouteille Remise Exports Partenaires Kit de partage Données Page publique ↗')
  })

  it('gives a campaign that has not opened no red "not yet" verdict', async () => {
    const draft = await seedCampaign(t.deps, { status: 'scheduled', opensAt: new Date(Date.now() + 86_400_000), closesAt: new Date(Date.now() + 2 * 86_400_000) })
    const res = await get(`/admin/campaigns/${draft.id}`)
    expect(res.body).toMatch(/class="dash-verdict dash-verdict--notOpen"[^>]*>Not open yet: the pace is measured once supporters can act\./)
    expect(/<p class="dash-verdict[^"]*"[^>]*>([^<]*)</.exec(res.body)![1]).not.toContain('Not yet')
    const now = Date.parse('2026-03-01T12:00:00Z')
    expect(verdictOf(0, 1000, 1000, 0, new Date(now + 3_600_000), now, 'draft')).toEqual({ verdict: 'notOpen', projectedAt: null })
    expect(verdictOf(0, 1000, 1000, 0, new Date(now + 3_600_000), now, 'live')).toEqual({ verdict: 'stalled', projectedAt: null })
    // A goal reached still says so, whatever the status.
    expect(verdictOf(1000, 1000, 1000, 0, null, now, 'scheduled').verdict).toBe('reached')
  })
})
