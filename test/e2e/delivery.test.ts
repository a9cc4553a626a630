import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { insertBottleMessage } from '../delivery-fixtures.ts'
import { seedCampaign, signIn } from '../helper.ts'
import { startSmtpSink, type SmtpSink } from '../smtp-sink.ts'
import { browserStack, type BrowserStack, seriousViolations, signedInContext } from './browser.ts'

// A campaigner delivers the bottle in the browser: the page is accessible before and after, on a phone too.
describe('delivering the bottle in the browser', () => {
  let sink: SmtpSink
  beforeAll(async () => { sink = await startSmtpSink() })
  afterAll(async () => { await sink?.close() })
  const stack = browserStack({ env: () => ({ SMTP_URL: sink.url }), worker: { lifecycleSweepMs: 1000 } })
  let t: BrowserStack['t']
  let browser: Browser
  let base: string
  beforeAll(() => { ({ t, browser, base } = stack) })

  it('delivers to every target with one confirmed click, shows the outcome per target, and the public page tells it', async () => {
    const c = await seedCampaign(t.deps)
    await insertBottleMessage(t.deps, c.id, c.targets[0]!.id, 'Tenez vos promesses', { featured: true })
    const editor = await signIn(t.deps, 'editor')
    const context = await signedInContext(browser, base, editor, { bypassCSP: true, locale: 'en-GB', viewport: { width: 390, height: 844 } })
    const page = await context.newPage()
    page.on('dialog', (d) => { d.accept().catch(() => {}) })

    await page.goto(`${base}/admin/campaigns/${c.id}/delivery?lang=en`)
    expect(await page.locator('h1').textContent()).toBe('Delivering the bottle')
    expect(await seriousViolations(page), 'before').toEqual([])

    await Promise.all([page.waitForURL(/\/delivery$/), page.getByRole('button', { name: 'Deliver to every decision-maker now' }).click()])
    expect(await page.getByRole('status').textContent()).toContain('3 dossiers queued for delivery.')
    await sink.waitFor(2)
    // The page is re-read until every row has its outcome.
    for (let i = 0; i < 50; i++) {
      await page.reload()
      if (await page.locator('tr[data-status="queued"], tr[data-status="sending"]').count() === 0) break
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
    expect(await page.locator('tr[data-status="sent"]').count()).toBe(2)
    expect(await page.locator('tr[data-status="failed"] [data-testid="reason"]').textContent()).toContain('no public e-mail address')
    expect(await seriousViolations(page), 'after').toEqual([])

    // The dossier's web page, as sent: readable and accessible on its own.
    await page.goto(`${base}/admin/campaigns/${c.id}/dossiers/${c.targets[0]!.id}.html`)
    expect(await page.locator('h1').textContent()).toBe('Le climat n’attend pas')
    expect(await page.locator('.message--featured').textContent()).toContain('Tenez vos promesses')
    expect(await seriousViolations(page), 'dossier page').toEqual([])

    await page.goto(`${base}/c/${c.slug}?lang=en`)
    expect(await page.getByTestId('delivered').textContent()).toMatch(/The bottle was delivered on .+ to 2 decision-makers\./)
    expect(await seriousViolations(page), 'public page').toEqual([])
    await context.close()
  })
})
