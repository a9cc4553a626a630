import { eq, and } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startWorker, type RunningWorker } from '../../jobs/main.ts'
import { campaignTexts } from '../../server/db/schema.ts'
import { actBody, buildTestApp, eventually, seedCampaign, type SeededCampaign } from '../helper.ts'

const BASE = 'http://bouteille.test'

/** The <head>'s meta and link elements: content by property/name, hrefs by rel (and hreflang). */
function head (html: string) {
  const part = html.slice(0, html.indexOf('</head>'))
  const decode = (s: string) => s.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, '\'').replace(/&lt;/g, '<').replace(/&gt;/g, '>')
  const meta = new Map<string, string[]>()
  for (const m of part.matchAll(/<meta (?:property|name)="([^"]+)" content="([^"]*)">/g)) meta.set(m[1]!, [...(meta.get(m[1]!) ?? []), decode(m[2]!)])
  const alternates = [...part.matchAll(/<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">/g)].map((m) => [m[1]!, decode(m[2]!)])
  const canonical = [...part.matchAll(/<link rel="canonical" href="([^"]+)">/g)].map((m) => decode(m[1]!))
  return { one: (k: string) => { expect(meta.get(k), k).toHaveLength(1); return meta.get(k)![0]! }, alternates, canonical }
}

/** The text of the thanks page's X share link. */
/** The text the thank-you page's X button proposes: its link counts the click, then sends the browser to X's intent. */
async function xShareText (html: string, get: (url: string) => Promise<{ statusCode: number, headers: Record<string, unknown> }>): Promise<string> {
  const button = /href="(\/c\/[^"]+\/share\/x[^"]*)"/.exec(html)?.[1]
  expect(button).toBeTruthy()
  const res = await get(button!.replace(/&amp;/g, '&'))
  expect(res.statusCode).toBe(303)
  const href = String(res.headers.location)
  expect(href.startsWith('https://x.com/intent/tweet?')).toBe(true)
  return new URL(href).searchParams.get('text')!
}

describe('link previews and share texts', () => {
  let t: Awaited<ReturnType<typeof buildTestApp>>
  let c: SeededCampaign
  let worker: RunningWorker
  beforeAll(async () => {
    t = await buildTestApp()
    c = await seedCampaign(t.deps, { goal: 100 })
    worker = await startWorker(t.deps)
  })
  afterAll(async () => {
    await worker.close()
    await t.close()
  })

  const get = (url: string) => t.app.inject({ url })
  async function setText (locale: string, values: Partial<typeof campaignTexts.$inferInsert>): Promise<void> {
    await t.deps.db.update(campaignTexts).set(values).where(and(eq(campaignTexts.campaignId, c.id), eq(campaignTexts.locale, locale)))
    await t.deps.announceCampaign(c.slug)
    await eventually(async () => {
      const data = await t.deps.catalog.get(c.slug)
      return Object.entries(values).every(([k, v]) => JSON.stringify((data?.texts[locale] as unknown as Record<string, unknown>)?.[k]) === JSON.stringify(v))
    })
  }

  it('says each hashtag once in the share text, whatever its case in the campaign’s words', async () => {
    await setText('fr', { shareText: 'J’ai écrit aux négociateurs. À vous ! #TweetBouteille', hashtags: ['tweetbouteille', 'cop16'] })
    const text = await xShareText((await get(`/c/${c.slug}/thanks?lang=fr`)).body, get)
    expect(text.match(/#tweetbouteille/gi)).toHaveLength(1)
    // The link is the supporter's own (?from=, made by the server without JavaScript).
    expect(text).toMatch(new RegExp(`^J’ai écrit aux négociateurs\\. À vous ! #TweetBouteille #cop16 ${BASE}/c/${c.slug}\\?lang=fr&from=[A-Za-z0-9_-]+$`))
  })

  it('points the English page’s canonical, og:url and share links to the English URL', async () => {
    const page = head((await get(`/c/${c.slug}?lang=en`)).body)
    expect(page.canonical).toEqual([`${BASE}/c/${c.slug}?lang=en`])
    expect(page.one('og:url')).toBe(`${BASE}/c/${c.slug}?lang=en`)
    expect(page.one('og:locale')).toBe('en_GB')
    const thanks = (await get(`/c/${c.slug}/thanks?lang=en`)).body
    expect(await xShareText(thanks, get)).toContain(`${BASE}/c/${c.slug}?lang=en`)
    expect(head(thanks).canonical).toEqual([`${BASE}/c/${c.slug}?lang=en`])
  })

  it('lists absolute hreflang alternates: every campaign language, itself included, and x-default', async () => {
    for (const lang of ['fr', 'en']) {
      const page = head((await get(`/c/${c.slug}?lang=${lang}`)).body)
      expect(page.alternates).toEqual([
        ['fr', `${BASE}/c/${c.slug}?lang=fr`],
        ['en', `${BASE}/c/${c.slug}?lang=en`],
        ['x-default', `${BASE}/c/${c.slug}`]
      ])
    }
    // The wall's alternates are the wall's.
    const wall = head((await get(`/c/${c.slug}/wall?lang=en`)).body)
    expect(wall.alternates).toContainEqual(['en', `${BASE}/c/${c.slug}/wall?lang=en`])
    expect(wall.alternates).toContainEqual(['x-default', `${BASE}/c/${c.slug}/wall`])
    expect(wall.canonical).toEqual([`${BASE}/c/${c.slug}/wall?lang=en`])
  })

  it('describes the page with the summary, else the pitch cut at a word', async () => {
    const pitch = 'En 2010 à Cancún, des milliers de personnes ont écrit aux négociateurs du climat. Leurs messages ont rempli une bouteille géante livrée devant les délégations. Recommençons : écrivez-leur maintenant, avant la fin de la conférence.'
    await setText('fr', { pitch, summary: '' })
    const fr = head((await get(`/c/${c.slug}?lang=fr`)).body)
    const description = fr.one('description')
    expect(description.length).toBeLessThanOrEqual(155)
    expect(description.endsWith('…')).toBe(true)
    expect(pitch.startsWith(description.slice(0, -1))).toBe(true)
    expect(fr.one('og:description')).toBe(description)

    await setText('en', { summary: 'Write to the climate negotiators before the conference ends.' })
    const en = head((await get(`/c/${c.slug}?lang=en`)).body)
    expect(en.one('description')).toBe('Write to the climate negotiators before the conference ends.')
    expect(en.one('og:description')).toBe('Write to the climate negotiators before the conference ends.')
  })

  it('previews the campaign, thanks and wall pages with the live card of their language, sized and described', async () => {
    for (const path of ['', '/thanks', '/wall']) {
      for (const [lang, alt] of [['en', /^Share card of the campaign “Climate can’t wait”: \d+ messages?\. Goal: 100\.$/], ['fr', /^Carte de partage de la campagne «\u00a0.+\u00a0»\u00a0: \d+ messages?\. Objectif\u00a0: 100\.$/]] as const) {
        const page = head((await get(`/c/${c.slug}${path}?lang=${lang}`)).body)
        const image = page.one('og:image')
        expect(image, path).toMatch(new RegExp(`^${BASE}/c/${c.slug}/card\\.png\\?lang=${lang}&v=[\\w-]+$`))
        expect(page.one('twitter:image')).toBe(image)
        expect(page.one('twitter:card')).toBe('summary_large_image')
        expect(page.one('og:image:width')).toBe('1200')
        expect(page.one('og:image:height')).toBe('630')
        expect(page.one('og:image:type')).toBe('image/png')
        expect(page.one('og:image:alt')).toMatch(alt)
        expect(page.one('twitter:image:alt')).toBe(page.one('og:image:alt'))
        // The versioned URL is the card being served now, kept for good by whoever fetches it.
        const card = await get(image.slice(BASE.length))
        expect(card.statusCode).toBe(200)
        expect(card.headers.etag).toBe(`"${new URL(image).searchParams.get('v')}"`)
        expect(card.headers['cache-control']).toContain('immutable')
      }
    }
  })

  it('moves the cached campaign page’s og:image to the new card once the count moves a step', async () => {
    const imageOf = async () => head((await get(`/c/${c.slug}?lang=en`)).body).one('og:image')
    const before = await imageOf()
    expect(await imageOf()).toBe(before)
    const res = await t.app.inject({ method: 'POST', url: `/c/${c.slug}/act`, headers: { accept: 'application/json' }, payload: actBody(c) })
    expect(res.statusCode).toBe(201)
    const after = await eventually(async () => { const i = await imageOf(); return i !== before && i })
    const card = await get(after.slice(BASE.length))
    expect(card.headers.etag).toBe(`"${new URL(after).searchParams.get('v')}"`)
    expect(card.headers['cache-control']).toContain('immutable')
  })
})
