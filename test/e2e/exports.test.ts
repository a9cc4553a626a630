import { randomUUID } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { Worker } from 'bullmq'
import { parse } from 'csv-parse/sync'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SESSION_COOKIE } from '../../server/plugins/admin.ts'
import { buildTestApp, eventually, listen, seedCampaign, signIn, type SeededCampaign } from '../helper.ts'
import { launchBrowser, seriousViolations } from './browser.ts'

// An owner in Chromium: filters the exports, downloads them with the form's buttons, and retries a failed job.
describe('exports and queues in the browser', () => {
  let t: Awaited<ReturnType<typeof buildTestApp>>
  let c: SeededCampaign
  let browser: Browser
  let context: BrowserContext
  let page: Page
  let base: string

  beforeAll(async () => {
    t = await buildTestApp()
    c = await seedCampaign(t.deps)
    const at = ['2026-03-01T09:00:00Z', '2026-03-02T09:00:00Z', '2026-03-02T10:00:00Z', '2026-03-03T09:00:00Z']
    for (const [i, when] of at.entries()) {
      await t.deps.pool.query(
        'INSERT INTO actions (campaign_id, target_id, message_id, channel, locale, text, key, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
        [c.id, c.targets[i % 2]!.id, c.messages[0]!.id, i === 3 ? 'bottle' : 'x', 'fr', i === 1 ? '=1+1 dans la bouteille' : `message ${i}`, randomUUID(), when])
    }
    base = await listen(t)
    browser = await launchBrowser()
    const owner = await signIn(t.deps, 'owner')
    // axe is injected as an inline script: only this context lets it past the admin's CSP.
    context = await browser.newContext({ bypassCSP: true, locale: 'en-GB', acceptDownloads: true, viewport: { width: 390, height: 844 } })
    await context.addCookies([{ name: SESSION_COOKIE, value: owner.cookie.slice(SESSION_COOKIE.length + 1), url: `${base}/admin` }])
    page = await context.newPage()
  })
  afterAll(async () => {
    await browser?.close()
    await t?.close()
  })

  const axe = async (label: string) => { expect(await seriousViolations(page), label).toEqual([]) }
  const download = async (button: string) => {
    const [file] = await Promise.all([page.waitForEvent('download'), page.click(button)])
    return { name: file.suggestedFilename(), text: await readFile((await file.path())!, 'utf8') }
  }

  it('filters, counts, shows what to fix, and downloads what the filter keeps', async () => {
    await page.goto(`${base}/admin/campaigns/${c.id}/edit`)
    await Promise.all([page.waitForURL(/\/exports$/), page.click(`a[href="/admin/campaigns/${c.id}/exports"]`)])
    await axe('exports page')
    expect(await page.locator('[data-testid="total"]').textContent()).toContain('4 actions recorded')

    // A start after the end: the download button brings the form back with the error, focused.
    await page.fill('#f-from', '2026-03-03')
    await page.fill('#f-to', '2026-03-02')
    await Promise.all([page.waitForURL(/actions\.csv\?/), page.click('[data-export="actions"] button')])
    expect(await page.locator('#form-errors').textContent()).toContain('The start date (2026-03-03) is after the end date (2026-03-02): swap them.')
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('form-errors')
    expect(await page.getAttribute('#f-to', 'aria-invalid')).toBe('true')
    await axe('exports page with an error')

    await page.fill('#f-from', '2026-03-02')
    await page.selectOption('#f-channel', 'x')
    await Promise.all([page.waitForURL(/exports\?/), page.click('#export-filter .form-actions button[type="submit"]')])
    expect(await page.locator('[data-testid="matching"]').textContent()).toContain('2 actions match this filter')

    const actions = await download('[data-export="actions"] button')
    expect(actions.name).toBe(`${c.slug}-actions-from-2026-03-02-to-2026-03-02-x-${new Date().toISOString().slice(0, 10)}.csv`)
    const rows = parse(actions.text, { bom: true, columns: true }) as Array<Record<string, string>>
    expect(rows.map((r) => [r.created_at, r.channel, r.text])).toEqual([
      ['2026-03-02T09:00:00.000Z', 'x', '\'=1+1 dans la bouteille'],
      ['2026-03-02T10:00:00.000Z', 'x', 'message 2']
    ])
    const counts = await download('[data-export="counts"] button')
    expect(parse(counts.text, { bom: true }).at(-1)).toEqual(['', 'Total', '2', '0', '0', '0', '0', '0', '2'])
    const osdi = JSON.parse((await download('[data-export="osdi"] button')).text)
    expect(osdi.total_outreaches).toBe(2)
    expect(osdi._embedded['osdi:outreaches']).toHaveLength(2)
  })

  it('shows the queues, and Retry sends a failed job back to wait', async () => {
    const job = await t.deps.queues.counts.add('tally', { campaignId: c.id }, { attempts: 1 })
    const worker = new Worker('counts', async () => { throw new Error('simulated failure') }, {
      connection: { url: t.deps.config.redisUrl, maxRetriesPerRequest: null } as never,
      prefix: t.deps.config.redisPrefix
    })
    await eventually(async () => (await job.getState()) === 'failed', 15_000, 'the job to fail')
    await worker.close()

    await page.goto(`${base}/admin`)
    await Promise.all([page.waitForURL(/\/admin\/queues$/), page.click('.topbar-nav a[href="/admin/queues"]')])
    await axe('queues page')
    const row = page.locator(`tr[data-job-id="${job.id}"]`)
    expect(await row.textContent()).toContain('simulated failure')
    await Promise.all([page.waitForURL(/\/admin\/queues/), row.locator('button').click()])
    expect(await page.locator('.flash').textContent()).toContain(`Job ${job.id} of counts is waiting again.`)
    expect(await job.getState()).toBe('waiting')
    await axe('queues page after a retry')
  })
})
