import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Browser, Frame, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { embedSnippet } from '../../server/domain/reach-links.ts'
import { eventually, seedCampaign, type SeededCampaign } from '../helper.ts'
import { browserStack, seriousViolations, type BrowserStack } from './browser.ts'

// A partner's page on another origin (localhost on a second port, the app being on 127.0.0.1) that pastes the snippet.
describe('the widget on a partner’s site', () => {
  const stack = browserStack()
  let t: BrowserStack['t']
  let browser: Browser
  let c: SeededCampaign
  let partner: Server
  let partnerUrl: string

  beforeAll(async () => {
    ({ t, browser } = stack)
    c = await seedCampaign(t.deps)
    const snippet = embedSnippet(stack.base, c.slug, { ref: 'asso_42', lang: 'fr' })
    partner = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
      // A site that frames the campaign page itself (not the widget): refused.
      if (req.url === '/page') return res.end(`<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>P</title></head><body><iframe title="campagne" src="${stack.base}/c/${c.slug}"></iframe></body></html>`)
      res.end(`<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Partenaire</title></head><body><main><h1>Notre association</h1><p>Soutenez la campagne :</p>${snippet}<p>Pied de page</p></main></body></html>`)
    })
    partner.on('error', () => {})
    await new Promise<void>((resolve) => partner.listen(0, '127.0.0.1', resolve))
    partnerUrl = `http://localhost:${(partner.address() as AddressInfo).port}/`
  })
  afterAll(async () => { await new Promise((resolve) => partner.close(resolve)) })

  // axe is injected as an inline script: only the contexts that run it let it past the frame's CSP.
  async function openWidget (bypassCSP = false): Promise<{ page: Page, frame: Frame }> {
    const context = await browser.newContext({ bypassCSP })
    // The networks are not reached: their intents answer locally.
    await context.route(/^https:\/\/(x\.com|bsky\.app)\//, (route) => route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>network</title>' }))
    const page = await context.newPage()
    await page.goto(partnerUrl)
    const handle = await page.waitForSelector('iframe')
    const frame = (await handle.contentFrame())!
    await frame.waitForSelector('#act-form')
    return { page, frame }
  }
  const frameHeight = (page: Page) => page.$eval('iframe', (f) => f.getBoundingClientRect().height)
  const contentHeight = (frame: Frame) => frame.evaluate(() => Math.ceil(document.documentElement.getBoundingClientRect().height))
  const rows = async (channel: string) => (await t.deps.pool.query('SELECT ref, channel FROM actions WHERE campaign_id = $1 AND channel = $2', [c.id, channel])).rows

  it('replaces the link with a titled iframe of the widget, from the script’s own site, sized to its content, axe clean', async () => {
    const { page, frame } = await openWidget(true)
    expect(new URL(frame.url()).origin).toBe(stack.base)
    expect(frame.url()).toBe(`${stack.base}/c/${c.slug}/embed?lang=fr&ref=asso_42`)
    expect(await page.locator('a.bouteille-embed').count()).toBe(0)
    // The widget tells the page its title and height.
    await expect.poll(() => page.getAttribute('iframe', 'title')).toBe('Le climat n’attend pas')
    await expect.poll(async () => Math.abs(await frameHeight(page) - await contentHeight(frame))).toBeLessThanOrEqual(1)
    // The height follows the content: the full list of targets opened makes the frame taller.
    const before = await frameHeight(page)
    await frame.click('#targets-more > summary')
    await expect.poll(() => frameHeight(page)).toBeGreaterThan(before)
    await expect.poll(async () => Math.abs(await frameHeight(page) - await contentHeight(frame))).toBeLessThanOrEqual(1)
    expect(await seriousViolations(frame)).toEqual([])
    expect(await page.context().cookies()).toEqual([])
    await page.context().close()
  }, 90_000)

  it('drops a message in the bottle inside the frame: recorded with the partner’s code, and the frame says thanks', async () => {
    const { page, frame } = await openWidget(true)
    const before = (await rows('bottle')).length
    await Promise.all([frame.waitForURL(/\/embed\?.*sent=bottle/), frame.click('button[name="channel"][value="bottle"]')])
    await frame.waitForSelector('#embed-thanks-title')
    expect(await frame.locator('h1').textContent()).toBeTruthy()
    expect(await frame.textContent('main')).toContain('Votre message est dans la bouteille.')
    const all = await eventually(async () => { const r = await rows('bottle'); return r.length > before ? r : null })
    expect(all.at(-1)).toEqual({ ref: 'asso_42', channel: 'bottle' })
    // The frame shrank to its short thanks, and it is still accessible.
    await expect.poll(async () => Math.abs(await frameHeight(page) - await contentHeight(frame))).toBeLessThanOrEqual(1)
    expect(await seriousViolations(frame)).toEqual([])
    // "Send another message" brings the widget back in the frame.
    await Promise.all([frame.waitForURL(/\/embed\?lang=fr&ref=asso_42$/), frame.click('a[href*="/embed?"]')])
    await page.context().close()
  }, 90_000)

  it('a network send opens the network in a new tab; the frame shows its thanks', async () => {
    const { page, frame } = await openWidget()
    const [tab] = await Promise.all([
      page.context().waitForEvent('page'),
      frame.waitForURL(/\/embed\?.*sent=x$/),
      frame.click('button[name="channel"][value="x"]')
    ])
    await tab.waitForURL(/^https:\/\/x\.com\/intent\/tweet\?/)
    expect(new URL(tab.url()).searchParams.get('text')).toContain('#tweetbouteille')
    expect(await frame.textContent('main')).toContain('Votre message est prêt dans un nouvel onglet')
    expect(await rows('x')).toContainEqual({ ref: 'asso_42', channel: 'x' })
    await page.context().close()
  })

  it('the campaign page itself may not be framed by the partner', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    await page.goto(`${partnerUrl}page`)
    const frame = (await (await page.waitForSelector('iframe')).contentFrame())!
    await expect.poll(async () => frame.url()).toMatch(/^chrome-error:/)
    expect(await frame.locator('#act-form').count()).toBe(0)
    await context.close()
  })

  it('works without JavaScript in the frame: a network send opens a new tab, the bottle stays in the frame', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false })
    await context.route(/^https:\/\/x\.com\//, (route) => route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>network</title>' }))
    const page = await context.newPage()
    // Without JavaScript on the partner's page the snippet stays a link: the frame is the widget itself.
    await page.goto(`${stack.base}/c/${c.slug}/embed?lang=fr&ref=asso_nojs`)
    const [tab] = await Promise.all([context.waitForEvent('page'), page.click('button[name="channel"][value="x"]')])
    await tab.waitForURL(/^https:\/\/x\.com\/intent\/tweet\?/)
    expect(page.url()).toContain('/embed?')
    await Promise.all([page.waitForURL(/sent=bottle/), page.click('button[name="channel"][value="bottle"]')])
    const r = await t.deps.pool.query('SELECT channel FROM actions WHERE campaign_id = $1 AND ref = $2 ORDER BY id', [c.id, 'asso_nojs'])
    expect(r.rows).toEqual([{ channel: 'x' }, { channel: 'bottle' }])
    await context.close()
  })
})
