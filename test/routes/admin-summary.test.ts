import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { campaignTexts } from '../../server/db/schema.ts'
import { defaultSummary } from '../../server/domain/summary.ts'
import { buildTestApp, eventually, seedCampaign, signIn, type SignedIn } from '../helper.ts'

const LONG_PITCH = 'En 2010 à Cancún, des milliers de personnes ont écrit aux négociateurs du climat. Leurs messages ont rempli une bouteille géante livrée devant les délégations. Recommençons maintenant.'

function fields (slug: string, extra: Record<string, string> = {}): string {
  return new URLSearchParams({
    slug,
    goal: '100',
    defaultLocale: 'fr',
    channels: 'x',
    timeZone: 'Europe/Paris',
    opensAt: '',
    closesAt: '',
    title_fr: 'Le climat n’attend pas',
    pitch_fr: LONG_PITCH,
    callToAction_fr: 'Agissez',
    shareText_fr: '',
    shareCall_fr: '',
    hashtags_fr: 'tweetbouteille',
    summary_fr: '',
    title_en: 'Climate can’t wait',
    pitch_en: 'Write to the negotiators.',
    callToAction_en: 'Act',
    shareText_en: '',
    shareCall_en: '',
    hashtags_en: 'tweetbottle',
    summary_en: '',
    ...extra
  }).toString()
}

describe('admin: the preview summary in the campaign editor', () => {
  let t: Awaited<ReturnType<typeof buildTestApp>>
  let editor: SignedIn
  beforeAll(async () => {
    t = await buildTestApp()
    editor = await signIn(t.deps, 'editor')
  })
  afterAll(async () => { await t.close() })

  const post = (id: string, body: string) => t.app.inject({
    method: 'POST', url: `/admin/campaigns/${id}`, headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'en', cookie: editor.cookie }, payload: `_csrf=${encodeURIComponent(editor.csrf)}&${body}`
  })

  it('offers a summary field per language, with the default cut as its placeholder and the length hint', async () => {
    const c = await seedCampaign(t.deps)
    await t.deps.db.update(campaignTexts).set({ pitch: LONG_PITCH }).where(and(eq(campaignTexts.campaignId, c.id), eq(campaignTexts.locale, 'fr')))
    const res = await t.app.inject({ url: `/admin/campaigns/${c.id}/edit`, headers: { 'accept-language': 'en', cookie: editor.cookie } })
    expect(res.statusCode).toBe(200)
    const field = /<textarea class="textarea" id="f-summary_fr" name="summary_fr"[^>]*>/.exec(res.body)?.[0]
    expect(field).toBeTruthy()
    expect(field).toContain(`placeholder="${defaultSummary(LONG_PITCH)}"`)
    expect(field).toContain('aria-describedby="h-summary_fr"')
    expect(res.body).toContain('id="h-summary_fr">Shown under the link when the campaign is shared and in search results: about 155 characters are shown.')
    expect(res.body).toMatch(/<label class="field-label" for="f-summary_en"[^>]*>Preview summary/)
  })

  it('saves the summary, which the public page then gives as its description', async () => {
    const c = await seedCampaign(t.deps)
    const res = await post(c.id, fields(c.slug, { summary_en: '  Write to the negotiators\nbefore Friday.  ' }))
    expect(res.statusCode).toBe(303)
    const [row] = await t.deps.db.select().from(campaignTexts).where(and(eq(campaignTexts.campaignId, c.id), eq(campaignTexts.locale, 'en')))
    expect(row!.summary).toBe('Write to the negotiators before Friday.')
    await eventually(async () => (await t.app.inject({ url: `/c/${c.slug}?lang=en` })).body.includes('<meta name="description" content="Write to the negotiators before Friday.">'), 5000, 'the summary on the page')
  })

  it('refuses a summary over 300 characters, keeping what was typed', async () => {
    const c = await seedCampaign(t.deps)
    const long = 'a'.repeat(301)
    const res = await post(c.id, fields(c.slug, { summary_fr: long }))
    expect(res.statusCode).toBe(400)
    expect(res.body).toContain(long)
    expect(res.body).toMatch(/id="e-summary_fr"/)
  })
})
