import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { announcePosts } from '../../jobs/listening.ts'
import { campaigns } from '../../server/db/schema.ts'
import type { NewPost } from '../../server/repos/network-post-repo.ts'
import { campaignAdminFrom, formFromBody, formFromRecord } from '../../server/services/campaign-admin-service.ts'
import { createProgressRequester } from '../../server/services/progress-service.ts'
import { buildTestApp, eventually, listen, pageText, readEventStream, seedCampaign, signIn, type SeededCampaign } from '../helper.ts'

type TestApp = Awaited<ReturnType<typeof buildTestApp>>

let n = 0
const post = (campaignId: string, network: 'bluesky' | 'mastodon' = 'bluesky'): NewPost => {
  n++
  return { campaignId, network, uri: `at://did:plc:pp${n}/app.bsky.feed.post/${n}`, url: `https://bsky.app/profile/pp${n}/post/${n}`, authorHandle: `pp${n}.bsky.social`, authorName: `P ${n}`, text: `#Tag ${n}`, language: 'en', postedAt: new Date().toISOString(), matchedTags: ['tag'], matchedTargets: [] }
}

describe('"N public posts" beside the count', () => {
  let t: TestApp
  let base: string
  let off: SeededCampaign
  let on: SeededCampaign
  beforeAll(async () => {
    t = await buildTestApp()
    off = await seedCampaign(t.deps)
    on = await seedCampaign(t.deps)
    await t.deps.db.update(campaigns).set({ showPublicPosts: true }).where(eq(campaigns.id, on.id))
    await t.deps.networkPostRepo.applyBatch({ inserts: [post(off.id), post(on.id), post(on.id, 'mastodon')] })
    base = await listen(t)
  })
  afterAll(async () => { await t.close() })

  it('setting off: neither the page nor progress.json shows the posts', async () => {
    const page = await t.app.inject({ url: `/c/${off.slug}`, headers: { 'accept-language': 'en' } })
    expect(page.statusCode).toBe(200)
    expect(page.body).not.toContain('data-public-posts')
    expect(pageText(page.body)).not.toContain('public post')
    const json = (await t.app.inject({ url: `/c/${off.slug}/progress.json` })).json()
    expect(Object.keys(json).sort()).toEqual(['channels', 'goal', 'locales', 'slug', 'targets', 'total', 'updatedAt'])
  })

  it('setting on: the page (fr, en, widget) and progress.json show the stored count', async () => {
    const en = await t.app.inject({ url: `/c/${on.slug}?lang=en` })
    expect(pageText(en.body)).toContain('2 public posts on Bluesky and Mastodon')
    const fr = await t.app.inject({ url: `/c/${on.slug}?lang=fr` })
    expect(pageText(fr.body)).toContain('2 posts publics sur Bluesky et Mastodon')
    const widget = await t.app.inject({ url: `/c/${on.slug}/embed?lang=en` })
    expect(widget.statusCode).toBe(200)
    expect(pageText(widget.body)).toContain('2 public posts on Bluesky and Mastodon')
    const json = (await t.app.inject({ url: `/c/${on.slug}/progress.json` })).json()
    expect(json).toMatchObject({ slug: on.slug, total: 0, publicPosts: 2 })
  })

  it('the editor has the checkbox, off by default, and turning it on publishes the figure to the page', async () => {
    const editor = await signIn(t.deps, 'owner')
    const edit = await t.app.inject({ url: `/admin/campaigns/${off.id}/edit`, headers: { cookie: editor.cookie, 'accept-language': 'en' } })
    expect(edit.statusCode).toBe(200)
    expect(edit.body).toMatch(/<input type="checkbox" id="f-showPublicPosts" name="showPublicPosts" aria-describedby="h-showPublicPosts">/)
    expect(formFromBody({ showPublicPosts: 'on' }).showPublicPosts).toBe(true)
    expect(formFromBody({}).showPublicPosts).toBe(false)
    const other = await seedCampaign(t.deps)
    await t.deps.networkPostRepo.applyBatch({ inserts: [post(other.id)] })
    expect((await t.app.inject({ url: `/c/${other.slug}/progress.json` })).json().publicPosts).toBeUndefined()
    const service = campaignAdminFrom(t.deps)
    const record = (await service.load(other.id))!
    const result = await service.update(editor.user, other.id, { ...formFromRecord(record, Object.keys(record.texts)), showPublicPosts: true })
    expect(result).toEqual({ ok: true })
    await eventually(async () => (await t.app.inject({ url: `/c/${other.slug}/progress.json` })).json().publicPosts === 1, 5000, 'publicPosts 1')
    expect(pageText((await t.app.inject({ url: `/c/${other.slug}?lang=en` })).body)).toContain('1 public post on Bluesky and Mastodon')
  })

  it('an SSE client receives the new figure after listening stores a post, and the cached page follows', async () => {
    const s = await readEventStream<{ publicPosts?: number }>(base, `/c/${on.slug}/events`, { only: 'progress' })
    await eventually(async () => s.events.length >= 1, 5000, 'first event')
    expect(s.events[0]?.publicPosts).toBe(2)
    const request = createProgressRequester((id) => t.deps.progressService.publishPosts(id), 50, (err) => { throw err })
    const { inserted } = await t.deps.networkPostRepo.applyBatch({ inserts: [post(on.id), post(off.id)] })
    announcePosts(t.deps, inserted, [], [], request)
    await eventually(async () => s.events.at(-1)?.publicPosts === 3, 5000, 'publicPosts 3 on the stream')
    s.close()
    await eventually(async () => pageText((await t.app.inject({ url: `/c/${on.slug}?lang=en` })).body).includes('3 public posts'), 5000, 'page shows 3')
    // The campaign that does not show its posts publishes nothing for them.
    expect(await t.deps.progressService.publishPosts(off.id)).toBe(false)
  })
})
