import type { Browser, Page } from 'playwright-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { actBody, seedCampaign, signIn, type SeededCampaign } from '../helper.ts'
import { browserStack, seriousViolations, signedInContext } from './browser.ts'

/**
 * Every public page, crawled in Chromium: no Set-Cookie on any response, no request to another host, no console
 * error (a CSP refusal shows there), a footer link to /privacy, and no serious accessibility violation.
 */
describe('every public page, crawled', () => {
  const stack = browserStack()
  let browser: Browser
  let base: string
  let c: SeededCampaign
  let token: string
  let approvedOnWall: number

  beforeAll(async () => {
    ({ browser, base } = stack)
    const { t } = stack
    c = await seedCampaign(t.deps)
    // Something on the wall, and a message whose withdrawal page the crawl opens.
    const body = actBody(c, { channel: 'bottle', text: 'Un message pour le mur, relu par l’équipe.', signature_name: 'Awa', publish_consent: '1' })
    const res = await fetch(`${base}/c/${c.slug}/act`, { method: 'POST', headers: { accept: 'application/json', 'content-type': 'application/json', 'sec-fetch-site': 'same-origin' }, body: JSON.stringify(body) })
    token = String((await res.json()).withdrawUrl).split('/').pop()!
    approvedOnWall = Number((await t.deps.pool.query("UPDATE bottle_messages SET status = 'approved' WHERE campaign_id = $1 RETURNING id", [c.id])).rows[0].id)
  })

  const pages = () => [
    '/', '/?lang=en',
    `/c/${c.slug}?lang=fr`, `/c/${c.slug}?lang=en`,
    `/c/${c.slug}/thanks?lang=fr&via=x`, `/c/${c.slug}/thanks?lang=en&via=bottle&withdraw=${token}`,
    `/c/${c.slug}/wall?lang=fr`, `/c/${c.slug}/wall?lang=en`,
    '/privacy?lang=fr', '/privacy?lang=en', '/legal?lang=fr', '/legal?lang=en',
    `/c/${c.slug}/withdraw/${token}?lang=fr`, `/c/${c.slug}/withdraw/${token}?lang=en`,
    `/c/${c.slug}/withdrawn?lang=en`,
    '/c/nothing-here?lang=fr', `/c/${c.slug}/withdraw/AAAAAAAAAAAAAAAAAAAAAAAA?lang=en`, '/no/such/page'
  ]

  /** Opens a page and collects what the crawl checks. */
  async function visit (page: Page, path: string) {
    const cookies: string[] = []
    const outside: string[] = []
    const errors: string[] = []
    const own = new URL(base).host
    page.on('request', (r) => { if (!r.url().startsWith('data:') && new URL(r.url()).host !== own) outside.push(r.url()) })
    page.on('response', (r) => { if (r.headers()['set-cookie']) cookies.push(`${r.url()}: ${r.headers()['set-cookie']}`) })
    page.on('console', (m) => { if (m.type() === 'error' && !/status of 404/.test(m.text())) errors.push(m.text()) })
    page.on('pageerror', (e) => errors.push(String(e)))
    await page.goto(`${base}${path}`, { waitUntil: 'load' })
    return { cookies, outside, errors }
  }

  it('sets no cookie, asks no other host, and links /privacy from its footer', async () => {
    for (const path of pages()) {
      const page = await browser.newPage()
      const seen = await visit(page, path)
      expect(seen.cookies, path).toEqual([])
      expect(seen.outside, path).toEqual([])
      expect(seen.errors, path).toEqual([])
      expect(await page.locator('footer a[href^="/privacy"]').count(), path).toBe(1)
      expect(await page.locator('footer a[href^="/legal"]').count(), path).toBe(1)
      expect(await page.context().cookies(), path).toEqual([])
      await page.close()
    }
  }, 240_000)

  it('has no serious accessibility violation (axe) on the privacy, legal and withdrawal pages, on a phone too', async () => {
    // axe is injected as an inline script: this context alone lets it past the page's CSP.
    const context = await browser.newContext({ bypassCSP: true })
    const page = await context.newPage()
    for (const path of ['/privacy?lang=fr', '/legal?lang=en', `/c/${c.slug}/withdraw/${token}?lang=en`, `/c/${c.slug}/thanks?lang=en&via=bottle&withdraw=${token}`, `/c/${c.slug}/withdrawn?lang=fr`]) {
      for (const width of [1280, 375]) {
        await page.setViewportSize({ width, height: 800 })
        await page.goto(`${base}${path}`)
        expect(await seriousViolations(page), `${path} @${width}`).toEqual([])
      }
    }
    await context.close()
  }, 240_000)

  it('lets a supporter without JavaScript find the link after the send and withdraw the message', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false })
    const page = await context.newPage()
    await page.goto(`${base}/c/${c.slug}?lang=en`)
    await page.fill('textarea[name="text"]', 'A message I will take back.')
    await Promise.all([page.waitForURL(/\/thanks\?/), page.click('button[name="channel"][value="bottle"]')])
    const link = await page.inputValue('#withdraw-url')
    expect(link).toMatch(new RegExp(`^http://bouteille\\.test/c/${c.slug}/withdraw/[A-Za-z0-9_-]{24}$`))
    // The link names the public address; the test server listens elsewhere.
    await page.goto(`${base}${new URL(link).pathname}?lang=en`)
    expect(await page.locator('[data-testid="own-message"]').textContent()).toContain('A message I will take back.')
    await Promise.all([page.waitForURL(/\/withdrawn\?lang=en$/), page.click('button[type="submit"]')])
    expect(await page.locator('h1').textContent()).toBe('Your message has been withdrawn')
    const left = await stack.t.deps.pool.query('SELECT 1 FROM bottle_messages WHERE campaign_id = $1 AND text LIKE $2', [c.id, 'A message I will take back.%'])
    expect(left.rows).toEqual([])
    expect((await stack.t.deps.pool.query('SELECT 1 FROM bottle_messages WHERE id = $1', [approvedOnWall])).rows).toHaveLength(1)
    await context.close()
  }, 120_000)

  it('gives an owner accessible Data and Legal texts pages, and purges a closed campaign from the browser', async () => {
    const owner = await signIn(stack.t.deps, 'owner')
    const closed = await seedCampaign(stack.t.deps, { status: 'closed', closesAt: new Date() })
    await stack.t.deps.pool.query("INSERT INTO actions (campaign_id, target_id, channel, locale, text, key) VALUES ($1, $2, 'x', 'fr', 'mon texte', gen_random_uuid())", [closed.id, closed.targets[0]!.id])
    const context = await signedInContext(browser, base, owner, { bypassCSP: true })
    const page = await context.newPage()
    for (const path of [`/admin/campaigns/${closed.id}/privacy?lang=en`, '/admin/legal?lang=fr']) {
      await page.goto(`${base}${path}`)
      expect(await seriousViolations(page), path).toEqual([])
    }
    await page.goto(`${base}/admin/campaigns/${closed.id}/privacy?lang=en`)
    await page.fill('#purge-confirm', closed.slug)
    await Promise.all([page.waitForURL(/\/privacy$/), page.click('[data-testid="purge-form"] button[type="submit"]')])
    expect(await page.locator('.flash').textContent()).toContain('texts: 1')
    expect(await page.locator('[data-testid="purged"]').count()).toBe(1)
    await context.close()
  }, 120_000)
})
