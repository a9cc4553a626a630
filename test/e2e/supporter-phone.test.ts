import type { Browser, Page } from 'playwright-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { targets } from '../../server/db/schema.ts'
import { seedDemo } from '../../server/seed/seed-demo.ts'
import { seedCampaign, type SeededCampaign } from '../helper.ts'
import { browserStack, seriousViolations, type BrowserStack } from './browser.ts'

const PHONE = { width: 390, height: 844 }

/**
 * Where the first enabled send button sits in the document when the page is laid out without its sticky bar: the
 * length a supporter scrolls through, whatever the bar does.
 */
async function firstSendButtonY (page: Page): Promise<number> {
  return page.evaluate(() => {
    const off = document.createElement('style')
    off.textContent = '.send-bar { position: static !important }'
    document.head.append(off)
    const b = Array.from(document.querySelectorAll<HTMLButtonElement>('button[name="channel"]')).find((x) => !x.disabled)
    if (!b) return Infinity
    const y = b.getBoundingClientRect().top + window.scrollY
    off.remove()
    return y
  })
}

describe('the supporter flow on a phone (390×844)', () => {
  const stack = browserStack()
  let t: BrowserStack['t']
  let browser: Browser
  let base: string
  let big: SeededCampaign
  beforeAll(async () => {
    ({ t, browser, base } = stack)
    await seedDemo(t.deps.db)
    big = await seedCampaign(t.deps)
    await t.deps.db.insert(targets).values(Array.from({ length: 197 }, (_, i) => ({
      campaignId: big.id, name: `Délégué ${i + 4}`, role: { fr: 'Négociateur', en: 'Negotiator' }, country: ['FR', 'SN', 'BR', 'IN'][i % 4]!, handles: { x: `delegate${i}` }, email: null, groups: [i % 2 ? 'G77' : 'UE'], position: i + 3
    })))
  })

  const phonePage = async (path: string, javaScriptEnabled = true, bypassCSP = false): Promise<Page> => {
    const context = await browser.newContext({ viewport: PHONE, javaScriptEnabled, isMobile: true, hasTouch: true, bypassCSP })
    const page = await context.newPage()
    await page.goto(`${base}${path}`)
    return page
  }

  for (const [label, path, screens] of [['the demo (10 targets)', '/c/tweetbouteille?lang=fr', 2], ['200 targets', '', 3]] as const) {
    for (const js of [true, false]) {
      it(`puts the first send button within ${screens} screens for ${label}, ${js ? 'with' : 'without'} JavaScript`, async () => {
        const page = await phonePage(path || `/c/${big.slug}?lang=fr`, js)
        if (js) await page.waitForSelector('#counter:not([hidden])')
        // The suggested target is chosen already; choosing it again changes nothing.
        const suggested = page.locator('.target:has([data-suggested]) .target-card')
        await suggested.click()
        const y = await firstSendButtonY(page)
        expect(y).toBeLessThan(screens * PHONE.height)
        await page.context().close()
      })
    }
  }

  it('finds a decision-maker by country or group in the full list, and brings the chosen card up', async () => {
    const page = await phonePage('/c/tweetbouteille?lang=en', true, true)
    await page.waitForSelector('#counter:not([hidden])')
    expect(await page.locator('#targets-others .target').count()).toBe(9)
    expect(await page.locator('#targets-others').isVisible()).toBe(false)
    // Tapped where a thumb would, mid-screen (not under the sticky send bar at the bottom edge): the summary itself is
    // what a tap there hits. (Playwright's own actionability check, which scrolls again, reports the chosen card above
    // it since the page's texts were isolated for right to left; the browser's hit test says otherwise.)
    const summary = page.locator('#targets-more > summary')
    expect(await summary.evaluate((el) => {
      el.scrollIntoView({ block: 'center' })
      const r = el.getBoundingClientRect()
      return document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) === el
    })).toBe(true)
    await summary.click({ force: true })
    const shown = page.locator('#targets-others .target:not(.is-unmatched)')
    // A group: several cards.
    await page.fill('#target-search', 'g7')
    await expect.poll(() => shown.count()).toBe(5)
    expect(await page.locator('#targets-others .target').evaluateAll((els) => els.filter((el) => (el as HTMLElement).offsetHeight > 0).length)).toBe(5)
    expect(await page.textContent('#target-search-status')).toBe('5 decision-makers match.')
    // A country, typed without capitals: one card.
    await page.fill('#target-search', 'japan')
    await expect.poll(() => shown.count()).toBe(1)
    expect(await shown.textContent()).toMatch(/Japan/)
    expect(await page.textContent('#target-search-status')).toBe('1 decision-maker matches.')
    expect(await seriousViolations(page), 'list open').toEqual([])
    const name = (await shown.first().locator('.target-name').textContent())!
    await shown.first().locator('.target-card').click()
    // The chosen card sits first, the list folds, and the message names the new target.
    await expect.poll(() => page.locator('#targets-chosen .target-name').textContent()).toBe(name)
    expect(await page.locator('#targets-more').getAttribute('open')).toBeNull()
    await expect.poll(() => page.inputValue('#text')).toContain('#')
    expect(await seriousViolations(page), 'list folded').toEqual([])
    await page.context().close()
  })

  // `SCREENSHOTS=1 npx vitest run test/e2e/supporter-phone.test.ts` refreshes the README's pictures.
  it.runIf(process.env.SCREENSHOTS)('takes the README\'s screenshots of the flow in French and English', async () => {
    for (const lang of ['fr', 'en']) {
      const page = await phonePage(`/c/tweetbouteille?lang=${lang}`)
      await page.waitForSelector('#counter:not([hidden])')
      await page.screenshot({ path: `docs/screenshots/supporter-${lang}-1-page.png` })
      await page.locator('#step2-title').scrollIntoViewIfNeeded()
      await page.evaluate(() => window.scrollBy(0, -80))
      await page.screenshot({ path: `docs/screenshots/supporter-${lang}-2-message.png` })
      await page.locator('#targets-more > summary').click()
      await page.fill('#target-search', 'g7')
      await page.locator('#targets-more').scrollIntoViewIfNeeded()
      await page.screenshot({ path: `docs/screenshots/supporter-${lang}-3-search.png` })
      await page.goto(`${base}/c/tweetbouteille/thanks?lang=${lang}&via=x`)
      await page.screenshot({ path: `docs/screenshots/supporter-${lang}-4-thanks.png` })
      await page.context().close()
    }
  })
})
