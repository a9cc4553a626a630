import type { Browser } from 'playwright-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { actBody, seedCampaign, signIn } from '../helper.ts'
import { type BrowserStack, browserStack, seriousViolations, signedInContext } from './browser.ts'

describe('the campaign dashboard in the browser', () => {
  const stack = browserStack()
  let t: BrowserStack['t']
  let browser: Browser
  let base: string
  beforeAll(() => { ({ t, browser, base } = stack) })

  it('moves its total, its chart and its leaderboard while supporters act, under the strict CSP', async () => {
    const c = await seedCampaign(t.deps, { goal: 8 })
    const viewer = await signIn(t.deps, 'viewer')
    const context = await signedInContext(browser, base, viewer, { locale: 'en-GB' })
    const page = await context.newPage()
    const problems: string[] = []
    page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()) })
    page.on('pageerror', (e) => problems.push(e.message))

    await page.goto(`${base}/admin/campaigns/${c.id}?lang=en`)
    await page.waitForSelector('[data-field="live"][data-state="on"]')
    expect(await page.textContent('[data-testid="total"]')).toBe('0')
    // uPlot drew both charts (its canvas), loaded from our own origin under the nonce policy.
    await page.waitForSelector('[data-chart="minutes"] canvas')
    await page.waitForSelector('[data-chart="hours"] canvas')
    const heightOf = () => page.evaluate(() => {
      const el = document.querySelector('[data-chart="minutes"] .u-over') as HTMLElement | null
      return el ? el.getBoundingClientRect().height : 0
    })
    expect(await heightOf()).toBeGreaterThan(50)
    const pixels = () => page.evaluate(() => (document.querySelector('[data-chart="minutes"] canvas') as HTMLCanvasElement).toDataURL())
    const before = await pixels()

    // Supporters act (the JSON form of the public page); the bottom target gets the most.
    const bottom = c.targets[2]!
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${base}/c/${c.slug}/act`, { method: 'POST', headers: { accept: 'application/json', 'content-type': 'application/json' }, body: JSON.stringify(actBody(c, { target: bottom.id })) })
      expect(res.status).toBe(201)
    }
    await page.waitForFunction(() => document.querySelector('[data-testid="total"]')?.textContent === '5', undefined, { timeout: 10_000 })
    expect(await page.textContent('[data-field="lastHour"]')).toBe('5')
    expect(await page.textContent('[data-field="percent"]')).toBe('62% of the goal')
    expect((await page.textContent('.dash-board li:first-child .dash-board-name'))?.trim()).toBe(bottom.name)
    expect(await pixels()).not.toBe(before)
    // Crossing 25 % and 50 % of the goal shows a notice at once.
    await page.waitForSelector('[data-field="notice"]:not([hidden])')
    expect(await page.textContent('[data-field="noticeText"]')).toMatch(/^Milestone reached: 50% of the goal \(4 actions\)!$/)
    expect(await page.locator('[data-field="milestones"] li').count()).toBe(2)

    // Three more reach the goal: the verdict changes and the goal steps up.
    for (let i = 0; i < 3; i++) {
      await fetch(`${base}/c/${c.slug}/act`, { method: 'POST', headers: { accept: 'application/json', 'content-type': 'application/json' }, body: JSON.stringify(actBody(c)) })
    }
    await page.waitForFunction(() => document.querySelector('[data-testid="total"]')?.textContent === '8', undefined, { timeout: 10_000 })
    expect(await page.getAttribute('[data-field="verdict"]', 'data-verdict')).toBe('reached')
    expect(await page.textContent('[data-testid="goal"]')).toBe('10')
    expect(problems).toEqual([])
    await context.close()
  })

  it('moves its "Did you post it?" table live as supporters answer on the thank-you page', async () => {
    const c = await seedCampaign(t.deps)
    const viewer = await signIn(t.deps, 'viewer')
    const context = await signedInContext(browser, base, viewer, { locale: 'en-GB' })
    const page = await context.newPage()
    await page.goto(`${base}/admin/campaigns/${c.id}?lang=en`)
    await page.waitForSelector('[data-field="live"][data-state="on"]')
    const rows = () => page.$$eval('[data-field="posted"] tbody tr', (trs) => trs.map((tr) => Array.from(tr.children, (cell) => cell.textContent!.trim())))
    expect(await rows()).toEqual([['Nothing yet.']])
    const answer = async (channel: string, said: string) => {
      const res = await fetch(`${base}/c/${c.slug}/posted`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ channel, answer: said, lang: 'en' }).toString() })
      expect(res.status).toBe(303)
    }
    await answer('x', 'yes')
    await answer('x', 'yes')
    await answer('bluesky', 'no')
    // Well before the dashboard's own periodic re-read (20 s): the answers are announced.
    await expect.poll(rows, { timeout: 5_000 }).toEqual([['X', '2', '0'], ['Bluesky', '0', '1']])
    await context.close()
  })

  it('passes axe in French and English, on a phone-sized screen too', async () => {
    const c = await seedCampaign(t.deps, { goal: 100 })
    const viewer = await signIn(t.deps, 'editor')
    // axe is injected as an inline script: only this context lets it past the admin's CSP.
    const context = await signedInContext(browser, base, viewer, { bypassCSP: true, viewport: { width: 390, height: 800 } })
    const page = await context.newPage()
    for (const lang of ['fr', 'en']) {
      await page.goto(`${base}/admin/campaigns/${c.id}?lang=${lang}`)
      await page.waitForSelector('[data-chart="hours"] canvas')
      expect(await seriousViolations(page), lang).toEqual([])
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
      expect(overflow, `${lang}: no sideways scrolling`).toBeLessThanOrEqual(0)
    }
    await page.goto(`${base}/admin?lang=en`)
    expect(await seriousViolations(page)).toEqual([])
    await context.close()
  })
})
