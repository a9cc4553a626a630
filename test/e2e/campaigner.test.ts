import type { Browser, Page } from 'playwright-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { eventually } from '../helper.ts'
import { browserStack, choose, seriousViolations, type BrowserStack } from './browser.ts'

// The campaigner's whole day, through the real admin only: sign in, write the campaign, its targets and its
// messages, schedule it; the worker opens it on time; a supporter acts on it and the count moves.

const EMAIL = 'camille@example.org'
const PASSWORD = 'a long and real passphrase'

/** The wall-clock time of an instant in a zone, as a datetime-local value with its seconds ("2026-03-01T14:05:07"). */
function localDateTime (date: Date, timeZone: string): string {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-GB', {
    timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit'
  }).formatToParts(date).map((p) => [p.type, p.value]))
  // Chromium drops ":00" seconds from the value it keeps, and Playwright checks the value it set: leave them out.
  const seconds = parts.second === '00' ? '' : `:${parts.second}`
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}${seconds}`
}

describe('a campaigner in the browser: from signing in to the first action', () => {
  // The delayed job opens the campaign; the sweep every second is the backstop should it be late.
  const stack = browserStack({ worker: { lifecycleSweepMs: 1000 } })
  let t: BrowserStack['t']
  let browser: Browser
  let base: string
  beforeAll(() => { ({ t, browser, base } = stack) })

  const query = async <T>(sql: string, params: unknown[]): Promise<T[]> => (await t.deps.pool.query(sql, params)).rows as T[]

  it('signs in, creates, fills and schedules a campaign that opens by itself; a supporter acts on it', async () => {
    await t.deps.auth.createUser({ email: EMAIL, password: PASSWORD, role: 'owner', name: 'Camille' })

    // axe is injected as an inline script: only this context lets it past the admin's CSP.
    const context = await browser.newContext({ bypassCSP: true, locale: 'en-GB' })
    const page = await context.newPage()
    const axe = async (label: string): Promise<void> => {
      expect(await seriousViolations(page), label).toEqual([])
    }
    const submit = (p: Page, url: RegExp, selector: string) => Promise.all([p.waitForURL(url), p.click(selector)])

    // ---------- signing in ----------
    await page.goto(`${base}/admin`)
    expect(new URL(page.url()).pathname).toBe('/admin/login')
    await axe('login')
    await page.fill('#login-email', EMAIL)
    await page.fill('#login-password', 'not the password')
    await submit(page, /\/admin\/login$/, 'form[action="/admin/login"] button[type="submit"]')
    expect(await page.locator('#login-error').textContent()).toBeTruthy()
    await axe('login with an error')
    expect(await page.inputValue('#login-email')).toBe(EMAIL)
    await page.fill('#login-password', PASSWORD)
    await submit(page, new RegExp(`^${base}/admin$`), 'form[action="/admin/login"] button[type="submit"]')
    expect(await page.locator('.topbar-email').textContent()).toBe(EMAIL)
    await axe('campaigns (none yet)')

    // ---------- the campaign ----------
    await submit(page, /\/admin\/campaigns\/new$/, 'a[href="/admin/campaigns/new"]')
    await axe('new campaign form')
    const zone = await page.inputValue('#f-timeZone')
    expect(zone).toBe('Europe/Paris')
    const slug = 'save-the-oceans'
    // A first opening time far from any daylight-saving change; the real one is set just before scheduling.
    const nextJune = new Date(Date.UTC(new Date().getUTCFullYear() + 1, 5, 15, 12, 5, 7))
    // First with a slug that is not one: the form comes back with the errors and keeps what was typed.
    await page.fill('#f-slug', 'Save The Oceans!')
    await page.fill('#f-goal', '500')
    await page.selectOption('#f-defaultLocale', 'fr')
    await page.uncheck('input[name="channels"][value="threads"]')
    await page.fill('#f-opensAt', localDateTime(nextJune, zone))
    await page.fill('#f-title_fr', 'Sauvons les océans')
    await page.fill('#f-pitch_fr', 'Les négociateurs décident cette semaine du traité sur la haute mer.')
    await page.fill('#f-callToAction_fr', 'Écrivez-leur')
    await page.fill('#f-hashtags_fr', '#océans #TraitéHauteMer')
    await page.fill('#f-title_en', 'Save the oceans')
    await page.fill('#f-pitch_en', 'The negotiators decide on the high seas treaty this week.')
    await page.fill('#f-callToAction_en', 'Write to them')
    await page.fill('#f-hashtags_en', '#oceans #HighSeasTreaty')
    await submit(page, /\/admin\/campaigns$/, 'form[action="/admin/campaigns"] button[type="submit"]')
    expect(await page.locator('#e-slug').textContent()).toBeTruthy()
    expect(await page.inputValue('#f-title_en')).toBe('Save the oceans')
    expect(await page.isChecked('input[name="channels"][value="threads"]')).toBe(false)
    await axe('new campaign form with errors')
    expect(await query('SELECT 1 FROM campaigns', [])).toEqual([])
    await page.fill('#f-slug', slug)
    await submit(page, /\/admin\/campaigns\/[0-9a-f-]{36}\/edit\?done=created$/, 'form[action="/admin/campaigns"] button[type="submit"]')
    const campaignId = /campaigns\/([0-9a-f-]{36})\//.exec(page.url())![1]!
    await axe('campaign editor (draft)')
    // The time typed on the clocks of the form's zone is that instant.
    const [row] = await query<{ status: string, opens_at: Date, channels: string[], goal: number }>('SELECT status, opens_at, channels::text[] AS channels, goal FROM campaigns WHERE id = $1', [campaignId])
    expect(row).toMatchObject({ status: 'draft', goal: 500, channels: ['x', 'bluesky', 'mastodon', 'email', 'bottle'] })
    expect(row!.opens_at.getTime()).toBe(nextJune.getTime())
    expect(await query('SELECT locale, title, hashtags FROM campaign_texts WHERE campaign_id = $1 ORDER BY locale', [campaignId])).toEqual([
      { locale: 'en', title: 'Save the oceans', hashtags: ['oceans', 'HighSeasTreaty'] },
      { locale: 'fr', title: 'Sauvons les océans', hashtags: ['océans', 'TraitéHauteMer'] }
    ])

    // ---------- two targets ----------
    const targetsUrl = `/admin/campaigns/${campaignId}/targets`
    await submit(page, /\/targets$/, `a[href="${targetsUrl}"]`)
    await axe('targets (none yet)')
    const people = [
      { name: 'Maria Lopes', roleFr: 'Négociatrice en chef', roleEn: 'Chief negotiator', country: 'Portugal', code: 'PT', x: 'marialopes', email: 'maria@example.org' },
      { name: 'Kofi Mensah', roleFr: 'Ministre de la mer', roleEn: 'Minister of the sea', country: 'Ghana', code: 'GH', x: '@kofimensah', email: 'kofi@example.org' }
    ]
    for (const [i, p] of people.entries()) {
      await submit(page, /\/targets\/new$/, `a[href="${targetsUrl}/new"] >> nth=0`)
      if (i === 0) await axe('new target form')
      await page.fill('#f-name', p.name)
      await page.fill('#f-role_fr', p.roleFr)
      await page.fill('#f-role_en', p.roleEn)
      // The country by its name, from the list the field offers; its ISO code is what is stored.
      await page.fill('#f-country', p.country)
      expect(await page.locator(`#country-names option[value="${p.country}"]`).count()).toBe(1)
      await page.fill('#f-x', p.x)
      // The first one with a mistyped e-mail: shown again with the error, nothing written.
      await page.fill('#f-email', i === 0 ? 'maria at example.org' : p.email)
      await submit(page, /\/targets$/, `form[action="${targetsUrl}"] button[type="submit"]`)
      if (i === 0) {
        expect(await page.locator('#e-email').textContent()).toBeTruthy()
        expect(await page.inputValue('#f-name')).toBe(p.name)
        expect(await page.inputValue('#f-country')).toBe(p.country)
        await axe('new target form with errors')
        expect(await query('SELECT 1 FROM targets WHERE campaign_id = $1', [campaignId])).toEqual([])
        await page.fill('#f-email', p.email)
        await submit(page, /\/targets$/, `form[action="${targetsUrl}"] button[type="submit"]`)
      }
      expect(await page.locator('.flash--success').textContent()).toContain(p.name)
    }
    await axe('targets (two)')
    const targets = await query<{ id: string, name: string, handles: Record<string, string>, email: string, role: Record<string, string>, country: string }>(
      'SELECT id, name, handles, email, role, country FROM targets WHERE campaign_id = $1 ORDER BY position, name', [campaignId])
    expect(targets.map((x) => ({ name: x.name, x: x.handles.x, email: x.email, role: x.role, country: x.country }))).toEqual(people.map((p) => ({ name: p.name, x: p.x.replace(/^@/, ''), email: p.email, role: { fr: p.roleFr, en: p.roleEn }, country: p.code })))
    // Editing one shows its form with the stored values.
    await submit(page, /\/edit$/, `a[href="${targetsUrl}/${targets[0]!.id}/edit"] >> nth=0`)
    expect(await page.inputValue('#f-email')).toBe(people[0]!.email)
    await axe('target editor')
    // The CSV import's page and its preview (one row refused), left unconfirmed.
    await page.goto(`${base}${targetsUrl}/import`)
    await axe('CSV import')
    await page.setInputFiles('#f-file', { name: 'more.csv', mimeType: 'text/csv', buffer: Buffer.from('name,x,email\nAda Njoroge,adanjoroge,ada@example.org\nNo Mail,nomail,not-an-email\n') })
    await submit(page, /\/targets\/import$/, `form[action="${targetsUrl}/import"] button[type="submit"]`)
    expect(await page.locator('[data-testid="row-count"]').textContent()).toBe('2')
    expect(await page.locator('[data-testid="row-errors"]').count()).toBe(1)
    await axe('CSV import preview with a refused row')

    // ---------- two messages, one per language ----------
    const messagesUrl = `/admin/campaigns/${campaignId}/messages`
    await page.goto(`${base}${targetsUrl}`)
    await submit(page, /\/messages$/, `a[href="${messagesUrl}"]`)
    await axe('messages (none yet)')
    const bodies = {
      fr: '{target}, l’océan ne peut plus attendre : signez le traité. {hashtags} {link}',
      en: '{target}, the ocean cannot wait any longer: sign the treaty. {hashtags} {link}'
    }
    for (const locale of ['fr', 'en'] as const) {
      await submit(page, /\/messages\/new\?locale=/, `a[href="${messagesUrl}/new?locale=${locale}"]`)
      expect(await page.inputValue('#f-locale')).toBe(locale)
      await page.fill('#f-body', bodies[locale])
      // The preview (a button of the same form) shows the text per network for a target, before saving.
      await page.selectOption('#f-previewTarget', targets[1]!.id)
      await submit(page, /\/messages$/, 'button[name="op"][value="preview"]')
      const xLine = page.locator('[data-testid="preview"] tr[data-channel="x"] .preview')
      expect(await xLine.textContent()).toContain('@kofimensah')
      expect(await page.inputValue('#f-body')).toBe(bodies[locale])
      if (locale === 'fr') await axe('message form with its preview')
      await page.click('button[name="op"][value="save"]')
      await page.locator('.flash--success').waitFor()
    }
    await axe('messages (two)')
    const messages = await query<{ id: string, locale: string, body: string }>('SELECT id, locale, body FROM messages WHERE campaign_id = $1 ORDER BY locale', [campaignId])
    expect(messages.map(({ locale, body }) => ({ locale, body }))).toEqual([{ locale: 'en', body: bodies.en }, { locale: 'fr', body: bodies.fr }])
    await submit(page, /\/edit$/, `a[href="${messagesUrl}/${messages[0]!.id}/edit"]`)
    await axe('message editor')
    // A hashtag X reads differently is a warning under the template (named network), not an error: nothing is invalid.
    await page.fill('#f-body', `#COP² ${bodies.en}`)
    await submit(page, /\/messages\/[0-9a-f-]{36}$/, 'button[name="op"][value="preview"]')
    expect(await page.locator('[data-testid="tag-warnings"]').textContent()).toContain('#COP² is read as #COP on X')
    expect(await page.locator('[aria-invalid="true"]').count()).toBe(0)
    await axe('message editor with a hashtag warning')

    // ---------- schedule it, a few seconds from now ----------
    await page.goto(`${base}/admin/campaigns/${campaignId}/edit`)
    const opensAt = new Date(Math.ceil((Date.now() + 10_000) / 1000) * 1000)
    await page.fill('#f-opensAt', localDateTime(opensAt, await page.inputValue('#f-timeZone')))
    await submit(page, /done=saved$/, `form[action="/admin/campaigns/${campaignId}"] button[type="submit"]`)
    await submit(page, /done=status$/, 'form:has(input[name="to"][value="scheduled"]) button[type="submit"]')
    expect(await page.locator('[data-testid="status"]').textContent()).toBe('Scheduled')
    const [scheduled] = await query<{ status: string, opens_at: Date }>('SELECT status, opens_at FROM campaigns WHERE id = $1', [campaignId])
    expect(scheduled).toEqual({ status: 'scheduled', opens_at: opensAt })

    // What the public sees meanwhile: a countdown, and nothing to send.
    const supporter = await browser.newContext({ locale: 'en-GB' })
    const waiting = await supporter.newPage()
    await waiting.goto(`${base}/c/${slug}?lang=en`)
    expect(Date.now()).toBeLessThan(opensAt.getTime())
    await expect.poll(() => waiting.locator('[data-countdown]').textContent()).toMatch(/^Opens in \d+ sec/)
    expect(await waiting.locator('button[name="channel"]').count()).toBe(0)

    // While it waits, the owner's other pages.
    await axe('campaign editor (scheduled)')
    await submit(page, /\/admin$/, 'nav.topbar-nav a[href="/admin"]')
    expect(await page.locator(`tr[data-campaign-id="${campaignId}"] .badge`).textContent()).toBe('Scheduled')
    await axe('campaigns (one)')
    await submit(page, /\/admin\/team$/, 'a[href="/admin/team"]')
    await axe('team')
    await submit(page, /\/admin\/audit$/, 'a[href="/admin/audit"]')
    expect(await page.locator('.audit-table tbody tr').count()).toBeGreaterThanOrEqual(7)
    await axe('audit log')
    // The same pages in the dark palette and on a phone's width.
    await page.emulateMedia({ colorScheme: 'dark' })
    await page.setViewportSize({ width: 375, height: 800 })
    for (const path of ['/admin', `/admin/campaigns/${campaignId}/edit`, targetsUrl, `${targetsUrl}/${targets[0]!.id}/edit`, messagesUrl, `${messagesUrl}/${messages[0]!.id}/edit`, '/admin/team', '/admin/audit']) {
      await page.goto(`${base}${path}`)
      await axe(`${path} (dark, narrow)`)
    }
    await context.close()

    // ---------- it opens by itself ----------
    // Polls the page as anyone would fetch it, until the worker has opened the campaign (nobody clicked "Open now").
    await eventually(async () => (await (await fetch(`${base}/c/${slug}?lang=en`)).text()).includes('name="channel"'), 20_000, 'the campaign to open')
    expect(Date.now()).toBeGreaterThanOrEqual(opensAt.getTime())
    expect(await query('SELECT status FROM campaigns WHERE id = $1', [campaignId])).toEqual([{ status: 'live' }])
    expect(await query('SELECT user_id, after FROM audit_log WHERE campaign_id = $1 AND action = $2 ORDER BY id DESC LIMIT 1', [campaignId, 'status']))
      .toEqual([{ user_id: null, after: { status: 'live', automatic: true } }])
    // The waiting page reloads by itself once its countdown is over.
    await waiting.waitForSelector('button[name="channel"][value="x"]', { timeout: 15_000 })

    // ---------- a supporter acts ----------
    const page2 = await supporter.newPage()
    await page2.goto(`${base}/c/${slug}?lang=en`)
    const kofi = targets.find((x) => x.name === 'Kofi Mensah')!
    const en = messages.find((m) => m.locale === 'en')!
    await choose(page2, `t-${kofi.id}`)
    await choose(page2, `m-${en.id}`)
    const expected = `.@kofimensah, the ocean cannot wait any longer: sign the treaty. #oceans #HighSeasTreaty http://bouteille.test/c/${slug}`
    await expect.poll(() => page2.inputValue('textarea[name="text"]')).toBe(expected)
    // X opens in a new tab; this one moves on to the thank-you step.
    const [intent] = await Promise.all([
      page2.context().waitForEvent('request', (r) => r.url().startsWith('https://x.com/')),
      page2.waitForURL(/\/thanks\?/),
      page2.click('button[name="channel"][value="x"]')
    ])
    expect(new URL(intent.url()).searchParams.get('text')).toBe(expected)
    expect(await query('SELECT target_id, message_id, channel, locale, text FROM actions WHERE campaign_id = $1', [campaignId]))
      .toEqual([{ target_id: kofi.id, message_id: en.id, channel: 'x', locale: 'en', text: expected }])
    await eventually(async () => {
      const res = await fetch(`${base}/c/${slug}/progress.json`)
      return res.ok && ((await res.json()) as { total: number }).total === 1
    }, 15_000, 'the count to reach 1')
    await supporter.close()
  }, 90_000)
})
