import type { Browser, Page } from 'playwright-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { messages } from '../../server/db/schema.ts'
import { actBody, seedCampaign, type SeededCampaign } from '../helper.ts'
import { browserStack, choose, type BrowserStack } from './browser.ts'

// The page's script reads targets (handles, e-mail, counts) and message templates from the cards themselves.
describe('the campaign page script, working from the page it is given', () => {
  const stack = browserStack()
  let t: BrowserStack['t']
  let browser: Browser
  let c: SeededCampaign
  let base: string
  beforeAll(async () => {
    ({ t, browser, base } = stack)
    c = await seedCampaign(t.deps)
  })

  const open = async (query: string): Promise<Page> => {
    const page = await browser.newPage()
    await page.goto(`${base}/c/${c.slug}?${query}`)
    await page.waitForSelector('#counter:not([hidden])')
    return page
  }
  const pick = (page: Page, i: number) => choose(page, `t-${c.targets[i]!.id}`)
  const disabled = (page: Page, channel: string) => page.locator(`button[name="channel"][value="${channel}"]`).isDisabled()

  it('names each target by its handle on the network previewed, and closes the networks it cannot be reached on', async () => {
    const page = await open('lang=en')
    const message = c.messages.find((m) => m.locale === 'en' && m.body.startsWith('{target}, millions'))!
    await pick(page, 0)
    await choose(page, `m-${message.id}`)
    await page.click('[data-preview-channel="bluesky"]')
    await expect.poll(() => page.inputValue('#text')).toBe(`@alice.bsky.social, millions are counting on you. #tweetbottle http://bouteille.test/c/${c.slug}`)
    await page.click('[data-preview-channel="mastodon"]')
    await expect.poll(() => page.inputValue('#text')).toContain('@alice@climat.social, millions')
    // Carla has an X handle only, and no public e-mail address.
    await pick(page, 2)
    await expect.poll(() => page.inputValue('#text')).toBe(`.@carlasouza, millions are counting on you. #tweetbottle http://bouteille.test/c/${c.slug}`)
    for (const ch of ['bluesky', 'mastodon', 'threads', 'email']) expect(await disabled(page, ch), ch).toBe(true)
    expect(await page.textContent('#note-bluesky')).toContain('Carla Souza')
    for (const ch of ['x', 'bottle']) expect(await disabled(page, ch), ch).toBe(false)
    // The preview text of every wording follows the chosen target.
    expect(await page.textContent(`[data-message-id="${message.id}"] [data-preview]`)).toContain('Carla Souza, millions')
    await page.close()
  })

  it('moves the one “least contacted” badge as the counts change', async () => {
    const page = await open('lang=en')
    const badgeHolder = () => page.evaluate(() => Array.from(document.querySelectorAll('[data-suggested]'), (b) => b.closest('.target')!.getAttribute('data-target-id')))
    expect(await badgeHolder()).toEqual([c.targets[0]!.id])
    for (const i of [0, 1]) {
      const res = await fetch(`${base}/c/${c.slug}/act`, { method: 'POST', headers: { accept: 'application/json', 'content-type': 'application/json' }, body: JSON.stringify(actBody(c, { target: c.targets[i]!.id })) })
      expect(res.status).toBe(201)
    }
    // Alice and Bongani have one message each now: Carla has none.
    await expect.poll(badgeHolder, { timeout: 10_000 }).toEqual([c.targets[2]!.id])
    expect(await page.textContent(`[data-target-id="${c.targets[0]!.id}"] [data-target-count]`)).toBe('1')
    await page.close()
  })

  it('previews the bottle as the bottle keeps it (no link, names for handles), with the server’s own rule', async () => {
    const letters = await seedCampaign(t.deps, { channels: ['email', 'bottle'] })
    const [letter] = await t.deps.db.insert(messages).values({ campaignId: letters.id, locale: 'en', body: 'Dear {target}, fund loss and damage: {link} {hashtags}', position: 5, channels: ['bottle'] }).returning()
    const page = await browser.newPage()
    await page.goto(`${base}/c/${letters.slug}?lang=en&target=${letters.targets[0]!.id}`)
    await page.waitForSelector('#counter:not([hidden])')
    await choose(page, `m-${letter!.id}`)
    const link = `http://bouteille.test/c/${letters.slug}`
    await expect.poll(() => page.inputValue('#text')).toBe('Dear Alice Martin, fund loss and damage: #tweetbottle')
    // The wording's card agrees with the box, as the server rendered it and as the script re-renders it for another target.
    expect(await page.textContent(`[data-message-id="${letter!.id}"] [data-preview]`)).toBe('Dear Alice Martin, fund loss and damage: #tweetbottle')
    await choose(page, `t-${letters.targets[1]!.id}`)
    await expect.poll(() => page.textContent(`[data-message-id="${letter!.id}"] [data-preview]`)).toBe('Dear Bongani Dube, fund loss and damage: #tweetbottle')
    // The wording is for the bottle only: e-mail is closed for it.
    expect(await disabled(page, 'email')).toBe(true)
    expect(await disabled(page, 'bottle')).toBe(false)
    expect(await page.inputValue('#text')).not.toContain(link)
    await page.close()
  })

  it('asks the server again when a page filtered without JavaScript has to show other countries, and filters in place otherwise', async () => {
    const page = await open('lang=en&country=ZA')
    expect(await page.locator('.target').count()).toBe(1)
    await Promise.all([page.waitForURL((u) => !u.searchParams.has('country') || u.searchParams.get('country') === ''), page.selectOption('#country', '')])
    await page.waitForSelector('#counter:not([hidden])')
    expect(await page.locator('.target').count()).toBe(3)
    // Every card is on this page: choosing a country now hides the others without a new request.
    let requests = 0
    page.on('request', (r) => { if (r.resourceType() === 'document') requests++ })
    await page.selectOption('#country', 'BR')
    await expect.poll(() => page.locator('.target:visible').count()).toBe(1)
    expect(await page.isChecked(`#t-${c.targets[2]!.id}`)).toBe(true)
    expect(requests).toBe(0)
    await page.close()
  })
})
