import type { Browser } from 'playwright-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { actBody, readEventStream, seedCampaign, type SeededCampaign } from '../helper.ts'
import { browserStack, type BrowserStack } from './browser.ts'

describe('a page whose event stream is refused (too many open from one address)', () => {
  const stack = browserStack({ env: () => ({ STREAMS_PER_ADDRESS: '1' }) })
  let t: BrowserStack['t']
  let browser: Browser
  let c: SeededCampaign
  let base: string
  beforeAll(async () => {
    ({ t, browser, base } = stack)
    c = await seedCampaign(t.deps)
  })

  it('polls progress.json slowly instead, and shows the count rising', async () => {
    // Another page on the same network holds the address's only stream slot.
    const held = await readEventStream(base, `/c/${c.slug}/events`, { firstData: true })
    const page = await browser.newPage()
    try {
      await page.clock.install()
      const refused = page.waitForResponse((r) => r.url().endsWith(`/c/${c.slug}/events`))
      await page.goto(`${base}/c/${c.slug}?lang=en`)
      expect((await refused).status()).toBe(429)
      const total = page.locator('[data-testid="total"]')
      const before = Number((await total.textContent())!.replace(/\D/g, ''))
      const res = await fetch(`${base}/c/${c.slug}/act`, { method: 'POST', headers: { accept: 'application/json', 'content-type': 'application/json' }, body: JSON.stringify(actBody(c, { channel: 'bluesky' })) })
      expect(res.status).toBe(201)
      // Counted and published by the worker: progress.json has it before the page asks.
      await expect.poll(async () => (await (await fetch(`${base}/c/${c.slug}/progress.json`)).json()).total, { timeout: 10_000 }).toBe(before + 1)
      const polls: string[] = []
      page.on('request', (r) => { if (r.url().includes(`/c/${c.slug}/`)) polls.push(new URL(r.url()).pathname) })
      // Not before 30 s: the page does not hammer the server.
      await page.clock.runFor(25_000)
      expect(polls).toEqual([])
      await page.clock.runFor(40_000)
      await expect.poll(async () => Number((await total.textContent())!.replace(/\D/g, '')), { timeout: 5_000 }).toBe(before + 1)
      expect(polls).toEqual([`/c/${c.slug}/progress.json`])
    } finally {
      await page.close()
      held.close()
    }
  })

  it('the wall reads its page again every minute or so instead', async () => {
    const held = await readEventStream(base, `/c/${c.slug}/events`, { firstData: true })
    const page = await browser.newPage()
    try {
      await page.clock.install()
      const refused = page.waitForResponse((r) => r.url().includes(`/c/${c.slug}/wall/events`))
      await page.goto(`${base}/c/${c.slug}/wall?lang=en`)
      expect((await refused).status()).toBe(429)
      const reads: string[] = []
      page.on('request', (r) => { if (r.url().includes(`/c/${c.slug}/`)) reads.push(new URL(r.url()).pathname) })
      await page.clock.runFor(55_000)
      expect(reads).toEqual([])
      await page.clock.runFor(40_000)
      await expect.poll(() => reads, { timeout: 5_000 }).toEqual([`/c/${c.slug}/wall`])
    } finally {
      await page.close()
      held.close()
    }
  })
})
