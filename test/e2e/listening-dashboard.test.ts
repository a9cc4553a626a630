import type { Browser } from 'playwright-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { announcePosts } from '../../jobs/listening.ts'
import type { NewPost } from '../../server/repos/network-post-repo.ts'
import { actBody, eventually, seedCampaign, signIn, type SeededCampaign } from '../helper.ts'
import { type BrowserStack, browserStack, seriousViolations, signedInContext } from './browser.ts'

describe('"On the networks" on the dashboard, in the browser', () => {
  const stack = browserStack()
  let t: BrowserStack['t']
  let browser: Browser
  let base: string
  beforeAll(() => { ({ t, browser, base } = stack) })

  const post = (c: SeededCampaign, n: number, extra: Partial<NewPost> = {}): NewPost => ({
    campaignId: c.id,
    network: 'bluesky',
    uri: `at://did:plc:author${n}/app.bsky.feed.post/3k${n}`,
    url: `https://bsky.app/profile/did:plc:author${n}/post/3k${n}`,
    authorHandle: `author${n}.bsky.social`,
    authorName: `Author ${n}`,
    text: `Post ${n} #TweetBottle`,
    language: 'en',
    postedAt: new Date(Date.now() - (10 - n) * 60_000).toISOString(),
    matchedTags: ['tweetbottle'],
    matchedTargets: [c.targets[0]!.id],
    ...extra
  })
  /** What the worker does with a stored batch: the rows, then the dashboards told. */
  const store = async (posts: NewPost[]) => {
    const { inserted } = await t.deps.networkPostRepo.applyBatch({ inserts: posts })
    announcePosts(t.deps, inserted, [])
  }

  it('shows a new public post live, lets an editor keep it for the dossier, and stays readable on a phone in both languages', async () => {
    const c = await seedCampaign(t.deps)
    // A long unbroken word and link: a phone must not scroll sideways.
    await store([post(c, 1, { text: `Wow ${'a'.repeat(180)} #TweetBottle https://example.org/${'b'.repeat(120)}` }), post(c, 2, { network: 'mastodon', uri: 'https://climat.social/users/zoe/statuses/2', url: 'https://climat.social/@zoe/2', authorHandle: 'zoe@climat.social', authorName: 'Zoé' })])
    // One intent opened on Bluesky, counted before the page opens.
    const sent = await fetch(`${base}/c/${c.slug}/act`, { method: 'POST', headers: { accept: 'application/json', 'content-type': 'application/json' }, body: JSON.stringify(actBody(c, { channel: 'bluesky' })) })
    expect(sent.status).toBe(201)
    await eventually(async () => (await t.deps.pool.query('SELECT 1 FROM actions WHERE campaign_id = $1 AND tallied', [c.id])).rowCount, 10_000, 'the intent tallied')
    const editor = await signIn(t.deps, 'editor')

    const context = await signedInContext(browser, base, editor, { locale: 'en-GB', viewport: { width: 390, height: 844 } })
    const page = await context.newPage()
    const problems: string[] = []
    page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()) })
    page.on('pageerror', (e) => problems.push(e.message))
    await page.goto(`${base}/admin/campaigns/${c.id}?lang=en`)
    await page.waitForSelector('[data-field="live"][data-state="on"]')
    const feed = () => page.$$eval('[data-field="netFeed"] li', (lis) => lis.map((li) => li.querySelector('.dash-post-text')!.textContent!.trim().slice(0, 12)))
    expect(await feed()).toEqual(['Post 2 #Twee', 'Wow aaaaaaaa'])
    const row = (network: string) => page.$$eval(`[data-field="netTable"] tr[data-network="${network}"] td`, (tds) => tds.map((td) => td.textContent!.trim()))
    expect(await row('bluesky')).toEqual(['1', '1', '100%'])

    // The worker stores a new post: it comes to the top of the feed, and its count moves, without a reload.
    await store([post(c, 3, { text: 'Just posted to @alice #TweetBottle' })])
    await expect.poll(feed, { timeout: 5_000 }).toEqual(['Just posted ', 'Post 2 #Twee', 'Wow aaaaaaaa'])
    await expect.poll(() => row('bluesky'), { timeout: 5_000 }).toEqual(['2', '1', '200%'])
    const link = page.locator('[data-field="netFeed"] li').first().locator('a')
    expect(await link.getAttribute('href')).toBe('https://bsky.app/profile/did:plc:author3/post/3k3')
    expect(await link.getAttribute('rel')).toContain('noopener')

    // Kept for the dossier: the button says so, and the row is selected in PostgreSQL.
    await page.locator('[data-field="netFeed"] li').first().getByRole('button', { name: "Add to the bottle's selection" }).click()
    await expect.poll(async () => (await t.deps.pool.query('SELECT selected_at FROM network_posts WHERE uri = $1', [post(c, 3).uri])).rows[0]?.selected_at, { timeout: 5_000 }).not.toBeNull()
    await page.waitForURL(/\/admin\/campaigns\/.+/)
    await expect.poll(() => page.locator('[data-field="netFeed"] li').first().getByRole('button').textContent(), { timeout: 5_000 }).toBe('Take out of the selection')

    // The conversion column is on screen on a phone, not behind a sideways scroll of its table.
    expect(await page.$eval('[data-field="netTable"]', (t) => t.parentElement!.scrollWidth - t.parentElement!.clientWidth)).toBeLessThanOrEqual(0)
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
    expect(overflow, 'no sideways scrolling with a long post').toBeLessThanOrEqual(0)
    expect(problems).toEqual([])
    await context.close()

    // axe, with posts in the feed, in French and English (axe is injected inline: only this context lets it past the CSP).
    const audit = await signedInContext(browser, base, editor, { bypassCSP: true, viewport: { width: 390, height: 844 } })
    const ap = await audit.newPage()
    for (const lang of ['fr', 'en']) {
      await ap.goto(`${base}/admin/campaigns/${c.id}?lang=${lang}#networks`)
      await ap.waitForSelector('[data-field="netFeed"] li')
      expect(await seriousViolations(ap), lang).toEqual([])
      // Every post, on its own page, filtered and paged: readable on a phone too.
      await ap.goto(`${base}/admin/campaigns/${c.id}/network-posts?lang=${lang}`)
      expect(await ap.locator('.dash-post').count(), lang).toBe(3)
      expect(await seriousViolations(ap), `${lang}, the list`).toEqual([])
      expect(await ap.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth), `${lang}, the list`).toBeLessThanOrEqual(0)
    }
    await audit.close()
  })
})
