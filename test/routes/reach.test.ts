import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { actBody, buildTestApp, pageText, seedCampaign, type SeededCampaign } from '../helper.ts'

// Supporter links (?from=), share clicks and the counters they feed (issue 14 §3).
describe('supporter links and share clicks', () => {
  let t: Awaited<ReturnType<typeof buildTestApp>>
  let c: SeededCampaign
  beforeAll(async () => {
    t = await buildTestApp()
    c = await seedCampaign(t.deps)
  })
  afterAll(async () => { await t.close() })

  const form = (body: Record<string, string>) => t.app.inject({ method: 'POST', url: `/c/${c.slug}/act`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(body).toString() })
  const json = (body: Record<string, string>) => t.app.inject({ method: 'POST', url: `/c/${c.slug}/act`, headers: { accept: 'application/json' }, payload: body })
  const fromJson = async (code: string) => (await t.app.inject({ url: `/c/${c.slug}/from/${code}.json` })).json() as { code: string, count: number }
  const counter = async (dimension: string, key: string) => Number((await t.deps.pool.query('SELECT count FROM campaign_counts WHERE campaign_id = $1 AND dimension = $2 AND key = $3', [c.id, dimension, key])).rows[0]?.count ?? 0)

  it('counts the actions through a supporter link exactly, through the form and JSON, and again after a rebuild', async () => {
    const code = 'abcDEF123_-x'
    expect(await fromJson(code)).toEqual({ code, count: 0 })
    for (let i = 0; i < 3; i++) expect((await form(actBody(c, { from: code, link: `sender${i}` }))).statusCode).toBe(303)
    for (let i = 0; i < 2; i++) expect((await json(actBody(c, { from: code, channel: 'bluesky' }))).statusCode).toBe(201)
    // A repeat (same key, target and channel) counts once; another code counts apart.
    const again = actBody(c, { from: code })
    await form(again)
    await form(again)
    await form(actBody(c, { from: 'someone-else' }))
    await t.deps.actionRepo.tally(c.id, 1000)
    expect(await fromJson(code)).toEqual({ code, count: 6 })
    expect(await fromJson('someone-else')).toEqual({ code: 'someone-else', count: 1 })
    const rows = (await t.deps.pool.query('SELECT count(*)::int AS n FROM actions WHERE campaign_id = $1 AND from_code = $2', [c.id, code])).rows[0].n
    expect(rows).toBe(6)
    await t.deps.pool.query("DELETE FROM campaign_counts WHERE campaign_id = $1 AND dimension = 'from'", [c.id])
    await t.deps.actionRepo.rebuild(c.id)
    expect(await fromJson(code)).toEqual({ code, count: 6 })
    expect(await counter('link', 'sender0')).toBe(1)
  })

  it('refuses a malformed from or link code with 400, and answers 404 for an unknown campaign', async () => {
    expect((await json(actBody(c, { from: 'no spaces' }))).statusCode).toBe(400)
    expect((await json(actBody(c, { link: 'x'.repeat(65) }))).statusCode).toBe(400)
    expect((await t.app.inject({ url: `/c/${c.slug}/from/bad%20code.json` })).statusCode).toBe(400)
    expect((await t.app.inject({ url: '/c/nope/from/abc.json' })).statusCode).toBe(404)
  })

  it('does not count a supporter sending through their own link as someone they brought', async () => {
    await json(actBody(c, { from: 'selfie', link: 'selfie' }))
    await t.deps.actionRepo.tally(c.id, 1000)
    expect(await fromJson('selfie')).toEqual({ code: 'selfie', count: 0 })
    expect(await counter('link', 'selfie')).toBe(1)
  })

  it('carries ?from= and ?ref= through the campaign page into the no-JS form', async () => {
    const page = await t.app.inject({ url: `/c/${c.slug}?lang=en&ref=ngo1&from=friend42` })
    expect(page.body).toContain('<input type="hidden" name="from" value="friend42">')
    expect(page.body).toContain('<input type="hidden" name="ref" value="ngo1">')
    const other = await t.app.inject({ url: `/c/${c.slug}?lang=en&from=friend43` })
    expect(other.body).toContain('value="friend43"')
    expect(other.body).not.toContain('friend42')
    const bad = await t.app.inject({ url: `/c/${c.slug}?lang=en&from=%22%3E%3Cscript%3E` })
    expect(bad.body).not.toContain('name="from"')
  })

  it('gives a bottle sender without JavaScript a link code, kept on their action only, and their link on the thank-you page', async () => {
    const res = await form(actBody(c, { channel: 'bottle', ref: 'ngo1' }))
    expect(res.statusCode).toBe(303)
    const location = new URL(String(res.headers.location), 'http://x')
    const code = location.searchParams.get('link')!
    expect(code).toMatch(/^[A-Za-z0-9_-]{12}$/)
    expect(location.searchParams.get('m')).toBe(c.messages[0]!.id)
    const stored = (await t.deps.pool.query('SELECT link_code FROM actions WHERE campaign_id = $1 AND channel = $2 ORDER BY id DESC LIMIT 1', [c.id, 'bottle'])).rows[0].link_code
    expect(stored).toBe(code)
    const thanks = await t.app.inject({ url: `${location.pathname}${location.search}&ref=ngo1`, headers: { 'accept-language': 'en' } })
    expect(thanks.statusCode).toBe(200)
    expect(thanks.body).toContain(`value="${t.deps.config.publicUrl}/c/${c.slug}?lang=fr&amp;ref=ngo1&amp;from=${code}"`)
    expect(pageText(thanks.body)).toContain('0 personne a agi grâce à votre lien')
    // Every share button goes through the counting redirect with both codes and the wording sent.
    const hrefs = [...thanks.body.matchAll(/class="share-btn share-btn--(\w+)" href="([^"]+)"/g)].map((m) => [m[1], m[2]!.replace(/&amp;/g, '&')])
    expect(hrefs.map((h) => h[0])).toEqual(['x', 'bluesky', 'threads', 'whatsapp', 'telegram', 'facebook', 'email'])
    for (const [network, href] of hrefs) expect(href).toBe(`/c/${c.slug}/share/${network}?lang=fr&ref=ngo1&from=${code}&m=${c.messages[0]!.id}`)
  })

  it('counts a share click per network through the redirect, and sends to the network\'s fixed base only', async () => {
    const expected: Record<string, RegExp> = {
      x: /^https:\/\/x\.com\/intent\/tweet\?text=/,
      bluesky: /^https:\/\/bsky\.app\/intent\/compose\?text=/,
      threads: /^https:\/\/www\.threads\.com\/intent\/post\?text=/,
      whatsapp: /^https:\/\/wa\.me\/\?text=/,
      telegram: /^https:\/\/t\.me\/share\/url\?url=/,
      facebook: /^https:\/\/www\.facebook\.com\/sharer\/sharer\.php\?u=/,
      email: /^mailto:\?/,
      mastodon: /^https:\/\/piaille\.fr\/share\?text=/
    }
    for (const [network, re] of Object.entries(expected)) {
      const res = await t.app.inject({ url: `/c/${c.slug}/share/${network}?lang=en&ref=ngo1&from=me123&instance=piaille.fr&m=${c.messages[2]!.id}` })
      expect(res.statusCode, network).toBe(303)
      expect(String(res.headers.location), network).toMatch(re)
      expect(decodeURIComponent(String(res.headers.location))).toContain(`${t.deps.config.publicUrl}/c/${c.slug}?lang=en&ref=ngo1&from=me123`)
    }
    const x = decodeURIComponent(String((await t.app.inject({ url: `/c/${c.slug}/share/x?lang=en` })).headers.location))
    // Each tag once (the share text "I acted" has none; the campaign's tag is added once).
    expect(x.match(/#tweetbottle/g)).toHaveLength(1)
    // Nothing else from the query reaches the Location: no open redirect.
    for (const url of [`/c/${c.slug}/share/evil?to=https://evil.example`, `/c/${c.slug}/share/copy`, `/c/${c.slug}/share/mastodon?instance=evil.example/phish%3F`, `/c/${c.slug}/share/mastodon`]) {
      const res = await t.app.inject({ url })
      expect(res.statusCode, url).toBeGreaterThanOrEqual(400)
      expect(res.headers.location, url).toBeUndefined()
    }
    const odd = await t.app.inject({ url: `/c/${c.slug}/share/x?from=https://evil.example&ref=%0d%0a` })
    expect(decodeURIComponent(String(odd.headers.location))).not.toContain('evil')
    const clicks = (await t.deps.pool.query('SELECT network, variant, count::int AS n FROM share_clicks WHERE campaign_id = $1 ORDER BY network, variant', [c.id])).rows
    expect(clicks).toEqual([
      { network: 'bluesky', variant: c.messages[2]!.id, n: 1 },
      { network: 'email', variant: c.messages[2]!.id, n: 1 },
      { network: 'facebook', variant: c.messages[2]!.id, n: 1 },
      { network: 'mastodon', variant: c.messages[2]!.id, n: 1 },
      { network: 'telegram', variant: c.messages[2]!.id, n: 1 },
      { network: 'threads', variant: c.messages[2]!.id, n: 1 },
      { network: 'whatsapp', variant: c.messages[2]!.id, n: 1 },
      { network: 'x', variant: '', n: 2 },
      { network: 'x', variant: c.messages[2]!.id, n: 1 }
    ])
  })

  it('counts a share click told by the page (POST /shared), refuses a bad network, sets no cookie', async () => {
    const post = (payload: string, headers: Record<string, string> = {}) => t.app.inject({ method: 'POST', url: `/c/${c.slug}/shared`, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, payload })
    const ok = await post('network=copy')
    expect(ok.statusCode).toBe(204)
    expect(ok.headers['set-cookie']).toBeUndefined()
    await post(`network=copy&m=${c.messages[0]!.id}`)
    expect((await post('network=myspace')).statusCode).toBe(400)
    expect((await post('network=copy', { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' })).statusCode).toBe(403)
    const rows = (await t.deps.pool.query("SELECT variant, count::int AS n FROM share_clicks WHERE campaign_id = $1 AND network = 'copy' ORDER BY variant", [c.id])).rows
    expect(rows).toEqual([{ variant: '', n: 1 }, { variant: c.messages[0]!.id, n: 1 }])
  })
})

describe('share clicks are rate-limited like sends', () => {
  let t: Awaited<ReturnType<typeof buildTestApp>>
  let c: SeededCampaign
  beforeAll(async () => {
    t = await buildTestApp({ ACTION_RATE_LIMIT: '2' })
    c = await seedCampaign(t.deps)
  })
  afterAll(async () => { await t.close() })

  it('answers 429 to the beacon past the limit, and still sends the redirect without counting it', async () => {
    const post = () => t.app.inject({ method: 'POST', url: `/c/${c.slug}/shared`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'network=copy' })
    expect((await post()).statusCode).toBe(204)
    expect((await post()).statusCode).toBe(204)
    const third = await post()
    expect(third.statusCode).toBe(429)
    expect(third.headers['retry-after']).toBeDefined()
    const redirect = await t.app.inject({ url: `/c/${c.slug}/share/x` })
    expect(redirect.statusCode).toBe(303)
    const n = (await t.deps.pool.query('SELECT coalesce(sum(count), 0)::int AS n FROM share_clicks WHERE campaign_id = $1', [c.id])).rows[0].n
    expect(n).toBe(2)
  })
})
