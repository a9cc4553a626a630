import type { Browser } from 'playwright-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { seedCampaign, type SeededCampaign } from '../helper.ts'
import { browserStack, seriousViolations, type BrowserStack } from './browser.ts'

// "1 person joined through your link": the personal link made in the browser, a second supporter through it, live.
describe('a supporter\'s own link in the browser', () => {
  const stack = browserStack()
  let t: BrowserStack['t']
  let browser: Browser
  let c: SeededCampaign
  let base: string
  beforeAll(async () => {
    ({ t, browser, base } = stack)
    c = await seedCampaign(t.deps)
  })

  it('gives the sender a link kept in their browser, and shows live the send a friend made through it', async () => {
    // bypassCSP only lets the test inject axe; the page's own scripts run under its nonce as always.
    const first = await browser.newContext({ bypassCSP: true })
    const page = await first.newPage()
    await page.goto(`${base}/c/${c.slug}?lang=en&ref=ngo1`)
    await Promise.all([
      page.waitForURL(/\/thanks\?lang=en&via=x$/),
      page.click('button[name="channel"][value="x"]')
    ])
    const code = await page.evaluate((slug) => window.localStorage.getItem('bouteille.link.' + slug), c.slug)
    expect(code).toMatch(/^[A-Za-z0-9_-]{12}$/)
    // The sender's own action carries their code (the denominator of "links that brought someone").
    expect((await t.deps.pool.query('SELECT link_code, ref FROM actions WHERE campaign_id = $1', [c.id])).rows).toEqual([{ link_code: code, ref: 'ngo1' }])
    const link = await page.inputValue('#share-link')
    expect(link).toBe(`http://bouteille.test/c/${c.slug}?lang=en&ref=ngo1&from=${code}`)
    // The share buttons carry the same codes through the counting redirect.
    const share = new URL((await page.getAttribute('.share-btn--whatsapp', 'href'))!, base)
    expect(share.pathname).toBe(`/c/${c.slug}/share/whatsapp`)
    expect(Object.fromEntries(share.searchParams)).toEqual({ lang: 'en', ref: 'ngo1', from: code, m: c.messages[2]!.id })
    const joined = page.locator('[data-testid="joined"]')
    await expect.poll(() => joined.textContent()).toContain('0 people joined through your link')
    expect(await seriousViolations(page)).toEqual([])

    // A friend opens the link (in their own browser) and sends.
    const second = await browser.newContext()
    const friend = await second.newPage()
    await friend.goto(link.replace('http://bouteille.test', base))
    await Promise.all([
      friend.waitForURL(/\/thanks\?lang=en&via=x$/),
      friend.click('button[name="channel"][value="x"]')
    ])
    const friendCode = await friend.evaluate((slug) => window.localStorage.getItem('bouteille.link.' + slug), c.slug)
    expect(friendCode).not.toBe(code)
    // Live on the first page: the total moves on its stream, and the count follows.
    await expect.poll(async () => (await joined.textContent())?.replace(/\s+/g, ' ').trim(), { timeout: 20_000 }).toBe('1 person joined through your link')
    expect((await fetch(`${base}/c/${c.slug}/from/${code}.json`).then((r) => r.json()))).toEqual({ code, count: 1 })
    await first.close()
    await second.close()
  })
})
