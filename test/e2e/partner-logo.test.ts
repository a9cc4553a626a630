import sharp from 'sharp'
import type { Browser } from 'playwright-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { actBody, seedCampaign, signIn } from '../helper.ts'
import { type BrowserStack, browserStack, seriousViolations, signedInContext } from './browser.ts'

describe('a partner\'s logo, in the browser', () => {
  const stack = browserStack()
  let t: BrowserStack['t']
  let browser: Browser
  let base: string
  beforeAll(() => { ({ t, browser, base } = stack) })

  it('is chosen on the partner form (accessible, on a phone), shown in the list and on the page supporters open, where nothing moves', async () => {
    const c = await seedCampaign(t.deps, { slug: 'logo-campaign' })
    const editor = await signIn(t.deps, 'editor')
    const context = await signedInContext(browser, base, editor, { bypassCSP: true, locale: 'en-GB', viewport: { width: 375, height: 800 } })
    const page = await context.newPage()
    await page.goto(`${base}/admin/campaigns/${c.id}/partners?lang=en`)
    await page.getByLabel('Name', { exact: true }).fill('Climate Coalition')
    await page.getByLabel('Code', { exact: true }).fill('coal')
    const logo = await sharp({ create: { width: 900, height: 300, channels: 4, background: { r: 38, g: 70, b: 83, alpha: 1 } } }).png().toBuffer()
    await page.getByLabel(/^Logo/).setInputFiles({ name: 'coalition.png', mimeType: 'image/png', buffer: logo })
    await page.locator('#f-line_en').fill('The coalition backs this call.')
    expect(await seriousViolations(page)).toEqual([])
    await Promise.all([page.waitForURL(/\/partners$/), page.getByRole('button', { name: 'Add the partner' }).click()])
    const row = page.locator('tr', { hasText: 'Climate Coalition' })
    const thumb = row.locator('img.partner-logo--row')
    expect(await thumb.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(480)
    expect(await seriousViolations(page)).toEqual([])

    // The edit page shows the current logo and offers to replace or remove it.
    await row.getByRole('link', { name: 'Edit Climate Coalition' }).click()
    expect(await page.getByTestId('partner-logo').getAttribute('alt')).toBe('Logo of Climate Coalition')
    expect(await page.getByLabel(/^Replace the logo/).count()).toBe(1)
    expect(await seriousViolations(page)).toEqual([])

    // A supporter arriving with the code sees the logo before the line, its box reserved before it loads.
    const visitor = await browser.newContext({ locale: 'en-GB', viewport: { width: 375, height: 800 } })
    const pub = await visitor.newPage()
    await pub.addInitScript(() => {
      (window as unknown as { shift: number }).shift = 0
      new PerformanceObserver((list) => { for (const e of list.getEntries()) (window as unknown as { shift: number }).shift += (e as unknown as { value: number }).value }).observe({ type: 'layout-shift', buffered: true })
    })
    await pub.goto(`${base}/c/${c.slug}?lang=en&ref=coal`, { waitUntil: 'load' })
    const img = pub.getByTestId('partner-line-logo')
    const box = await img.boundingBox()
    expect(box!.height).toBeGreaterThan(30)
    expect(box!.height).toBeLessThan(45)
    expect(await img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth > 0)).toBe(true)
    expect((await pub.getByTestId('partner-line').textContent())!.replace(/\s+/g, ' ').trim()).toBe('With Climate Coalition The coalition backs this call.')
    expect(await pub.evaluate(() => (window as unknown as { shift: number }).shift)).toBeLessThan(0.01)
    await visitor.close()

    // The dashboard's partners' leaderboard shows it too, and keeps it when a send redraws the table live.
    const dash = await context.newPage()
    await dash.goto(`${base}/admin/campaigns/${c.id}?lang=en`)
    await dash.waitForSelector('[data-field="live"][data-state="on"]')
    const board = dash.locator('[data-recruit="partners"] tbody tr', { hasText: 'Climate Coalition' })
    expect(await board.locator('td.num').textContent()).toBe('0')
    expect(await board.locator('img.partner-logo--row').count()).toBe(1)
    const sent = await fetch(`${base}/c/${c.slug}/act`, { method: 'POST', headers: { accept: 'application/json', 'content-type': 'application/json' }, body: JSON.stringify(actBody(c, { ref: 'coal' })) })
    expect(sent.status).toBe(201)
    await expect.poll(() => board.locator('td.num').textContent(), { timeout: 10_000 }).toBe('1')
    expect(await board.locator('img.partner-logo--row').evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth)).toBe(480)
    expect(await seriousViolations(dash)).toEqual([])
    await context.close()
  })
})
