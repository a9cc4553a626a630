import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { campaignTexts } from '../../server/db/schema.ts'
import { buildTestApp, eventually, pageText, seedCampaign, signIn, type SeededCampaign, type SignedIn } from '../helper.ts'

// "Did you post it?" on the thank-you page after a network send: optional, anonymous, counted per channel.
describe('did you post it?', () => {
  let t: Awaited<ReturnType<typeof buildTestApp>>
  let c: SeededCampaign
  let viewer: SignedIn
  beforeAll(async () => {
    t = await buildTestApp()
    c = await seedCampaign(t.deps, { channels: ['x', 'bluesky', 'email', 'bottle'] })
    viewer = await signIn(t.deps, 'viewer')
  })
  afterAll(async () => { await t.close() })

  const answer = (payload: Record<string, string>) => t.app.inject({ method: 'POST', url: `/c/${c.slug}/posted`, headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'en' }, payload: new URLSearchParams(payload).toString() })
  const counts = async () => (await t.deps.pool.query('SELECT channel, posted, count::int AS n FROM post_answers WHERE campaign_id = $1 ORDER BY channel, posted', [c.id])).rows

  it('is asked after a send on a network, not after an e-mail or the bottle', async () => {
    const x = await t.app.inject({ url: `/c/${c.slug}/thanks?lang=en&via=x` })
    expect(pageText(x.body)).toContain('Did you post it on X?')
    expect(x.body).toMatch(/<button type="submit"[^>]*name="answer" value="yes"/)
    const fr = await t.app.inject({ url: `/c/${c.slug}/thanks?lang=fr&via=bluesky` })
    expect(pageText(fr.body)).toContain('L’avez-vous publié sur Bluesky ?')
    for (const via of ['email', 'bottle', '', 'threads']) {
      const res = await t.app.inject({ url: `/c/${c.slug}/thanks?lang=en&via=${via}` })
      expect(res.body, via).not.toContain('data-testid="posted"')
    }
  })

  it('counts each answer per channel, keeps nothing else, and thanks in the supporter\'s language', async () => {
    const yes = await answer({ channel: 'x', answer: 'yes', lang: 'fr' })
    expect(yes.statusCode).toBe(303)
    expect(yes.headers.location).toBe(`/c/${c.slug}/thanks?lang=fr&via=x&answered=yes`)
    await answer({ channel: 'x', answer: 'yes', lang: 'en' })
    await answer({ channel: 'x', answer: 'no', lang: 'en' })
    await answer({ channel: 'bluesky', answer: 'no', lang: 'en' })
    // Ordered by the channel enum (x before bluesky), then no before yes.
    expect(await counts()).toEqual([{ channel: 'x', posted: false, n: 1 }, { channel: 'x', posted: true, n: 2 }, { channel: 'bluesky', posted: false, n: 1 }])
    const cols = (await t.deps.pool.query("SELECT column_name FROM information_schema.columns WHERE table_name = 'post_answers'")).rows.map((r) => r.column_name)
    expect(cols.sort()).toEqual(['campaign_id', 'channel', 'count', 'posted'])
    const after = await t.app.inject({ url: String(yes.headers.location) })
    expect(pageText(after.body)).toContain('Merci de nous l’avoir dit')
    expect(after.body).not.toContain('name="answer"')
  })

  it('refuses a malformed answer with 400 and counts nothing', async () => {
    const before = await counts()
    for (const payload of [{ channel: 'x', answer: 'maybe' } as Record<string, string>, { channel: 'email', answer: 'yes' }, { channel: 'threads', answer: 'yes' }, { channel: 'myspace', answer: 'yes' }, { answer: 'yes' }]) {
      const res = await answer(payload)
      expect(res.statusCode, JSON.stringify(payload)).toBe(400)
      expect(res.body).not.toMatch(/at .*\.ts:\d+/)
    }
    expect((await t.app.inject({ method: 'POST', url: '/c/no-such-campaign/posted', payload: { channel: 'x', answer: 'yes' } })).statusCode).toBe(404)
    expect(await counts()).toEqual(before)
  })

  it('heads the share box with the campaign\'s own call to share, or a neutral one', async () => {
    const neutral = pageText((await t.app.inject({ url: `/c/${c.slug}/thanks?lang=en` })).body)
    expect(neutral).toContain('Pass it on')
    expect(neutral).not.toMatch(/RTPlease|negotiating rooms/)
    await t.deps.db.update(campaignTexts).set({ shareCall: '#RTPlease: pass the bottle on' }).where(and(eq(campaignTexts.campaignId, c.id), eq(campaignTexts.locale, 'en')))
    await t.deps.announceCampaign(c.slug)
    await eventually(async () => pageText((await t.app.inject({ url: `/c/${c.slug}/thanks?lang=en` })).body).includes('#RTPlease: pass the bottle on'))
    const fr = pageText((await t.app.inject({ url: `/c/${c.slug}/thanks?lang=fr` })).body)
    expect(fr).toContain('Faites passer le mot')
    // Mastodon's button says what it does in plain words.
    const page = pageText((await t.app.inject({ url: `/c/${(await seedCampaign(t.deps)).slug}?lang=fr` })).body)
    expect(page).toContain('Publier sur Mastodon')
    expect(page).not.toContain('Pouetter')
  })

  it('shows the answers on the campaign\'s dashboard', async () => {
    const page = await t.app.inject({ url: `/admin/campaigns/${c.id}`, headers: { 'accept-language': 'en', ...viewer.headers } })
    expect(page.statusCode).toBe(200)
    const table = pageText(/<table[^>]*data-field="posted"[\s\S]*?<\/table>/.exec(page.body)![0])
    expect(table).toContain('Did you post it?')
    expect(table).toMatch(/X 2 1/)
    expect(table).toMatch(/Bluesky 0 1/)
    const json = await t.app.inject({ url: `/admin/campaigns/${c.id}/dashboard.json`, headers: { accept: 'application/json', ...viewer.headers } })
    expect(json.json().posted).toEqual([{ channel: 'x', yes: 2, no: 1 }, { channel: 'bluesky', yes: 0, no: 1 }])
  })
})
