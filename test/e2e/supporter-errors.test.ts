import { eq } from 'drizzle-orm'
import type { Browser } from 'playwright-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { campaigns } from '../../server/db/schema.ts'
import { seedCampaign } from '../helper.ts'
import { browserStack, choose, type BrowserStack } from './browser.ts'

describe('a supporter whose send cannot go now', () => {
  const stack = browserStack({ env: () => ({ ACTION_RATE_LIMIT: '1' }) })
  let t: BrowserStack['t']
  let browser: Browser
  let base: string
  beforeAll(async () => {
    ({ t, browser, base } = stack)
  })

  it('sees a pause live on an open page before sending, and the send bar open again when the campaign reopens', async () => {
    const c = await seedCampaign(t.deps)
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } })
    await page.goto(`${base}/c/${c.slug}?lang=en`)
    await page.waitForSelector('#counter:not([hidden])')
    await page.waitForFunction(() => !document.querySelector('.live-badge.is-offline'))
    const x = page.locator('button[name="channel"][value="x"]')
    expect(await x.isEnabled()).toBe(true)

    // What the admin's pause does: commit the status, then announce the change.
    await t.deps.db.update(campaigns).set({ status: 'paused' }).where(eq(campaigns.id, c.id))
    await t.deps.announceCampaign(c.slug)
    await expect.poll(() => page.textContent('#send-live'), { timeout: 10_000 }).toMatch(/just been paused/)
    expect(await page.locator('#send-live').isVisible()).toBe(true)
    expect(await x.isDisabled()).toBe(true)

    await t.deps.db.update(campaigns).set({ status: 'live' }).where(eq(campaigns.id, c.id))
    await t.deps.announceCampaign(c.slug)
    await expect.poll(() => x.isEnabled(), { timeout: 10_000 }).toBe(true)
    expect(await page.textContent('#send-live')).toMatch(/open again/)
    await page.close()
  })

  it('is told how long to wait after too many sends, with the text they wrote kept', async () => {
    // The limit counts in fixed one-minute windows: both sends must fall in the same one (a send late in a minute and
    // the next early in the following one would both go), so late in a minute the test waits for the next.
    const intoMinute = Date.now() % 60_000
    if (intoMinute > 40_000) await new Promise((resolve) => setTimeout(resolve, 60_000 - intoMinute + 100))
    const c = await seedCampaign(t.deps)
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } })
    await page.goto(`${base}/c/${c.slug}?lang=en`)
    await page.waitForSelector('#counter:not([hidden])')
    // The first send of the minute goes (in a new tab); the page then goes to the thank-you step.
    await Promise.all([page.waitForURL(/\/thanks\?/), page.click('button[name="channel"][value="bluesky"]')])
    await page.goto(`${base}/c/${c.slug}?lang=en`)
    await page.waitForSelector('#counter:not([hidden])')
    // Alice (the suggestion may have moved on to a less contacted target since the first send).
    await choose(page, `t-${c.targets[0]!.id}`)
    await expect.poll(() => page.inputValue('#text')).toContain('@alice_martin')
    const own = `.@alice_martin my own words, written with care #tweetbottle http://bouteille.test/c/${c.slug}`
    await page.fill('#text', own)
    const [answer] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && r.request().headers().accept !== 'application/json'),
      page.click('button[name="channel"][value="x"]')
    ])
    expect(answer.status()).toBe(429)
    await page.waitForSelector('#form-error')
    expect(await page.textContent('#form-error')).toMatch(/Wait \d+ seconds?, then send again/)
    expect(await page.inputValue('#text')).toBe(own)
    expect(await page.locator(`#t-${c.targets[0]!.id}`).isChecked()).toBe(true)
    expect((await t.deps.pool.query('SELECT count(*)::int AS n FROM actions WHERE campaign_id = $1', [c.id])).rows[0].n).toBe(1)
    await page.close()
  }, 60_000)
})
