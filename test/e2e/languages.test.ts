import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import { eventually, signIn, type SignedIn } from '../helper.ts'
import { browserStack, seriousViolations, type BrowserStack } from './browser.ts'

// A campaign in Spanish, Arabic and Japanese, written through the admin over HTTP and opened; its page in each
// language in Chromium (dir, the switch's endonyms, axe); the supporter's language negotiated from Accept-Language.

const TEXTS = {
  es: { title: 'Salvemos los océanos', pitch: 'Los negociadores deciden esta semana sobre el tratado de alta mar.', callToAction: 'Escríbeles', shareText: 'He escrito a los negociadores. ¡Te toca!', hashtags: '#océanos #tweetbotella' },
  ar: { title: 'لننقذ المحيطات', pitch: 'يقرر المفاوضون هذا الأسبوع معاهدة أعالي البحار.', callToAction: 'اكتبوا إليهم', shareText: 'كتبت إلى المفاوضين. دوركم!', hashtags: '#المحيطات #tweetbouteille' },
  ja: { title: '海を守ろう', pitch: '交渉官たちが今週、公海条約について決定します。', callToAction: '彼らに書こう', shareText: '交渉官に手紙を書きました。次はあなたの番です！', hashtags: '#海洋 #tweetbouteille' }
} as const
const BODIES = {
  es: '{target}, el océano no puede esperar: firme el tratado. {hashtags} {link}',
  ar: '{target}، لا يمكن للمحيط أن ينتظر: وقّعوا المعاهدة. {hashtags} {link}',
  ja: '{target}、海はもう待てません。条約に署名してください。{hashtags} {link}'
} as const

describe('a campaign in Spanish, Arabic and Japanese', () => {
  const stack = browserStack()
  let t: BrowserStack['t']
  let base: string
  let owner: SignedIn
  let campaignId = ''
  const slug = `oceanos-${randomUUID().slice(0, 6)}`
  beforeAll(async () => {
    t = stack.t
    base = stack.base
    owner = await signIn(t.deps, 'owner')
  })

  const post = (url: string, fields: Record<string, string>) => t.app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'en', cookie: owner.cookie },
    payload: new URLSearchParams({ _csrf: owner.csrf, ...fields }).toString()
  })

  it('is written through the admin, and cannot open while a language is half-written', async () => {
    const fields: Record<string, string> = { slug, goal: '1000', sendLimit: '', timeZone: 'UTC', opensAt: '', closesAt: '', languages: 'es AR ja-jp', defaultLocale: 'es', channels: 'x' }
    // An unreadable tag is refused, naming it.
    const bad = await post('/admin/campaigns', { ...fields, languages: 'es ar!' })
    expect(bad.statusCode).toBe(400)
    expect(bad.body).toContain('“ar!” is not a language tag.')
    // Canonical tags: 'AR' is 'ar', 'ja-jp' is 'ja-JP'; the Japanese texts are sent under the canonical tag.
    for (const [lang, texts] of Object.entries(TEXTS)) {
      const tag = lang === 'ja' ? 'ja-JP' : lang
      for (const [field, value] of Object.entries(texts)) fields[`${field}_${tag}`] = value
    }
    const created = await post('/admin/campaigns', fields)
    expect(created.statusCode, created.body).toBe(303)
    campaignId = /campaigns\/([0-9a-f-]{36})\//.exec(created.headers.location as string)![1]!
    const { rows: [row] } = await t.deps.pool.query('SELECT languages, default_locale FROM campaigns WHERE id = $1', [campaignId])
    expect(row).toEqual({ languages: ['es', 'ar', 'ja-JP'], default_locale: 'es' })

    const target = await post(`/admin/campaigns/${campaignId}/targets`, { name: 'Kofi Mensah', role_fr: 'Ministre', role_en: 'Minister', country: 'GH', x: 'kofimensah', email: 'kofi@example.org' })
    expect(target.statusCode, target.body).toBe(303)
    for (const lang of ['es', 'ar'] as const) {
      const res = await post(`/admin/campaigns/${campaignId}/messages`, { locale: lang, body: BODIES[lang], op: 'save', channels: 'x' })
      expect(res.statusCode, res.body).toBe(303)
    }

    // The editor says, per language, what is missing; opening is refused with the same list.
    const editor = await t.app.inject({ url: `/admin/campaigns/${campaignId}/edit`, headers: { cookie: owner.cookie, 'accept-language': 'en' } })
    expect(editor.body).toMatch(/id="texts-ja-JP" lang="ja-JP" dir="ltr"/)
    expect(editor.body).toMatch(/id="texts-ar" lang="ar" dir="rtl"/)
    expect(editor.body).toContain('Still missing: a message variant.')
    expect(editor.body).toContain('العربية')
    const refused = await post(`/admin/campaigns/${campaignId}/status`, { to: 'live' })
    expect(refused.statusCode).toBe(400)
    expect(refused.body).toContain('The campaign cannot open with a language half-written.')
    expect(refused.body).toContain('Japanese (Japan) (ja-JP): a message variant')
    expect(refused.body).not.toContain('Arabic (ar):')
    expect((await t.deps.pool.query('SELECT status FROM campaigns WHERE id = $1', [campaignId])).rows[0].status).toBe('draft')

    const ja = await post(`/admin/campaigns/${campaignId}/messages`, { locale: 'ja-JP', body: BODIES.ja, op: 'save', channels: 'x' })
    expect(ja.statusCode, ja.body).toBe(303)
    const opened = await post(`/admin/campaigns/${campaignId}/status`, { to: 'live' })
    expect(opened.statusCode, opened.body).toBe(303)
  })

  it('negotiates the supporter\'s language among the campaign\'s: q-values, regional fallbacks, the default', async () => {
    // The opening reaches the web's campaign cache over the bus.
    await eventually(async () => (await t.app.inject({ url: `/c/${slug}` })).statusCode === 200, 15_000, 'the campaign page once open')
    const page = async (url: string, acceptLanguage?: string) => {
      const res = await t.app.inject({ url, headers: acceptLanguage ? { 'accept-language': acceptLanguage } : {} })
      expect(res.statusCode).toBe(200)
      return /<html lang="([^"]+)" dir="([^"]+)"/.exec(res.body)!.slice(1)
    }
    expect(await page(`/c/${slug}`, 'fr-FR,ar-MA;q=0.9,es;q=0.8')).toEqual(['ar', 'rtl'])
    expect(await page(`/c/${slug}`, 'ja;q=0.3, es-MX;q=0.7')).toEqual(['es', 'ltr'])
    // 'ja' finds 'ja-JP' (same language); pt-BR → pt → nothing here → the default.
    expect(await page(`/c/${slug}`, 'ja')).toEqual(['ja-JP', 'ltr'])
    expect(await page(`/c/${slug}`, 'pt-BR,pt;q=0.9')).toEqual(['es', 'ltr'])
    expect(await page(`/c/${slug}`)).toEqual(['es', 'ltr'])
    // An explicit ?lang= first, with the same fallbacks when the campaign lacks it.
    expect(await page(`/c/${slug}?lang=ar-EG`, 'es')).toEqual(['ar', 'rtl'])
    expect(await page(`/c/${slug}?lang=de`, 'ja-JP')).toEqual(['ja-JP', 'ltr'])
  })

  it('keeps the message text for the networks free of markup, in its order', async () => {
    const campaign = (await t.deps.campaignRepo.findById(campaignId))!
    const arabic = campaign.messages.find((m) => m.locale === 'ar')!
    const res = await t.app.inject({
      method: 'POST',
      url: `/c/${slug}/act`,
      headers: { accept: 'application/json', origin: t.deps.config.publicUrl, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ target: campaign.targets[0]!.id, message: arabic.id, key: randomUUID(), channel: 'x' }).toString()
    })
    expect(res.statusCode, res.body).toBe(201)
    const text = new URL(res.json().intentUrl).searchParams.get('text')!
    expect(text.startsWith('.@kofimensah، لا يمكن للمحيط أن ينتظر')).toBe(true)
    expect(text).toContain('#المحيطات #tweetbouteille')
    expect(text).not.toMatch(/[<>]|bdi/)
  })

  it('shows the page in each language in Chromium: direction, endonyms in the switch, axe clean', async () => {
    const shots = mkdtempSync(join(tmpdir(), 'bouteille-languages-'))
    // axe is injected as an inline script: only this context lets it past the page's CSP.
    const context = await stack.browser.newContext({ bypassCSP: true, viewport: { width: 390, height: 844 } })
    const page = await context.newPage()
    for (const [lang, dir, title] of [['es', 'ltr', TEXTS.es.title], ['ar', 'rtl', TEXTS.ar.title], ['ja-JP', 'ltr', TEXTS.ja.title]] as const) {
      await page.goto(`${base}/c/${slug}?lang=${lang}`)
      expect(await page.getAttribute('html', 'lang')).toBe(lang)
      expect(await page.getAttribute('html', 'dir')).toBe(dir)
      expect(await page.locator('h1').textContent()).toBe(title)
      const links = await page.locator('.lang-switch a').evaluateAll((as) => as.map((a) => ({ text: a.textContent, lang: a.getAttribute('lang'), hreflang: a.getAttribute('hreflang'), current: a.getAttribute('aria-current') })))
      expect(links).toEqual([
        { text: 'Español', lang: 'es', hreflang: 'es', current: lang === 'es' ? 'true' : null },
        { text: 'العربية', lang: 'ar', hreflang: 'ar', current: lang === 'ar' ? 'true' : null },
        { text: '日本語 (日本)', lang: 'ja-JP', hreflang: 'ja-JP', current: lang === 'ja-JP' ? 'true' : null }
      ])
      // The layout follows the direction: the title's text starts on the right in Arabic.
      const align = await page.locator('h1').evaluate((h) => getComputedStyle(h).direction)
      expect(align).toBe(dir)
      await page.screenshot({ path: join(shots, `campaign-${lang}.png`), fullPage: false })
      expect(await seriousViolations(page), lang).toEqual([])
    }
    // The live count is formatted in the page's language by the page's own script, from the same progress.
    await page.goto(`${base}/c/${slug}?lang=ar`)
    expect(await page.locator('[data-testid="total"]').textContent()).toBe(new Intl.NumberFormat('ar').format(1))
    // English words on a Japanese page take English plural forms ("1 action"), with the page's digits.
    await page.goto(`${base}/c/${slug}?lang=ja-JP`)
    expect(await page.locator('.progress-unit').textContent()).toBe('action')
    await context.close()
  })
})
