import type { Browser, Page } from 'playwright-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { seedDemo } from '../../server/seed/seed-demo.ts'
import { browserStack, type BrowserStack } from './browser.ts'

// What a supporter's phone downloads to show the campaign page (the demo campaign, as `npm start` has it): the
// HTML, the stylesheet, the scripts, the icons and images, compressed as sent, up to the load event.
describe('the campaign page’s first view', () => {
  const stack = browserStack()
  let t: BrowserStack['t']
  let browser: Browser
  beforeAll(async () => {
    ({ t, browser } = stack)
    await seedDemo(t.deps.db)
  })

  async function open (url: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true })
    const page = await context.newPage()
    // Layout shifts from the very start (buffered entries are kept for the page).
    await page.addInitScript(() => {
      const w = window as unknown as { __cls: number }
      w.__cls = 0
      new PerformanceObserver((list) => {
        for (const e of list.getEntries() as Array<PerformanceEntry & { value: number, hadRecentInput: boolean }>) if (!e.hadRecentInput) w.__cls += e.value
      }).observe({ type: 'layout-shift', buffered: true })
    })
    await page.goto(url, { waitUntil: 'load' })
    return page
  }

  /** Bytes on the wire (compressed bodies and headers) of the page and of every resource started before its load event. */
  const firstViewBytes = (page: Page) => page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming
    const resources = (performance.getEntriesByType('resource') as PerformanceResourceTiming[]).filter((r) => r.startTime <= nav.loadEventStart)
    return { total: nav.transferSize + resources.reduce((n, r) => n + r.transferSize, 0), names: resources.map((r) => `${r.name} ${r.transferSize}`) }
  })

  it('is under 60 KB on the wire, and nothing moves when the script starts', async () => {
    const page = await open(`${stack.base}/c/tweetbouteille?lang=fr`)
    const { total, names } = await firstViewBytes(page)
    expect(total, names.join('\n')).toBeGreaterThan(5_000)
    expect(total, names.join('\n')).toBeLessThan(60 * 1024)
    // The enhancements start (the networks' rules came after the first view) and fill the message in.
    await page.waitForFunction(() => Boolean((window as unknown as { BouteilleNetworks?: unknown }).BouteilleNetworks))
    await expect.poll(() => page.inputValue('textarea[name="text"]')).not.toBe('')
    await expect.poll(() => page.locator('.live-badge').isVisible()).toBe(true)
    const cls = await page.evaluate(() => (window as unknown as { __cls: number }).__cls)
    expect(cls).toBeLessThan(0.01)
    await page.context().close()
  })

  it('the thank-you page loads no campaign-page script and no networks’ rules', async () => {
    const page = await open(`${stack.base}/c/tweetbouteille/thanks?lang=en&via=bottle`)
    const { total, names } = await firstViewBytes(page)
    expect(names.some((n) => /\/js\/(campaign|networks)\./.test(n)), names.join('\n')).toBe(false)
    expect(names.some((n) => /\/js\/thanks\.[0-9a-f]{10}\.js/.test(n)), names.join('\n')).toBe(true)
    expect(total).toBeLessThan(60 * 1024)
    await page.context().close()
  })
})
