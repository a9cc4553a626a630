import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, listen, seedCampaign, signIn, type SeededCampaign } from '../helper.ts'
import { launchBrowser, seriousViolations, signedInContext } from './browser.ts'

describe('the bottle in the browser', () => {
  let t: Awaited<ReturnType<typeof buildTestApp>>
  let browser: Browser
  let c: SeededCampaign
  let base: string

  beforeAll(async () => {
    t = await buildTestApp()
    c = await seedCampaign(t.deps)
    base = await listen(t)
    browser = await launchBrowser()
  })
  afterAll(async () => {
    await browser?.close()
    await t?.close()
  })

  it('a supporter signs a message into the bottle, a campaigner approves it, and an open wall shows it without reloading', async () => {
    // The wall is open before anything is in the bottle.
    // axe is injected as a script: these pages bypass the CSP for it (the app's own scripts carry their nonce anyway).
    const pages = await browser.newContext({ bypassCSP: true })
    const wall = await pages.newPage()
    await wall.goto(`${base}/c/${c.slug}/wall?lang=en`)
    expect(await wall.locator('#wall-empty').isVisible()).toBe(true)
    expect(await wall.locator('[data-testid="wall-count"]').textContent()).toBe('0')
    expect(await seriousViolations(wall)).toEqual([])
    let reloaded = false
    wall.on('framenavigated', (f) => { if (f === wall.mainFrame()) reloaded = true })

    // The supporter writes their own words, signs, and consents.
    const supporter = await pages.newPage()
    await supporter.goto(`${base}/c/${c.slug}?lang=en`)
    // With JavaScript the signature waits behind its button, and a signature needs the consent.
    expect(await supporter.locator('#bottle-sign').isVisible()).toBe(false)
    await supporter.click('#bottle-sign-toggle')
    await supporter.fill('#signature_name', 'Amara')
    await supporter.fill('#signature_town', 'Dakar')
    const words = 'Listen to the people living on the front line of the climate crisis.'
    await supporter.fill('textarea[name="text"]', words)
    await supporter.click('button[name="channel"][value="bottle"]')
    expect(await supporter.locator('#consent-error').isVisible()).toBe(true)
    expect(new URL(supporter.url()).pathname).toBe(`/c/${c.slug}`)
    expect(await seriousViolations(supporter)).toEqual([])
    await supporter.check('#publish_consent')
    await Promise.all([supporter.waitForURL(/\/thanks\?/), supporter.click('button[name="channel"][value="bottle"]')])
    expect(await supporter.locator(`a[href="/c/${c.slug}/wall?lang=en"]`).count()).toBe(1)
    const [m] = (await t.deps.pool.query('SELECT id, text, signature_name, signature_town, publish_consent, status FROM bottle_messages WHERE campaign_id = $1', [c.id])).rows
    expect(m).toMatchObject({ text: words, signature_name: 'Amara', signature_town: 'Dakar', publish_consent: true, status: 'pending' })
    // Not on the wall before it is approved.
    expect(await wall.locator('.wall-item').count()).toBe(0)

    // The campaigner approves it from the queue.
    const editor = await signIn(t.deps, 'editor')
    const admin = await signedInContext(browser, base, editor, { bypassCSP: true })
    const queue = await admin.newPage()
    await queue.goto(`${base}/admin/campaigns/${c.id}/bottle?lang=en`)
    expect(await queue.locator(`tr[data-bottle-id="${m.id}"]`).textContent()).toContain(words)
    expect(await seriousViolations(queue)).toEqual([])
    await Promise.all([queue.waitForURL(/\/bottle/), queue.click(`button[name="one"][value="approve:${m.id}"]`)])
    expect(await queue.locator('.flash').textContent()).toContain('1 message approved')

    // The open wall shows it, signed, without a reload.
    const item = wall.locator(`.wall-item[data-id="${m.id}"]`)
    await item.waitFor({ timeout: 10_000 })
    expect(await item.locator('.wall-text').textContent()).toBe(words)
    expect(await item.locator('.wall-sign').textContent()).toBe('Amara, Dakar')
    expect(await item.locator('.wall-to').textContent()).toBe('To Alice Martin')
    expect(await wall.locator('[data-testid="wall-count"]').textContent()).toBe('1')
    expect(await wall.locator('#wall-empty').isVisible()).toBe(false)
    expect(reloaded).toBe(false)
    // axe judges the settled page: the new message fades in, and half-faded text would read as low contrast.
    await item.evaluate((el) => Promise.all(el.getAnimations({ subtree: true }).map((a) => a.finished)))
    expect(await seriousViolations(wall)).toEqual([])

    // Rejected again, it leaves the open wall.
    await Promise.all([queue.waitForURL(/\/bottle/), queue.goto(`${base}/admin/campaigns/${c.id}/bottle?status=approved&lang=en`)])
    await Promise.all([queue.waitForURL(/\/bottle/), queue.click(`button[name="one"][value="reject:${m.id}"]`)])
    await item.waitFor({ state: 'detached', timeout: 10_000 })
    expect(await wall.locator('[data-testid="wall-count"]').textContent()).toBe('0')
    await admin.close()
    await pages.close()
  }, 90_000)

  it('works without JavaScript: the signature is there, and the wall is complete', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false })
    const page = await context.newPage()
    await page.goto(`${base}/c/${c.slug}?lang=fr`)
    expect(await page.locator('#bottle-sign').isVisible()).toBe(true)
    expect(await page.locator('#publish_consent').isChecked()).toBe(false)
    await page.fill('#signature_name', 'Jules')
    await page.check('#publish_consent')
    await Promise.all([page.waitForURL(/\/thanks\?/), page.click('button[name="channel"][value="bottle"]')])
    const wall = await context.newPage()
    await wall.goto(`${base}/c/${c.slug}/wall?lang=fr`)
    expect(await wall.locator('h1').textContent()).toBe('Les messages de la bouteille')
    expect(await wall.locator('.wall-filters select').count()).toBe(2)
    await context.close()
  }, 60_000)
})
