import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { NewPost } from '../../server/repos/network-post-repo.ts'
import { buildTestApp, pageText, seedCampaign, signIn, type SeededCampaign, type SignedIn } from '../helper.ts'

type TestApp = Awaited<ReturnType<typeof buildTestApp>>

// Every public post of a campaign (issue 15 §4): the dashboard shows the 20 latest; the team finds the others here.
describe('admin: the list of public posts', () => {
  let t: TestApp
  let c: SeededCampaign
  let other: SeededCampaign
  let viewer: SignedIn
  let editor: SignedIn
  const start = Date.parse('2026-12-01T08:00:00Z')

  beforeAll(async () => {
    t = await buildTestApp()
    c = await seedCampaign(t.deps)
    other = await seedCampaign(t.deps)
    viewer = await signIn(t.deps, 'viewer')
    editor = await signIn(t.deps, 'editor')
    // 60 posts a minute apart: even ones on Bluesky, every third to the first target; the 10th and 11th share a time, where the first page ends.
    const posts: NewPost[] = Array.from({ length: 60 }, (_, i) => ({
      campaignId: c.id,
      network: i % 2 === 0 ? 'bluesky' : 'mastodon',
      uri: `at://did:plc:a${i}/app.bsky.feed.post/${i}`,
      url: `https://bsky.app/profile/a${i}/post/${i}`,
      authorHandle: `a${i}.example`,
      authorName: i === 59 ? 'Zoé <b>' : '',
      text: i === 59 ? 'Newest <script>alert(1)</script> #tweetbouteille' : `Post ${i} #tweetbouteille`,
      language: 'fr',
      postedAt: new Date(start + (i === 10 ? 9 : i) * 60_000).toISOString(),
      matchedTags: ['tweetbouteille'],
      matchedTargets: i % 3 === 0 ? [c.targets[0]!.id] : []
    }))
    await t.deps.networkPostRepo.applyBatch({ inserts: posts })
    await t.deps.networkPostRepo.applyBatch({ inserts: [{ ...posts[0]!, campaignId: other.id, uri: 'at://did:plc:other/app.bsky.feed.post/1', text: 'Another campaign' }] })
  })
  afterAll(async () => { await t.close() })

  const get = (url: string, who: SignedIn = viewer) => t.app.inject({ url, headers: { 'accept-language': 'en', ...who.headers } })
  const texts = (html: string) => [...html.matchAll(/<p class="dash-post-text">([^<]*)<\/p>/g)].map((m) => m[1]!)
  const base = () => `/admin/campaigns/${c.id}/network-posts`

  it('pages through every post, newest first, 50 at a time, without skipping two posted at the same time', async () => {
    const first = await get(base())
    expect(first.statusCode).toBe(200)
    const page1 = texts(first.body)
    expect(page1).toHaveLength(50)
    expect(page1[0]).toBe('Newest &lt;script&gt;alert(1)&lt;/script&gt; #tweetbouteille')
    expect(first.body).not.toContain('<script>alert(1)')
    expect(pageText(first.body)).toContain('Public posts seen: 60 (30 on Bluesky, 30 on Mastodon); kept for the dossier: 0.')
    const older = /href="([^"]+)" rel="next"/.exec(first.body)![1]!.replaceAll('&amp;', '&')
    const second = await get(older)
    const page2 = texts(second.body)
    expect(page2).toHaveLength(10)
    expect(new Set([...page1, ...page2]).size).toBe(60)
    expect(page2).not.toContain('Another campaign')
    expect(second.body).not.toContain('rel="next"')
    expect(second.body).toContain(`href="${base()}"`)
  })

  it('filters by network, by the target addressed and to the posts kept; a wrong filter is a 400 that says what to do', async () => {
    expect(texts((await get(`${base()}?network=mastodon`)).body).every((x) => /Post \d*[13579] /.test(x) || x.startsWith('Newest'))).toBe(true)
    const toAlice = texts((await get(`${base()}?target=${c.targets[0]!.id}`)).body)
    expect(toAlice).toHaveLength(20)
    expect(pageText((await get(`${base()}?target=${c.targets[0]!.id}`)).body)).toContain(`To ${c.targets[0]!.name}`)
    const none = await get(`${base()}?selected=1`)
    expect(pageText(none.body)).toContain('No public post matches these filters.')
    const bad = await get(`${base()}?network=x`)
    expect(bad.statusCode).toBe(400)
    expect(pageText(bad.body)).toContain('These filters are not valid.')
  })

  it('lets an editor keep a post from a page of the list and come back to it; a viewer sees no button; the way back stays in this list', async () => {
    expect((await get(base())).body).not.toContain('/selection')
    const page = await get(`${base()}?network=bluesky`, editor)
    const id = /id="p-(\d+)"/.exec(page.body)![1]!
    const here = `${base()}?network=bluesky`
    const keep = (back: string) => t.app.inject({
      method: 'POST',
      url: `/admin/campaigns/${c.id}/network-posts/${id}/selection`,
      headers: { ...editor.headers, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ _csrf: editor.csrf, selected: 'on', back }).toString()
    })
    const res = await keep(here)
    expect(res.statusCode).toBe(303)
    expect(res.headers.location).toBe(`${here}#p-${id}`)
    expect((await t.deps.pool.query('SELECT selected_at FROM network_posts WHERE id = $1', [id])).rows[0].selected_at).not.toBeNull()
    const kept = await get(`${base()}?selected=1`, editor)
    expect(texts(kept.body)).toHaveLength(1)
    expect(pageText(kept.body)).toContain('kept for the dossier: 1.')
    // Anywhere else is refused as a way back: the dashboard's feed instead.
    for (const back of ['https://evil.example/', `/admin/campaigns/${other.id}/network-posts`, `${base()}/../../team`]) {
      expect((await keep(back)).headers.location, back).toBe(`/admin/campaigns/${c.id}#networks`)
    }
  })

  it('answers 404 for a campaign that is not one, and links the list from the dashboard', async () => {
    expect((await get('/admin/campaigns/00000000-0000-4000-8000-000000000000/network-posts')).statusCode).toBe(404)
    const dash = await get(`/admin/campaigns/${c.id}`)
    expect(dash.body).toContain(`<a href="${base()}" data-field="netAll">See all public posts (60)</a>`)
  })
})
