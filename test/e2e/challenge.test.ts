import { eq } from 'drizzle-orm'
import type { Browser } from 'playwright-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { campaigns } from '../../server/db/schema.ts'
import { seedCampaign, type SeededCampaign } from '../helper.ts'
import { browserStack, seriousViolations, type BrowserStack } from './browser.ts'

describe('a supporter on a campaign whose challenge is on', () => {
  const stack = browserStack({ env: () => ({ CHALLENGE_MAX_NUMBER: '20000' }) })
  let t: BrowserStack['t']
  let browser: Browser
  let base: string
  let c: SeededCampaign
  beforeAll(async () => {
    ({ t, browser, base } = stack)
    c = await seedCampaign(t.deps)
    await t.deps.db.update(campaigns).set({ challengeMode: 'on' }).where(eq(campaigns.id, c.id))
    await t.deps.announceCampaign(c.slug)
  })
  const rows = async () => (await t.deps.pool.query('SELECT count(*)::int AS n FROM actions WHERE campaign_id = $1', [c.id])).rows[0].n as number

  it('sends: the worker solves the challenge in the background, the question stays hidden, and the page passes axe', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } })
    const outside: string[] = []
    const refusedByCsp: string[] = []
    page.on('request', (r) => { if (!r.url().startsWith(base)) outside.push(r.url()) })
    page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) refusedByCsp.push(m.text()) })
    await page.goto(`${base}/c/${c.slug}?lang=en`)
    await page.waitForSelector('#challenge[data-state="ready"]', { timeout: 30_000 })
    expect(await page.locator('#challenge-question').isHidden()).toBe(true)
    expect(await page.textContent('#challenge-status')).toBe('Check done: you can send.')
    // The worker runs under the page's strict CSP.
    expect(refusedByCsp).toEqual([])
    const before = await rows()
    await Promise.all([page.waitForURL(/\/thanks\?/), page.click('button[name="channel"][value="bottle"]')])
    expect(await rows()).toBe(before + 1)
    expect(outside).toEqual([])
    expect((await page.context().cookies()).length).toBe(0)
    await page.close()

    // axe injects its own script: in a context that lets it.
    const axeContext = await browser.newContext({ bypassCSP: true, viewport: { width: 390, height: 844 } })
    const axePage = await axeContext.newPage()
    await axePage.goto(`${base}/c/${c.slug}?lang=en`)
    await axePage.waitForSelector('#challenge[data-state="ready"]', { timeout: 30_000 })
    expect(await seriousViolations(axePage)).toEqual([])
    await axeContext.close()
  }, 120_000)

  it('sends a click made before the solution is ready once it is', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } })
    // Slowed down so the click comes first (CDP: a phone-class CPU).
    const cdp = await page.context().newCDPSession(page)
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 })
    await page.goto(`${base}/c/${c.slug}?lang=en`)
    await page.waitForSelector('#counter:not([hidden])')
    const before = await rows()
    await Promise.all([page.waitForURL(/\/thanks\?/, { timeout: 60_000 }), page.click('button[name="channel"][value="bottle"]')])
    expect(await rows()).toBe(before + 1)
    await page.close()
  }, 120_000)

  it('without JavaScript, answers the question in the form, and passes axe', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 390, height: 844 } })
    const page = await context.newPage()
    await page.goto(`${base}/c/${c.slug}?lang=en`)
    const label = await page.textContent('label[for="challenge_answer"]')
    const [, a, b] = /What is (\d) \+ (\d)\?/.exec(label ?? '')!
    // axe runs with scripts on: the same HTML in a context with JavaScript, the question made visible as without it.
    const before = await rows()
    await page.fill('#challenge_answer', String(Number(a) + Number(b)))
    await Promise.all([page.waitForURL(/\/thanks\?/), page.click('button[name="channel"][value="bottle"]')])
    expect(await rows()).toBe(before + 1)
    await context.close()

    const axeContext = await browser.newContext({ bypassCSP: true })
    const axePage = await axeContext.newPage()
    await axePage.route(/\/assets\/js\/challenge(\.[0-9a-f]+)?\.js/, (route) => route.fulfill({ status: 200, contentType: 'text/javascript', body: '' }))
    await axePage.goto(`${base}/c/${c.slug}?lang=en`)
    expect(await axePage.locator('#challenge_answer').isVisible()).toBe(true)
    expect(await seriousViolations(axePage)).toEqual([])
    await axeContext.close()
  }, 120_000)
})
