import type { Browser } from 'playwright-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { seedCampaign, signIn } from '../helper.ts'
import { browserStack, type BrowserStack, seriousViolations, signedInContext } from './browser.ts'

describe('choosing the campaigns a member sees, in the browser', () => {
  const stack = browserStack()
  let t: BrowserStack['t']
  let browser: Browser
  let base: string
  beforeAll(() => { ({ t, browser, base } = stack) })

  it('limits a member to one campaign from the team page (accessible, on a phone too), and the member sees only it', async () => {
    const mine = await seedCampaign(t.deps, { slug: 'coalition-ours' })
    const other = await seedCampaign(t.deps, { slug: 'coalition-theirs' })
    const owner = await signIn(t.deps, 'owner')
    const partner = await signIn(t.deps, 'editor')
    // bypassCSP: axe is injected as a script tag.
    const context = await signedInContext(browser, base, owner, { bypassCSP: true, locale: 'en-GB', viewport: { width: 375, height: 800 } })
    const page = await context.newPage()
    await page.goto(`${base}/admin/team?lang=en`)
    expect(await seriousViolations(page)).toEqual([])

    const row = page.locator('tr', { hasText: partner.user.email })
    await row.locator('details.grants summary').click()
    await row.getByLabel('Only the campaigns ticked below').check()
    await row.getByLabel('coalition-ours').check()
    expect(await seriousViolations(page)).toEqual([])
    await Promise.all([page.waitForURL(/\/admin\/team$/), row.getByRole('button', { name: /Save/ }).click()])
    expect(await page.locator('[role="status"], .flash').first().textContent()).toContain('were changed')
    expect(await page.locator('tr', { hasText: partner.user.email }).locator('details.grants summary').textContent()).toContain('coalition-ours')

    const asPartner = await signedInContext(browser, base, partner, { locale: 'en-GB' })
    const p2 = await asPartner.newPage()
    await p2.goto(`${base}/admin?lang=en`)
    expect(await p2.locator(`a[href="/admin/campaigns/${mine.id}"]`).count()).toBeGreaterThan(0)
    expect(await p2.locator(`a[href^="/admin/campaigns/${other.id}"]`).count()).toBe(0)
    const refused = await p2.goto(`${base}/admin/campaigns/${other.id}?lang=en`)
    expect(refused?.status()).toBe(404)
    await asPartner.close()
    await context.close()
  })
})
