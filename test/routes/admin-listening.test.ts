import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { NewPost } from '../../server/repos/network-post-repo.ts'
import { buildTestApp, pageText, seedCampaign, signIn, type SeededCampaign, type SignedIn } from '../helper.ts'

type TestApp = Awaited<ReturnType<typeof buildTestApp>>

describe('dashboard: on the networks', () => {
  let t: TestApp
  let c: SeededCampaign
  let viewer: SignedIn
  let editor: SignedIn
  let postId: number
  beforeAll(async () => {
    t = await buildTestApp()
    c = await seedCampaign(t.deps)
    viewer = await signIn(t.deps, 'viewer')
    editor = await signIn(t.deps, 'editor')
    const post: NewPost = {
      campaignId: c.id,
      network: 'mastodon',
      uri: 'https://climat.social/users/zoe/statuses/1',
      url: 'https://climat.social/@zoe/1',
      authorHandle: 'zoe@climat.social',
      authorName: 'Zoé <b>',
      text: 'Agissez <script>alert(1)</script> #tweetbouteille',
      language: 'fr',
      postedAt: new Date().toISOString(),
      matchedTags: ['tweetbouteille'],
      matchedTargets: [c.targets[0]!.id]
    }
    const { inserted } = await t.deps.networkPostRepo.applyBatch({ inserts: [post] })
    postId = inserted[0]!.id
    await t.deps.pool.query("INSERT INTO actions (campaign_id, target_id, channel, locale, text, key, tallied) VALUES ($1, $2, 'mastodon', 'fr', 't', gen_random_uuid(), false), ($1, $2, 'mastodon', 'fr', 't', gen_random_uuid(), false)", [c.id, c.targets[0]!.id])
    await t.deps.actionRepo.tally(c.id, 100)
  })
  afterAll(async () => { await t.close() })

  it('shows posts against intents per network, per target, and the feed, escaped, with X said to be unread', async () => {
    const res = await t.app.inject({ url: `/admin/campaigns/${c.id}`, headers: { 'accept-language': 'en', ...viewer.headers } })
    expect(res.statusCode).toBe(200)
    const html = res.body
    expect(html).toContain('id="h-networks"')
    expect(html).not.toContain('<script>alert(1)</script>')
    expect(html).toContain('Agissez &lt;script&gt;alert(1)&lt;/script&gt; #tweetbouteille')
    const text = pageText(html)
    expect(text).toContain('On the networks')
    expect(text).toMatch(/Mastodon\s+1\s+2\s+50%/)
    expect(text).toContain('X has no free read API')
    expect(text).toContain('Alice Martin')
    // A viewer cannot change the selection: no button.
    expect(html).not.toContain('/selection"')
    const json = (await t.app.inject({ url: `/admin/campaigns/${c.id}/dashboard.json`, headers: viewer.headers })).json()
    expect(json.networks).toMatchObject({ total: 1, targets: [{ id: c.targets[0]!.id, count: 1 }] })
    expect(json.networks.feed[0]).toMatchObject({ authorHandle: 'zoe@climat.social', selected: false })
  })

  it('lets an editor keep a post in the bottle\'s selection, refuses a viewer, and answers 404 for another campaign\'s post', async () => {
    const post = (who: SignedIn, url: string, selected: string) => t.app.inject({
      method: 'POST', url, headers: { ...who.headers, 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'en' }, payload: new URLSearchParams({ _csrf: who.csrf, selected }).toString()
    })
    const url = `/admin/campaigns/${c.id}/network-posts/${postId}/selection`
    expect((await post(viewer, url, 'on')).statusCode).toBe(403)
    const res = await post(editor, url, 'on')
    expect(res.statusCode).toBe(303)
    expect(res.headers.location).toBe(`/admin/campaigns/${c.id}#networks`)
    expect((await t.deps.networkPostRepo.selected(c.id)).map((p) => p.id)).toEqual([postId])
    const page = await t.app.inject({ url: `/admin/campaigns/${c.id}`, headers: { 'accept-language': 'en', ...editor.headers } })
    expect(pageText(page.body)).toContain('In the bottle\'s selection')
    expect((await post(editor, url, 'maybe')).statusCode).toBe(400)
    const other = await seedCampaign(t.deps)
    expect((await post(editor, `/admin/campaigns/${other.id}/network-posts/${postId}/selection`, 'on')).statusCode).toBe(404)
    expect((await post(editor, url, 'off')).statusCode).toBe(303)
    expect(await t.deps.networkPostRepo.selected(c.id)).toEqual([])
  })

  it('shows every listening source on /admin/queues with its state, and a stalled stream as such', async () => {
    const owner = await signIn(t.deps, 'owner')
    await t.deps.networkPostRepo.saveCursor({ source: 'jetstream', cursor: '1', status: 'reconnecting', lastError: 'socket hang up', lastEventAt: new Date(Date.now() - 600_000) })
    await t.deps.networkPostRepo.saveCursor({ source: 'mastodon:mastodon.example:tweetbottle', status: 'refused', lastError: 'HTTP 403', nextPollAt: new Date(Date.now() + 86_400_000) })
    // The re-check round, last run 20 minutes ago: no worker has taken its turn since.
    await t.deps.networkPostRepo.saveCursor({ source: 'recheck:mastodon', status: 'ok', lastError: null, nextPollAt: new Date(Date.now() - 19 * 60_000) })
    const res = await t.app.inject({ url: '/admin/queues', headers: { 'accept-language': 'en', ...owner.headers } })
    expect(res.statusCode).toBe(200)
    const text = pageText(res.body)
    expect(text).toContain('Listening (Bluesky and Mastodon)')
    expect(text).toMatch(/Bluesky \(Jetstream\)\s+Reconnecting · stalled\s+600 s/)
    expect(text).toMatch(/Mastodon mastodon\.example, #tweetbottle\s+Refused \(not retried in a loop\)/)
    expect(text).toContain('HTTP 403')
    expect(text).toMatch(/Mastodon re-checks \(edits and deletions\)\s+Running · stalled/)
    // Listening is off in the tests' environment, and the page says so.
    expect(text).toContain('Listening is off on this installation')
  })

  it('puts the count of public posts on the dossier\'s cover and quotes the selected ones, with link and author', async () => {
    await t.deps.networkPostRepo.select(c.id, postId, editor.user.id, true)
    const html = await t.app.inject({ url: `/admin/campaigns/${c.id}/dossiers/${c.targets[0]!.id}.html?preview=1`, headers: viewer.headers })
    expect(html.statusCode).toBe(200)
    const text = pageText(html.body)
    // The campaign's default language (French) is the dossier's.
    expect(text).toContain('1 message public vous a été adressé sur Bluesky et Mastodon')
    expect(text).toContain('Messages publics sur les réseaux')
    expect(text).toContain('@zoe@climat.social sur Mastodon')
    expect(html.body).toContain('href="https://climat.social/@zoe/1"')
    expect(html.body).toContain('Agissez &lt;script&gt;')
    // Another target: no post addressed to it, no cover line; the quote mentions Alice only, so it is not quoted there.
    const other = pageText((await t.app.inject({ url: `/admin/campaigns/${c.id}/dossiers/${c.targets[1]!.id}.html?preview=1`, headers: viewer.headers })).body)
    expect(other).not.toContain('Bluesky et Mastodon')
    expect(other).not.toContain('Messages publics sur les réseaux')
    const pdf = await t.app.inject({ url: `/admin/campaigns/${c.id}/dossiers/${c.targets[0]!.id}.pdf?preview=1`, headers: viewer.headers })
    expect(pdf.statusCode).toBe(200)
    expect(pdf.headers['content-type']).toMatch(/application\/pdf/)
  })

  it('lets an editor set the Mastodon instances to watch, refusing what is not a host name with a 400 that says what to do', async () => {
    const save = (who: SignedIn, instances: string) => t.app.inject({
      method: 'POST', url: `/admin/campaigns/${c.id}/listening`, headers: { ...who.headers, 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'en' }, payload: new URLSearchParams({ _csrf: who.csrf, instances }).toString()
    })
    const page = await t.app.inject({ url: `/admin/campaigns/${c.id}`, headers: { 'accept-language': 'en', ...editor.headers } })
    expect(page.body).toMatch(/<textarea[^>]*name="instances"[^>]*>mastodon\.social\nmastodon\.online\nmstdn\.social<\/textarea>/)
    expect((await save(viewer, 'climat.social')).statusCode).toBe(403)
    const bad = await save(editor, 'climat.social\nhttp://x y')
    expect(bad.statusCode).toBe(400)
    expect(pageText(bad.body)).toContain('"http://x" is not an instance\'s host name. Write one host name per line')
    // The dashboard again, with what was typed kept in the field and the error beside it.
    expect(bad.body).toMatch(/<textarea[^>]*name="instances"[^>]*aria-invalid="true"[^>]*>climat\.social\nhttp:\/\/x y<\/textarea>/)
    expect(pageText(bad.body)).toContain('On the networks')
    const res = await save(editor, 'Climat.Social\nhttps://mastodon.social/\nclimat.social')
    expect(res.statusCode).toBe(303)
    expect(await t.deps.networkPostRepo.settings(c.id)).toEqual({ instances: ['climat.social', 'mastodon.social'] })
    const json = (await t.app.inject({ url: `/admin/campaigns/${c.id}/dashboard.json`, headers: viewer.headers })).json()
    expect(json.networks.settings).toEqual({ instances: ['climat.social', 'mastodon.social'] })
  })

  it('says how each watched instance answers, beside the list the team edits', async () => {
    // The tests' installation has listening off: the section says so instead.
    expect(pageText((await t.app.inject({ url: `/admin/campaigns/${c.id}`, headers: { 'accept-language': 'en', ...viewer.headers } })).body)).toContain('Listening is off on this installation')
    const on = await buildTestApp({ LISTENING: 'on' })
    try {
      const onViewer = await signIn(on.deps, 'viewer')
      const oc = await seedCampaign(on.deps)
      await on.deps.networkPostRepo.saveSettings(oc.id, { instances: ['climat.social', 'mastodon.social', 'new.example'] })
      await on.deps.networkPostRepo.saveCursor({ source: 'mastodon:climat.social:tweetbottle', cursor: '5', status: 'ok', lastError: null, lastEventAt: new Date('2026-12-04T09:30:00Z'), nextPollAt: new Date() })
      await on.deps.networkPostRepo.saveCursor({ source: 'mastodon:mastodon.social:tweetbottle', status: 'ok', lastError: null, nextPollAt: new Date() })
      await on.deps.networkPostRepo.saveCursor({ source: 'mastodon:mastodon.social:tweetbouteille', status: 'refused', lastError: 'HTTP 401', nextPollAt: new Date('2026-12-05T09:00:00Z') })
      const res = await on.app.inject({ url: `/admin/campaigns/${oc.id}`, headers: { 'accept-language': 'en', ...onViewer.headers } })
      expect(res.statusCode).toBe(200)
      const states = [...res.body.matchAll(/<li data-instance="([^"]+)" data-state="([^"]+)">([\s\S]*?)<\/li>/g)].map((m) => [m[1], m[2], pageText(m[3]!).trim()])
      expect(states).toEqual([
        ['climat.social', 'ok', 'Reading climat.social Its hashtag timelines are read every minute. · last post seen Dec 4, 2026, 10:30 AM'],
        ['mastodon.social', 'refused', 'Refuses mastodon.social It does not show its hashtag timelines without an account; asked again at Dec 5, 2026, 10:00 AM. Posts made there still reach the other instances you watch if they follow its people.'],
        ['new.example', 'waiting', 'Not read yet new.example Asked within a minute for each of the campaign\'s hashtags.']
      ])
    } finally {
      await on.close()
    }
  })
})
