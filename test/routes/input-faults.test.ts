import { request as httpRequest } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { actBody, buildTestApp, listen, pageText, seedCampaign, signIn, type SeededCampaign } from '../helper.ts'

const FORM = { 'content-type': 'application/x-www-form-urlencoded' }
const CHANNELS = ['x', 'bluesky', 'mastodon', 'threads', 'email', 'bottle'] as const

/** A raw HTTP request (HEAD included): resolves with the status, the headers and when the response ended. */
function rawRequest (base: string, method: string, path: string): Promise<{ status: number, headers: Record<string, unknown>, ended: boolean }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { method }, (res) => {
      const timer = setTimeout(() => { req.destroy(); resolve({ status: res.statusCode ?? 0, headers: res.headers, ended: false }) }, 2000)
      res.resume()
      res.on('end', () => { clearTimeout(timer); resolve({ status: res.statusCode ?? 0, headers: res.headers, ended: true }) })
    })
    req.on('error', reject)
    req.end()
  })
}

describe('control characters and HEAD on event streams', () => {
  let t: Awaited<ReturnType<typeof buildTestApp>>
  let c: SeededCampaign
  beforeAll(async () => {
    t = await buildTestApp()
    c = await seedCampaign(t.deps)
  })
  afterAll(async () => { await t.close() })
  const rows = async (key: string) => (await t.deps.pool.query('SELECT id FROM actions WHERE key = $1', [key])).rows

  it('refuses a NUL byte in the text with 400 on every channel, as JSON and as the form shown again, recording nothing', async () => {
    for (const channel of CHANNELS) {
      const json = actBody(c, { channel, text: 'Agissez\u0000 maintenant', instance: 'mastodon.social' })
      const j = await t.app.inject({ method: 'POST', url: `/c/${c.slug}/act`, headers: { accept: 'application/json' }, payload: json })
      expect(j.statusCode, channel).toBe(400)
      expect(j.json().error).toMatch(/caractère de contrôle/)
      expect(await rows(json.key!)).toHaveLength(0)

      const form = actBody(c, { channel, message: c.messages[2]!.id, text: 'Act\u0000 now\u0007 please', instance: 'mastodon.social' })
      const f = await t.app.inject({ method: 'POST', url: `/c/${c.slug}/act?lang=en`, headers: { ...FORM, 'accept-language': 'en' }, payload: new URLSearchParams(form).toString() })
      expect(f.statusCode, channel).toBe(400)
      expect(pageText(f.body)).toContain('invisible control character')
      // The text comes back without the control characters, ready to send again.
      expect(f.body).toContain('Act now please')
      expect(f.body).not.toContain('\u0000')
      expect(await rows(form.key!)).toHaveLength(0)
    }
  })

  it('takes tabs and line breaks', async () => {
    const body = actBody(c, { channel: 'bottle', text: 'Première ligne\r\nseconde\tligne' })
    const res = await t.app.inject({ method: 'POST', url: `/c/${c.slug}/act`, headers: { accept: 'application/json' }, payload: body })
    expect(res.statusCode).toBe(201)
    expect(await rows(body.key!)).toHaveLength(1)
  })

  it('refuses control characters in a bottle signature, a query value or name and admin forms with 400, never 500', async () => {
    const sig = await t.app.inject({ method: 'POST', url: `/c/${c.slug}/act`, headers: { accept: 'application/json' }, payload: actBody(c, { channel: 'bottle', signature_name: 'A\u0000', publish_consent: '1' }) })
    expect(sig.statusCode).toBe(400)
    const query = await t.app.inject({ url: `/c/${c.slug}/wall?locale=fr%00` })
    expect(query.statusCode).toBe(400)
    expect(pageText(query.body)).toContain('caractère de contrôle')
    const queryKey = await t.app.inject({ url: `/c/${c.slug}/thanks?via%00=x` })
    expect(queryKey.statusCode).toBe(400)
    // The campaign page runs no hook (its hot path): it makes the same check itself.
    const page = await t.app.inject({ url: `/c/${c.slug}?lang=en%01` })
    expect(page.statusCode).toBe(400)
    const login = await t.app.inject({ method: 'POST', url: '/admin/login', headers: { ...FORM, accept: 'application/json' }, payload: 'email=a%00%40example.org&password=x' })
    expect(login.statusCode).toBe(400)
    expect(login.json().error).toMatch(/control|contrôle/)
    const owner = await signIn(t.deps, 'owner')
    const edit = await t.app.inject({
      method: 'POST',
      url: `/admin/campaigns/${c.id}/bottle/blocked-words`,
      headers: { ...FORM, cookie: owner.cookie },
      payload: new URLSearchParams({ _csrf: owner.csrf, words: 'spam\u0000' }).toString()
    })
    expect(edit.statusCode).toBe(400)
  })

  it('answers HEAD on the event streams with their headers and ends the response, holding no stream', async () => {
    const base = await listen(t)
    for (const path of [`/c/${c.slug}/events`, `/c/${c.slug}/wall/events`]) {
      const res = await rawRequest(base, 'HEAD', path)
      expect(res.status, path).toBe(200)
      expect(res.headers['content-type'], path).toMatch(/^text\/event-stream/)
      expect(res.ended, path).toBe(true)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(t.deps.progressHub.connections()).toBe(0)
    expect(t.deps.bottleHub.connections()).toBe(0)
  })
})
