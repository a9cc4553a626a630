import { randomUUID } from 'node:crypto'
import type { Browser, Page } from 'playwright-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { measureLength } from '../../server/domain/networks/index.ts'
import { seedCampaign, type SeededCampaign } from '../helper.ts'
import { browserStack, type BrowserStack } from './browser.ts'

// The page's live counter runs the server's own rules (server/domain/networks, bundled as /assets/js/networks.js):
// for every vector, the number it shows is the server's, and a send button is disabled exactly when the server refuses.
describe('the page counter and the server agree, network by network', () => {
  const stack = browserStack()
  let t: BrowserStack['t']
  let browser: Browser
  let c: SeededCampaign
  let base: string
  let page: Page
  beforeAll(async () => {
    ({ t, browser, base } = stack)
    c = await seedCampaign(t.deps)
    page = await browser.newPage()
    await page.goto(`${base}/c/${c.slug}?lang=en`)
    await page.waitForSelector('#counter:not([hidden])')
    await page.click(`label[for="t-${c.targets[0]!.id}"]`)
  })

  const LONG_LINK = 'https://bouteille.org/c/' + 'p'.repeat(56)
  const VECTORS: Array<[string, string]> = [
    ['x', 'Voir bouteille.berlin maintenant'],
    ['x', 'Voir bouteille.berlin ' + 'a'.repeat(211)], // fits by code points, 7 over for twitter-text
    ['x', 'a'.repeat(233)],
    ['x', 'Agissez 🇫🇷👩🏽‍🌾 maintenant ' + '気'.repeat(110)],
    ['bluesky', 'a'.repeat(230) + ' ' + LONG_LINK],
    ['bluesky', 'éa'.repeat(116) + ' ' + LONG_LINK],
    ['bluesky', 'Agissez 🇫🇷👩🏽‍🌾 maintenant'],
    ['mastodon', 'a'.repeat(420) + ' ' + LONG_LINK],
    ['mastodon', 'a'.repeat(436) + ' https://bout.fr/ab'],
    ['mastodon', '@alice@climat.social ' + 'a'.repeat(455)],
    ['threads', 'a'.repeat(455)],
    ['threads', '🌍'.repeat(100) + 'a'.repeat(100)],
    ['threads', '🌍'.repeat(10) + 'a'.repeat(380)]
  ]

  // What the server says of a text: its count on that network, and whether it refuses it (400).
  async function server (channel: string, text: string): Promise<{ count: number, refused: boolean }> {
    const res = await fetch(`${base}/c/${c.slug}/act`, {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/json' },
      body: JSON.stringify({ target: c.targets[0]!.id, message: c.messages.find((m) => m.locale === 'en')!.id, key: randomUUID(), channel, text, instance: 'mastodon.social' })
    })
    const json = await res.json() as { id?: string, error?: string }
    if (res.status === 400) {
      const m = /\((\d+)\/(\d+)\)/.exec(json.error ?? '')
      expect(m, json.error).not.toBeNull()
      return { count: Number(m![1]), refused: true }
    }
    expect(res.status).toBe(201)
    const stored = (await t.deps.pool.query('SELECT text FROM actions WHERE id = $1', [json.id])).rows[0].text as string
    return { count: measureLength(channel as 'x', stored), refused: false }
  }

  it('shows the server’s count for every vector, and disables the send button exactly when the server refuses', async () => {
    let refusals = 0
    for (const [channel, text] of VECTORS) {
      const expected = await server(channel, text)
      if (expected.refused) refusals++
      await page.click(`[data-preview-channel="${channel}"]`)
      await page.fill('#text', text)
      await expect.poll(async () => Number((await page.textContent('#counter-num'))!.split('/')[0]!.replace(/\D/g, '')), { message: `${channel} ${text.slice(0, 30)}` })
        .toBe(expected.count)
      expect(await page.locator(`button[name="channel"][value="${channel}"]`).isDisabled(), `${channel} ${text.slice(0, 30)}`).toBe(expected.refused)
    }
    // The vectors cover both sides of each limit.
    expect(refusals).toBeGreaterThanOrEqual(4)
    expect(refusals).toBeLessThan(VECTORS.length)
  })
})
