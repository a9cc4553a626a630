import { inflateSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startWorker, type RunningWorker } from '../../jobs/main.ts'
import { actBody, buildTestApp, countPoolQueries, eventually, pageText, seedCampaign, type SeededCampaign } from '../helper.ts'

describe('public pages', () => {
  let t: Awaited<ReturnType<typeof buildTestApp>>
  let c: SeededCampaign
  let worker: RunningWorker
  beforeAll(async () => {
    t = await buildTestApp()
    c = await seedCampaign(t.deps)
    worker = await startWorker(t.deps)
  })
  afterAll(async () => {
    await worker.close()
    await t.close()
  })

  const get = (url: string, headers: Record<string, string> = {}) => t.app.inject({ url, headers })

  it('serves the campaign page with the no-JS form of the public contract', async () => {
    const res = await get(`/c/${c.slug}?lang=en`)
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/text\/html/)
    expect(res.headers['cache-control']).toBe('no-store')
    const html = res.body
    expect(html).toContain('<html lang="en"')
    expect(html).toContain('Climate can’t wait')
    expect(html).toContain(`<form class="act-form" id="act-form" method="post" action="/c/${c.slug}/act">`)
    for (const target of c.targets) expect(html).toContain(`name="target" id="t-${target.id}" value="${target.id}"`)
    for (const m of c.messages.filter((m) => m.locale === 'en')) expect(html).toContain(`value="${m.id}"`)
    for (const ch of ['x', 'bluesky', 'mastodon', 'threads', 'email', 'bottle']) expect(html).toMatch(new RegExp(`name="channel" value="${ch}"`))
    expect(html).toMatch(/name="key" value="[0-9a-f-]{36}"/)
    expect(html).toMatch(/<textarea[^>]*name="text"/)
    expect(html).toMatch(/name="instance"/)
  })

  it('sends the page deflated to clients that take it, the same page once inflated', async () => {
    const res = await get(`/c/${c.slug}?lang=en`, { 'accept-encoding': 'gzip, deflate, br' })
    expect(res.headers['content-encoding']).toBe('deflate')
    expect(res.headers.vary).toMatch(/accept-encoding/i)
    const html = inflateSync(res.rawPayload).toString()
    expect(html).toContain(`action="/c/${c.slug}/act"`)
    expect(html).toMatch(/name="key" value="[0-9a-f-]{36}"/)
    const nonce = /'nonce-([^']+)'/.exec(String(res.headers['content-security-policy']))?.[1]
    expect(html).toContain(`nonce="${nonce}"`)
    expect(res.rawPayload.length).toBeLessThan(html.length / 3)
  })

  it('gives every page view a new idempotency key', async () => {
    const key = (html: string) => /name="key" value="([0-9a-f-]{36})"/.exec(html)?.[1]
    const a = key((await get(`/c/${c.slug}`)).body)
    const b = key((await get(`/c/${c.slug}`)).body)
    expect(a).toBeTruthy()
    expect(a).not.toBe(b)
  })

  it('speaks French or English by ?lang= or Accept-Language, with a switch', async () => {
    const fr = await get(`/c/${c.slug}`, { 'accept-language': 'fr-FR,fr;q=0.9,en;q=0.8' })
    expect(fr.body).toContain('<html lang="fr"')
    expect(fr.body).toContain('Le climat n’attend pas')
    expect(fr.body).toContain(`href="/c/${c.slug}?lang=en"`)
    const en = await get(`/c/${c.slug}`, { 'accept-language': 'en-GB,en;q=0.9' })
    expect(en.body).toContain('<html lang="en"')
    expect((await get(`/c/${c.slug}?lang=en`, { 'accept-language': 'fr' })).body).toContain('<html lang="en"')
  })

  it('formats the live total in French with a narrow no-break space, and in English with a comma', async () => {
    await t.deps.pool.query(`
      INSERT INTO actions (campaign_id, target_id, message_id, channel, locale, text, key)
      SELECT $1, $2, $3, 'x', 'fr', 't', gen_random_uuid() FROM generate_series(1, 1234)`, [c.id, c.targets[1]!.id, c.messages[0]!.id])
    await t.deps.queues.counts.add('tally', { campaignId: c.id })
    await eventually(async () => (await get(`/c/${c.slug}/progress.json`)).json().total === 1234, 15_000, 'total 1234')
    const fr = (await get(`/c/${c.slug}?lang=fr`)).body
    expect(fr).toMatch(/data-testid="total">1\u202f234</)
    expect(fr).toMatch(/data-testid="goal">2\u202f500</)
    const en = (await get(`/c/${c.slug}?lang=en`)).body
    expect(en).toMatch(/data-testid="total">1,234</)
  })

  it('suggests the least-contacted target and filters by country without JavaScript', async () => {
    await t.deps.pool.query("INSERT INTO actions (campaign_id, target_id, message_id, channel, locale, text, key) VALUES ($1, $2, $3, 'x', 'fr', 't', gen_random_uuid())", [c.id, c.targets[0]!.id, c.messages[0]!.id])
    await t.deps.queues.counts.add('tally', { campaignId: c.id })
    await eventually(async () => (await get(`/c/${c.slug}/progress.json`)).json().targets[0].count === 1, 15_000, 'one action for the first target')
    const html = (await get(`/c/${c.slug}?lang=en`)).body
    // Target 2 has 1,234 actions, target 1 has one: the third has none.
    expect(html).toMatch(new RegExp(`id="t-${c.targets[2]!.id}"[^>]*checked`))
    const filtered = (await get(`/c/${c.slug}?lang=en&country=ZA`)).body
    expect(filtered).toContain(`value="${c.targets[1]!.id}"`)
    expect(filtered).not.toContain(`value="${c.targets[0]!.id}"`)
    expect(filtered).not.toContain(`value="${c.targets[2]!.id}"`)
  })

  it('shows the form again with the error and the supporter’s text after a bad send', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: `/c/${c.slug}/act`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams(actBody(c, { text: `<b>mine</b> ${'a'.repeat(300)}`, message: c.messages[2]!.id })).toString()
    })
    expect(res.statusCode).toBe(400)
    expect(res.body).toContain('<html lang="en"')
    expect(res.body).toMatch(/role="alert"/)
    expect(res.body).toMatch(/too long for X/)
    // Escaped, never raw.
    expect(res.body).toContain('&lt;b&gt;mine&lt;/b&gt;')
    expect(res.body).not.toContain('<b>mine</b>')
    // The language switch leads back to the campaign page, not to the form's address.
    expect(res.body).toContain(`href="/c/${c.slug}?lang=fr"`)
    expect(res.body).not.toContain('/act?lang=')
  })

  it('sets a strict CSP whose nonce is on the page script, and loads nothing from elsewhere', async () => {
    const res = await get(`/c/${c.slug}`)
    const csp = String(res.headers['content-security-policy'])
    expect(csp).toContain("default-src 'self'")
    expect(csp).toContain("object-src 'none'")
    expect(csp).toContain("frame-ancestors 'none'")
    expect(csp).not.toContain('unsafe-inline')
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1]
    expect(nonce).toBeTruthy()
    expect(res.body).toContain(`nonce="${nonce}"`)
    expect(res.headers['x-content-type-options']).toBe('nosniff')
    expect(res.headers['strict-transport-security']).toMatch(/max-age=/)
    expect(res.headers['set-cookie']).toBeUndefined()
    const external = [...res.body.matchAll(/(?:src|href)="(https?:)?\/\/[^"]+"/g)].map((m) => m[0]).filter((u) => !u.includes('bouteille.test'))
    expect(external).toEqual([])
    expect(res.body).not.toMatch(/style="/)
  })

  it('sends a cached page view with the same security headers as every other response', async () => {
    const warm = await get(`/c/${c.slug}?lang=en`)
    const hot = await get(`/c/${c.slug}?lang=en`)
    const other = await get('/healthz')
    expect(warm.statusCode).toBe(200)
    expect(hot.statusCode).toBe(200)
    for (const [name, value] of Object.entries(other.headers)) {
      if (['content-type', 'content-length', 'date', 'connection', 'keep-alive', 'content-security-policy'].includes(name)) continue
      expect(hot.headers[name], name).toBe(value)
    }
    // The same policy, with this view's own nonce.
    const policy = (h: unknown) => String(h).replace(/ 'nonce-[^']+'/, '')
    expect(policy(hot.headers['content-security-policy'])).toBe(policy(other.headers['content-security-policy']))
    expect(hot.headers['content-security-policy']).not.toBe(warm.headers['content-security-policy'])
    expect(Number(hot.headers['content-length'])).toBe(hot.rawPayload.length)
  })

  it('takes turns with the message variants from one view to the next', async () => {
    const selected = async () => /<input class="variant-radio"[^>]*id="m-([0-9a-f-]{36})"[^>]*checked/.exec((await get(`/c/${c.slug}?lang=en`)).body)?.[1]
    const english = c.messages.filter((m) => m.locale === 'en' && m.targetId === null).map((m) => m.id)
    expect(english.length).toBeGreaterThan(1)
    const seen = new Set<string>()
    for (let i = 0; i < english.length * 2; i++) seen.add((await selected())!)
    expect([...seen].sort()).toEqual([...english].sort())
  })

  it('ignores tracking parameters: the page and its links are the same, and carry none of them', async () => {
    const strip = (html: string) => html.replace(/nonce="[^"]+"/g, '').replace(/name="key" value="[^"]+"/, '')
    const a = await get(`/c/${c.slug}?lang=en&message=${c.messages.find((m) => m.locale === 'en')!.id}&utm_source=newsletter&fbclid=AAA111`)
    const b = await get(`/c/${c.slug}?lang=en&message=${c.messages.find((m) => m.locale === 'en')!.id}&fbclid=BBB222`)
    expect(a.statusCode).toBe(200)
    expect(strip(a.body)).toBe(strip(b.body))
    for (const mark of ['utm_source', 'fbclid', 'AAA111', 'BBB222']) expect(a.body).not.toContain(mark)
    // What the page does read is kept in its language links.
    expect(a.body).toContain(`href="/c/${c.slug}?message=${c.messages.find((m) => m.locale === 'en')!.id}&amp;lang=fr"`)
  })

  it('answers HEAD on a cached page with the headers and no body', async () => {
    await get(`/c/${c.slug}`)
    const res = await t.app.inject({ method: 'HEAD', url: `/c/${c.slug}` })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/text\/html/)
    expect(Number(res.headers['content-length'])).toBeGreaterThan(10_000)
    expect(res.rawPayload.length).toBe(0)
  })

  it('serves the self-hosted assets', async () => {
    for (const path of ['/assets/css/app.css', '/assets/js/campaign.js', '/assets/js/networks.js', '/assets/img/favicon.svg']) {
      const res = await get(path)
      expect(res.statusCode, path).toBe(200)
    }
  })

  it('draws the page’s icons from the self-hosted sprite, which holds every one asked for', async () => {
    const bad = await t.app.inject({ method: 'POST', url: `/c/${c.slug}/act`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(actBody(c, { text: 'x'.repeat(300) })).toString() })
    const html = (await get(`/c/${c.slug}?lang=en`)).body + bad.body
    const ids = new Set([...html.matchAll(/<use href="\/assets\/img\/icons\.[0-9a-f]{10}\.svg#([\w-]+)"\/>/g)].map((m) => m[1]!))
    for (const id of ['logo', 'x', 'bluesky', 'mastodon', 'threads', 'mail', 'bottle', 'check', 'alert']) expect(ids, id).toContain(id)
    expect(html.match(/<use /g)?.length).toBe(html.match(/<use href="\/assets\/img\/icons\.[0-9a-f]{10}\.svg#/g)?.length)
    const sprite = await get('/assets/img/icons.svg')
    expect(sprite.statusCode).toBe(200)
    expect(sprite.headers['content-type']).toMatch(/^image\/svg\+xml/)
    expect(sprite.headers['cache-control']).toMatch(/max-age=[1-9]/)
    for (const id of ids) expect(sprite.body, id).toContain(`<symbol id="${id}" viewBox="`)
  })

  it('thanks the supporter with share links built on fixed bases', async () => {
    const res = await get(`/c/${c.slug}/thanks?lang=en&via=x`)
    expect(res.statusCode).toBe(200)
    // The buttons go through the counting redirect (test/routes/reach.test.ts), which answers with the network's base.
    const locations = await Promise.all(['x', 'threads', 'bluesky'].map(async (network) => {
      const href = new RegExp(`href="(/c/${c.slug}/share/${network}\\?[^"]+)"`).exec(res.body)![1]!.replace(/&amp;/g, '&')
      return String((await get(href)).headers.location)
    }))
    expect(locations[0]).toMatch(/^https:\/\/x\.com\/intent\/tweet\?text=/)
    expect(locations[1]).toMatch(/^https:\/\/www\.threads\.com\/intent\/post\?text=/)
    expect(locations[2]).toMatch(/^https:\/\/bsky\.app\/intent\/compose\?text=/)
    expect(locations[0]).toContain(encodeURIComponent('#tweetbottle'))
    expect(locations[0]).toContain(encodeURIComponent(`http://bouteille.test/c/${c.slug}?lang=en`))
  })

  it('lists live campaigns on the home page, not drafts or closed ones', async () => {
    const draft = await seedCampaign(t.deps, { status: 'draft' })
    const closed = await seedCampaign(t.deps, { status: 'closed' })
    const res = await get('/?lang=en')
    expect(res.statusCode).toBe(200)
    expect(res.body).toContain(`/c/${c.slug}`)
    expect(res.body).not.toContain(`/c/${draft.slug}`)
    expect(res.body).not.toContain(`/c/${closed.slug}`)
  })

  it('answers unknown pages and campaigns with a 404 page, and drafts stay hidden', async () => {
    const draft = await seedCampaign(t.deps, { status: 'draft' })
    for (const url of ['/c/nothing-here', `/c/${draft.slug}`, `/c/${draft.slug}/progress.json`, '/nope', '/c/UPPER']) {
      const res = await get(url, { accept: 'text/html' })
      expect(res.statusCode, url).toBe(404)
      expect(res.body, url).toMatch(/<html/)
    }
    const json = await get('/c/nothing-here/progress.json', { accept: 'application/json' })
    expect(json.json()).toHaveProperty('error')
  })

  it('gives a 404 page one button, in the language the supporter was reading', async () => {
    for (const [url, lang, label] of [['/c/nothing-here?lang=fr', 'fr', 'Voir toutes les campagnes'], ['/nope?lang=en', 'en', 'See all campaigns']] as const) {
      const res = await get(url, { accept: 'text/html' })
      expect(res.statusCode).toBe(404)
      const actions = /<p class="error-actions">([\s\S]*?)<\/p>/.exec(res.body)![1]!
      expect(actions.match(/<a /g), url).toHaveLength(1)
      expect(actions).toContain(`href="/?lang=${lang}"`)
      expect(pageText(actions).trim()).toBe(label)
    }
  })

  it('serves progress.json with the contract’s fields', async () => {
    const p = (await get(`/c/${c.slug}/progress.json`)).json()
    expect(p).toMatchObject({ slug: c.slug, total: expect.any(Number), goal: expect.any(Number), channels: expect.any(Object), updatedAt: expect.any(String) })
    expect(p.targets).toHaveLength(3)
    expect(p.targets[0]).toEqual({ id: c.targets[0]!.id, name: 'Alice Martin', count: expect.any(Number) })
  })

  it('serves the progress of a campaign from memory: a viewer causes no query', async () => {
    await get(`/c/${c.slug}/progress.json`)
    await get(`/c/${c.slug}`)
    const queries = countPoolQueries(t.deps.pool)
    try {
      for (let i = 0; i < 20; i++) {
        expect((await get(`/c/${c.slug}/progress.json`)).statusCode).toBe(200)
        expect((await get(`/c/${c.slug}`)).statusCode).toBe(200)
      }
      expect(queries.count()).toBe(0)
    } finally {
      queries.restore()
    }
  })

  it('answers health and readiness', async () => {
    expect((await get('/healthz')).json()).toEqual({ status: 'ok' })
    expect((await get('/readyz')).json()).toEqual({ status: 'ready', checks: { postgres: 'ok', redis: 'ok' } })
  })
})
