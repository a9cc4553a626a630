import { randomUUID } from 'node:crypto'
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { campaigns } from '../../server/db/schema.ts'
import { actBody, buildTestApp, pageText, seedCampaign, type SeededCampaign } from '../helper.ts'

const JSON_ACCEPT = { accept: 'application/json' }

describe('POST /c/:slug/act', () => {
  let t: Awaited<ReturnType<typeof buildTestApp>>
  let c: SeededCampaign
  let other: SeededCampaign

  beforeAll(async () => {
    t = await buildTestApp()
    c = await seedCampaign(t.deps)
    other = await seedCampaign(t.deps)
  })
  afterAll(async () => { await t.close() })

  const act = (payload: Record<string, unknown>, headers: Record<string, string> = JSON_ACCEPT, slug = c.slug) =>
    t.app.inject({ method: 'POST', url: `/c/${slug}/act`, headers, payload })
  const rows = async (key: string) => (await t.deps.pool.query('SELECT * FROM actions WHERE key = $1', [key])).rows

  it('records an action and answers 201 with the X intent (.@handle, hashtag, link)', async () => {
    const body = actBody(c)
    const res = await act(body)
    expect(res.statusCode).toBe(201)
    const json = res.json()
    expect(Object.keys(json).sort()).toEqual(['id', 'intentUrl', 'total'])
    const url = new URL(json.intentUrl)
    expect(url.origin + url.pathname).toBe('https://x.com/intent/tweet')
    expect(url.searchParams.get('text')).toBe(`.@alice_martin financez le fonds pertes et dommages maintenant ! #tweetbouteille http://bouteille.test/c/${c.slug}`)
    expect(json.total).toBeGreaterThanOrEqual(1)
    const [row] = await rows(body.key!)
    expect(row).toMatchObject({ campaign_id: c.id, target_id: c.targets[0]!.id, channel: 'x', locale: 'fr', tallied: false })
    expect(String(row.id)).toBe(String(json.id))
  })

  it('stores no personal data with an action', async () => {
    const cols = (await t.deps.pool.query("SELECT column_name FROM information_schema.columns WHERE table_name = 'actions'")).rows.map((r) => r.column_name)
    // from_code, link_code: random codes of supporter links (no account, nothing else ties them to a person);
    // challenge_id: the solved bot-defence challenge, a hash of a random salt the server issued (nothing of the sender).
    expect(cols.sort()).toEqual(['campaign_id', 'challenge_id', 'channel', 'created_at', 'discounted', 'from_code', 'id', 'key', 'link_code', 'locale', 'message_id', 'ref', 'source', 'suspect', 'tallied', 'target_id', 'text'])
  })

  it('redirects the no-JS form with 303 to the intent', async () => {
    const body = actBody(c, { channel: 'bluesky' })
    const res = await t.app.inject({ method: 'POST', url: `/c/${c.slug}/act`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(body).toString() })
    expect(res.statusCode).toBe(303)
    expect(res.headers.location).toBe(`https://bsky.app/intent/compose?text=${encodeURIComponent(`@alice.bsky.social financez le fonds pertes et dommages maintenant ! #tweetbouteille http://bouteille.test/c/${c.slug}`)}`)
    expect(await rows(body.key!)).toHaveLength(1)
  })

  it('sends Mastodon to the supporter’s instance, e-mail to the target, the bottle to the thank-you page', async () => {
    const m = await act(actBody(c, { channel: 'mastodon', instance: 'https://Piaille.fr/' }))
    expect(m.statusCode).toBe(201)
    expect(m.json().intentUrl).toMatch(/^https:\/\/piaille\.fr\/share\?text=%40alice%40climat\.social%20/)
    const e = await act(actBody(c, { channel: 'email' }))
    expect(e.json().intentUrl).toMatch(/^mailto:alice@example\.org\?subject=Le%20climat%20n%E2%80%99attend%20pas&body=Alice%20Martin%20financez/)
    const th = await act(actBody(c, { channel: 'threads' }))
    expect(th.json().intentUrl).toMatch(/^https:\/\/www\.threads\.com\/intent\/post\?text=%40alice\.martin%20/)
    const b = await act(actBody(c, { channel: 'bottle' }), {})
    expect(b.statusCode).toBe(303)
    // Without JavaScript the thank-you page gets the sender's own link code (made for this send) and the wording sent.
    expect(b.headers.location).toMatch(new RegExp(`^/c/${c.slug}/thanks\\?lang=fr&via=bottle&withdraw=[A-Za-z0-9_-]{24}&link=[A-Za-z0-9_-]{12}&m=${c.messages[0]!.id}$`))
  })

  it('uses the supporter’s own text, keeping the hashtag and link', async () => {
    const body = actBody(c, { text: 'Agissez maintenant', channel: 'mastodon', instance: 'mastodon.social' })
    const res = await act(body)
    expect(res.statusCode).toBe(201)
    expect(new URL(res.json().intentUrl).searchParams.get('text')).toBe(`Agissez maintenant #tweetbouteille http://bouteille.test/c/${c.slug}`)
    expect((await rows(body.key!))[0].text).toBe(`Agissez maintenant #tweetbouteille http://bouteille.test/c/${c.slug}`)
  })

  it('answers the same key again with the same answer and counts it once', async () => {
    const body = actBody(c)
    const first = await act(body)
    const again = await act({ ...body, text: 'something else' })
    expect(again.statusCode).toBe(201)
    expect(again.json().id).toBe(first.json().id)
    expect(again.json().intentUrl).toBe(first.json().intentUrl)
    expect(await rows(body.key!)).toHaveLength(1)
  })

  it('counts once when 20 requests with one key arrive at the same time', async () => {
    const body = actBody(c, { channel: 'threads' })
    const answers = await Promise.all(Array.from({ length: 20 }, () => act(body)))
    expect(answers.map((a) => a.statusCode)).toEqual(Array(20).fill(201))
    expect(new Set(answers.map((a) => a.json().id)).size).toBe(1)
    expect(new Set(answers.map((a) => a.json().intentUrl)).size).toBe(1)
    expect(await rows(body.key!)).toHaveLength(1)
  })

  describe('refuses bad input with 400 and a message that says what to do, never a 500', () => {
    const cases: Array<[string, (c: SeededCampaign, o: SeededCampaign) => Record<string, unknown>, RegExp]> = [
      ['an unknown target', (c) => actBody(c, { target: randomUUID() }), /decision-maker|décideur/i],
      ['a target of another campaign', (c, o) => actBody(c, { target: o.targets[0]!.id }), /decision-maker|décideur/i],
      ['a target id that is no UUID', (c) => actBody(c, { target: 'abc\'; DROP TABLE actions;--' }), /decision-maker|décideur/i],
      ['no target', (c) => ({ ...actBody(c), target: undefined }), /decision-maker|décideur/i],
      ['a message of another campaign', (c, o) => actBody(c, { message: o.messages[0]!.id }), /message/i],
      ['an unknown channel', (c) => actBody(c, { channel: 'myspace' }), /./],
      ['no channel', (c) => ({ ...actBody(c), channel: undefined }), /./],
      ['a malformed key', (c) => actBody(c, { key: 'not-a-uuid' }), /reload|recharge/i],
      ['no key', (c) => ({ ...actBody(c), key: undefined }), /reload|recharge/i],
      ['an empty text', (c) => actBody(c, { text: '   \n ' }), /./],
      ['a text too long for X', (c) => actBody(c, { text: 'a'.repeat(300) }), /280/],
      ['a text over the hard cap', (c) => actBody(c, { text: 'a'.repeat(6000), channel: 'mastodon', instance: 'mastodon.social' }), /500/],
      ['Mastodon without an instance', (c) => actBody(c, { channel: 'mastodon' }), /mastodon/i],
      ['Mastodon with a private address', (c) => actBody(c, { channel: 'mastodon', instance: '127.0.0.1' }), /mastodon/i],
      ['e-mail to a target without address', (c) => actBody(c, { channel: 'email', target: c.targets[2]!.id }), /Carla Souza/],
      ['Bluesky to a target with no Bluesky account', (c) => actBody(c, { channel: 'bluesky', target: c.targets[2]!.id }), /^(?=.*Carla Souza)(?=.*Bluesky)/],
      ['Mastodon to a target with no Mastodon account', (c) => actBody(c, { channel: 'mastodon', instance: 'mastodon.social', target: c.targets[1]!.id }), /^(?=.*Bongani Dube)(?=.*Mastodon)/],
      ['a malformed referral code', (c) => actBody(c, { ref: '<script>' }), /./],
      ['fields of the wrong type', (c) => ({ ...actBody(c), target: [c.targets[0]!.id], text: { a: 1 } }), /./]
    ]
    for (const [label, make, message] of cases) {
      it(label, async () => {
        const payload = make(c, other)
        const before = (await t.deps.pool.query('SELECT count(*)::int AS n FROM actions')).rows[0].n
        const res = await act(payload)
        expect(res.statusCode, res.body).toBe(400)
        expect(res.json().error).toMatch(message)
        expect(res.body).not.toMatch(/at .*\.ts:\d+|stack/i)
        expect((await t.deps.pool.query('SELECT count(*)::int AS n FROM actions')).rows[0].n).toBe(before)
      })
    }

    it('a body that is not JSON', async () => {
      const res = await t.app.inject({ method: 'POST', url: `/c/${c.slug}/act`, headers: { ...JSON_ACCEPT, 'content-type': 'application/json' }, payload: '{"target":' })
      expect(res.statusCode).toBe(400)
      expect(res.json().error).toBeTruthy()
    })

    it('a body that is far too large', async () => {
      const res = await act({ ...actBody(c), text: 'a'.repeat(100_000) })
      expect(res.statusCode).toBe(413)
      expect(res.json().error).toBeTruthy()
    })

    it('a channel the campaign does not offer', async () => {
      const narrow = await seedCampaign(t.deps, { channels: ['x', 'bottle'] })
      const res = await act(actBody(narrow, { channel: 'bluesky' }), JSON_ACCEPT, narrow.slug)
      expect(res.statusCode).toBe(400)
    })
  })

  it('refuses the no-JS form a network the target is not on, showing the page again with the text kept', async () => {
    const body = actBody(c, { channel: 'threads', target: c.targets[1]!.id, message: c.messages[2]!.id, text: 'Mon texte à moi pour Bongani' })
    const res = await t.app.inject({ method: 'POST', url: `/c/${c.slug}/act`, headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'en' }, payload: new URLSearchParams(body).toString() })
    expect(res.statusCode).toBe(400)
    expect(res.headers['content-type']).toMatch(/text\/html/)
    expect(pageText(res.body)).toContain('Bongani Dube has no known Threads account')
    expect(res.body).toContain('Mon texte à moi pour Bongani')
    expect(res.body).toMatch(new RegExp(`id="t-${c.targets[1]!.id}"[^>]* checked`))
    expect(await rows(body.key!)).toHaveLength(0)
  })

  it('shows on the no-JS page which networks each target is on', async () => {
    const res = await t.app.inject({ method: 'GET', url: `/c/${c.slug}?lang=en` })
    const card = (id: string) => pageText(new RegExp(`<li class="target[^"]*" data-target-id="${id}"[\\s\\S]*?</li>`).exec(res.body)![0])
    expect(card(c.targets[0]!.id)).toMatch(/On: X, Bluesky, Mastodon, Threads, e-mail/)
    expect(card(c.targets[2]!.id)).toMatch(/On: X(?!,)/)
  })

  it('answers 404 for an unknown campaign and for a draft', async () => {
    expect((await act(actBody(c), JSON_ACCEPT, 'no-such-campaign')).statusCode).toBe(404)
    expect((await act(actBody(c), JSON_ACCEPT, '../../etc')).statusCode).toBe(404)
    const draft = await seedCampaign(t.deps, { status: 'draft' })
    expect((await act(actBody(draft), JSON_ACCEPT, draft.slug)).statusCode).toBe(404)
  })

  it('answers 409 when the campaign is not open', async () => {
    for (const opts of [{ status: 'paused' as const }, { status: 'closed' as const }, { status: 'scheduled' as const }, { closesAt: new Date(Date.now() - 1000) }, { opensAt: new Date(Date.now() + 60_000) }]) {
      const s = await seedCampaign(t.deps, opts)
      const res = await act(actBody(s), JSON_ACCEPT, s.slug)
      expect(res.statusCode, JSON.stringify(opts)).toBe(409)
      expect(res.json().error).toBeTruthy()
      const page = await act(actBody(s), {}, s.slug)
      expect(page.statusCode).toBe(409)
      expect(page.headers['content-type']).toMatch(/text\/html/)
    }
  })

  it('shows a paused campaign\'s page again on 409 with the supporter\'s text kept and what to do', async () => {
    const s = await seedCampaign(t.deps, { status: 'paused' })
    const res = await act(actBody(s, { text: 'Texte gardé malgré la pause', target: s.targets[1]!.id, message: s.messages[2]!.id }), { 'accept-language': 'en' }, s.slug)
    expect(res.statusCode).toBe(409)
    const text = pageText(res.body)
    expect(text).toContain('This campaign is paused')
    expect(text).toMatch(/Your message was not sent/)
    expect(res.body).toMatch(/<textarea[^>]*readonly[^>]*>Texte gardé malgré la pause<\/textarea>/)
    expect(res.body).toContain('<h1 id="campaign-title">')
  })
})

describe('rate limit', () => {
  let t: Awaited<ReturnType<typeof buildTestApp>>
  let c: SeededCampaign
  beforeAll(async () => {
    t = await buildTestApp({ ACTION_RATE_LIMIT: '3' })
    c = await seedCampaign(t.deps)
  })
  afterAll(async () => { await t.close() })

  it('answers 429 with a readable page past ACTION_RATE_LIMIT per minute from one address', async () => {
    const send = (ip: string) => t.app.inject({ method: 'POST', url: `/c/${c.slug}/act`, remoteAddress: ip, headers: { 'accept-language': 'en' }, payload: actBody(c, { text: 'Un texte écrit avec soin', message: c.messages[2]!.id }) })
    for (let i = 0; i < 3; i++) expect((await send('203.0.113.7')).statusCode).toBe(303)
    const limited = await send('203.0.113.7')
    expect(limited.statusCode).toBe(429)
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0)
    expect(limited.headers['content-type']).toMatch(/text\/html/)
    expect(pageText(limited.body)).toMatch(/Wait \d+ seconds?, then send again/)
    // The campaign page again, with the supporter's choices and text.
    expect(limited.body).toContain('<h1 id="campaign-title">')
    expect(limited.body).toContain(c.targets[0]!.name)
    expect(limited.body).toMatch(/<textarea[^>]*>Un texte écrit avec soin<\/textarea>/)
    expect((await send('203.0.113.8')).statusCode).toBe(303)
    // No address is kept in Redis keys.
    const keys = await t.deps.redis.keys(`${t.prefix}:rl:*`)
    expect(keys.length).toBeGreaterThan(0)
    expect(keys.join(' ')).not.toContain('203.0.113')
  })

  it('lets a campaign raise its own limit for an event, where many supporters share one address', async () => {
    const hall = await seedCampaign(t.deps)
    await t.deps.db.update(campaigns).set({ actionRateLimit: 6 }).where(eq(campaigns.id, hall.id))
    const send = () => t.app.inject({ method: 'POST', url: `/c/${hall.slug}/act`, remoteAddress: '198.51.100.20', headers: { accept: 'application/json' }, payload: actBody(hall) })
    for (let i = 0; i < 6; i++) expect((await send()).statusCode).toBe(201)
    const limited = await send()
    expect(limited.statusCode).toBe(429)
    expect(limited.json().error).toBeTruthy()
    // The other campaign keeps the installation's limit (3).
    const other = () => t.app.inject({ method: 'POST', url: `/c/${c.slug}/act`, remoteAddress: '198.51.100.21', headers: { accept: 'application/json' }, payload: actBody(c) })
    for (let i = 0; i < 3; i++) expect((await other()).statusCode).toBe(201)
    expect((await other()).statusCode).toBe(429)
  })
})
