import { eq } from 'drizzle-orm'
import type { Browser, BrowserContext } from 'playwright-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { startWorker } from '../../jobs/main.ts'
import { campaigns } from '../../server/db/schema.ts'
import { previewToken } from '../../server/domain/campaign-rules.ts'
import { seedCampaign, signIn } from '../helper.ts'
import { type BrowserStack, browserStack, seriousViolations, signedInContext } from './browser.ts'

describe('campaigns in the browser: the editor and what the public sees per status', () => {
  const stack = browserStack()
  let t: BrowserStack['t']
  let browser: Browser
  let base: string
  beforeAll(() => { ({ t, browser, base } = stack) })

  async function editorContext (opts: { bypassCSP?: boolean } = {}): Promise<BrowserContext> {
    return await signedInContext(browser, base, await signIn(t.deps, 'editor'), { ...opts, locale: 'en-GB' })
  }

  it('creates a campaign through the form, and shows the errors first when the input is wrong', async () => {
    const context = await editorContext()
    const page = await context.newPage()
    await page.goto(`${base}/admin`)
    await page.click('text=Create a campaign')
    await page.fill('#f-slug', 'Bad Slug')
    // A new campaign's default language is the editor's own.
    expect(await page.inputValue('#f-defaultLocale')).toBe('en')
    await page.fill('#f-title_en', 'Save the oceans')
    await page.click('button[type="submit"]:has-text("Create the campaign")')
    // The summary of errors gets the focus, and links to the field.
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('form-errors')
    expect(await page.locator('#e-slug').textContent()).toContain('Use lowercase letters')
    expect(await page.inputValue('#f-title_en')).toBe('Save the oceans')
    await page.fill('#f-slug', 'save-the-oceans')
    await page.click('button[type="submit"]:has-text("Create the campaign")')
    await page.waitForURL(/\/admin\/campaigns\/[0-9a-f-]{36}\/edit\?done=created$/)
    expect(await page.locator('.flash--success').textContent()).toContain('Campaign created as a draft.')
    // The preview link opens the draft with its banner.
    const preview = await page.inputValue('#preview-link')
    await page.goto(preview.replace('http://bouteille.test', base))
    expect(await page.locator('.preview-banner').textContent()).toContain('not public yet')
    await context.close()
  })

  it('counts down on a scheduled page, then shows the open form once the worker has opened it', async () => {
    const c = await seedCampaign(t.deps, { status: 'draft', opensAt: new Date(Date.now() + 60_000) })
    const admin = await editorContext()
    const editor = await admin.newPage()
    // Scheduled from the editor, then moved two seconds ahead by the clock of the test.
    await editor.goto(`${base}/admin/campaigns/${c.id}/edit`)
    await editor.click('button:has-text("Schedule the opening")')
    await editor.waitForURL(/done=status$/)
    expect(await editor.locator('[data-testid="status"]').textContent()).toBe('Scheduled')
    await admin.close()
    const soon = new Date(Date.now() + 2500)
    await t.deps.db.update(campaigns).set({ opensAt: soon }).where(eq(campaigns.id, c.id))
    await t.deps.announceCampaign(c.slug)
    await stack.worker.close()
    stack.worker = await startWorker(t.deps)

    const page = await browser.newPage({ locale: 'en-GB' })
    await page.goto(`${base}/c/${c.slug}?lang=en`)
    const countdown = page.locator('[data-countdown]')
    await expect.poll(() => countdown.textContent()).toMatch(/^Opens in \d+ sec/)
    expect(await page.locator('button[name="channel"]').count()).toBe(0)
    await page.waitForSelector('button[name="channel"][value="x"]', { timeout: 15_000 })
    expect(await page.locator('.live-badge').count()).toBe(1)
    await page.close()
  })

  it('has no serious or critical accessibility violation (axe) on the admin and status pages', async () => {
    const context = await editorContext({ bypassCSP: true })
    const page = await context.newPage()
    const draft = await seedCampaign(t.deps, { status: 'draft' })
    const scheduled = await seedCampaign(t.deps, { status: 'scheduled', opensAt: new Date(Date.now() + 86_400_000) })
    const closed = await seedCampaign(t.deps, { status: 'closed' })
    for (const path of [
      '/admin', '/admin/account', '/admin/campaigns/new', `/admin/campaigns/${draft.id}/edit`, `/admin/campaigns/${closed.id}/edit`,
      `/c/${draft.slug}?lang=en&preview=${previewToken(t.deps.config.secret, draft.id)}`, `/c/${scheduled.slug}?lang=fr`, `/c/${closed.slug}?lang=en`
    ]) {
      await page.goto(`${base}${path}`)
      expect(await seriousViolations(page), path).toEqual([])
    }
    // A form shown again with its errors.
    await page.goto(`${base}/admin/campaigns/new`)
    await page.fill('#f-goal', '0')
    await page.click('button[type="submit"]:has-text("Create the campaign")')
    expect(await page.locator('.form-errors li').count()).toBeGreaterThan(0)
    expect(await seriousViolations(page), 'form with errors').toEqual([])
    await context.close()
  })
})
