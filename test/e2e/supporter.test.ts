import type { Browser } from 'playwright-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { actBody, eventually, seedCampaign, type SeededCampaign } from '../helper.ts'
import { browserStack, choose, seriousViolations, type BrowserStack } from './browser.ts'

describe('a supporter in the browser', () => {
  const stack = browserStack()
  let t: BrowserStack['t']
  let browser: Browser
  let c: SeededCampaign
  let base: string
  beforeAll(async () => {
    ({ t, browser, base } = stack)
    c = await seedCampaign(t.deps)
  })

  const rowsFor = async (targetId: string, channel: string) =>
    (await t.deps.pool.query('SELECT text FROM actions WHERE campaign_id = $1 AND target_id = $2 AND channel = $3', [c.id, targetId, channel])).rows

  it('picks a target and a message and sends on X: the intent URL is right and the action is recorded', async () => {
    const page = await browser.newPage()
    await page.goto(`${base}/c/${c.slug}?lang=en`)
    const bongani = c.targets[1]!
    const message = c.messages.find((m) => m.locale === 'en' && m.body.startsWith('{target}, millions'))!
    await choose(page, `t-${bongani.id}`)
    await choose(page, `m-${message.id}`)
    const expected = `.@bdube, millions are counting on you. #tweetbottle http://bouteille.test/c/${c.slug}`
    // The script renders the message for the chosen target and network into the editable text.
    await expect.poll(() => page.inputValue('textarea[name="text"]')).toBe(expected)
    // X opens in a new tab; this tab moves on to the thank-you step, which asks whether the post went out.
    const [intent] = await Promise.all([
      page.context().waitForEvent('request', (r) => r.url().startsWith('https://x.com/')),
      page.waitForURL(/\/thanks\?lang=en&via=x$/),
      page.click('button[name="channel"][value="x"]')
    ])
    expect(intent.frame().page()).not.toBe(page)
    expect(new URL(intent.url()).origin + new URL(intent.url()).pathname).toBe('https://x.com/intent/tweet')
    expect(new URL(intent.url()).searchParams.get('text')).toBe(expected)
    expect(await rowsFor(bongani.id, 'x')).toEqual([{ text: expected }])
    expect(await page.locator('h1').textContent()).toBeTruthy()
    await page.close()
  })

  it('shows a second open page the count rising without reloading', async () => {
    const page = await browser.newPage()
    await page.goto(`${base}/c/${c.slug}?lang=en`)
    const total = page.locator('[data-testid="total"]')
    const before = Number((await total.textContent())!.replace(/\D/g, ''))
    const res = await fetch(`${base}/c/${c.slug}/act`, { method: 'POST', headers: { accept: 'application/json', 'content-type': 'application/json' }, body: JSON.stringify(actBody(c, { channel: 'bluesky' })) })
    expect(res.status).toBe(201)
    await expect.poll(async () => Number((await total.textContent())!.replace(/\D/g, '')), { timeout: 10_000 }).toBe(before + 1)
    await page.close()
  })

  it('sends without JavaScript through the plain form', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false })
    const page = await context.newPage()
    await page.goto(`${base}/c/${c.slug}?lang=fr`)
    const carla = c.targets[2]!
    const message = c.messages.find((m) => m.locale === 'fr' && m.body.startsWith('{target}, des millions'))!
    await choose(page, `t-${carla.id}`)
    await choose(page, `m-${message.id}`)
    const [intent] = await Promise.all([
      page.waitForRequest((r) => r.url().startsWith('https://x.com/')),
      page.click('button[name="channel"][value="x"]')
    ])
    const expected = `.@carlasouza, des millions de personnes comptent sur vous. #tweetbouteille http://bouteille.test/c/${c.slug}`
    expect(new URL(intent.url()).searchParams.get('text')).toBe(expected)
    expect(await rowsFor(carla.id, 'x')).toEqual([{ text: expected }])

    // The bottle leads to the thank-you page.
    const bottle = await context.newPage()
    await bottle.goto(`${base}/c/${c.slug}?lang=fr`)
    await Promise.all([bottle.waitForURL(/\/thanks\?/), bottle.click('button[name="channel"][value="bottle"]')])
    expect(await bottle.textContent('h1')).toBeTruthy()
    await context.close()
  })

  it('shows the error and keeps the text when a send is refused, without JavaScript', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false })
    const page = await context.newPage()
    await page.goto(`${base}/c/${c.slug}?lang=en`)
    await page.fill('textarea[name="text"]', 'x'.repeat(290))
    await page.click('button[name="channel"][value="x"]')
    await page.waitForLoadState()
    const alert = page.locator('[role="alert"]')
    await expect.poll(() => alert.textContent()).toMatch(/too long for X/)
    expect(await page.inputValue('textarea[name="text"]')).toBe('x'.repeat(290))
    await context.close()
  })

  it('has no serious or critical accessibility violation (axe) on the public pages', async () => {
    // axe is injected as an inline script: this context alone lets it past the page's CSP.
    const context = await browser.newContext({ bypassCSP: true })
    const page = await context.newPage()
    for (const path of [`/c/${c.slug}?lang=fr`, `/c/${c.slug}?lang=en`, `/c/${c.slug}/thanks?lang=fr&via=x`, '/?lang=en', '/c/nothing-here']) {
      await page.goto(`${base}${path}`)
      expect(await seriousViolations(page), path).toEqual([])
    }
    await page.setViewportSize({ width: 375, height: 800 })
    await page.goto(`${base}/c/${c.slug}?lang=fr`)
    expect(await seriousViolations(page), 'mobile').toEqual([])
    await context.close()
  })

  it('renders the demo-sized page without any request leaving the site', async () => {
    const page = await browser.newPage()
    const outside: string[] = []
    page.on('request', (r) => { if (!r.url().startsWith(base) && !r.url().startsWith('data:')) outside.push(r.url()) })
    const errors: string[] = []
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()) })
    page.on('pageerror', (e) => errors.push(String(e)))
    await page.goto(`${base}/c/${c.slug}`)
    await eventually(async () => (await page.evaluate(() => document.readyState)) === 'complete', 5000, 'page load')
    expect(outside).toEqual([])
    expect(errors).toEqual([])
    await page.close()
  })
})
