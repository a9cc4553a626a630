import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { targets } from '../../server/db/schema.ts'
import { buildTestApp, eventually, listen, seedCampaign, type SeededCampaign, type SignedIn, signIn } from '../helper.ts'
import { redisRelay } from '../redis-relay.ts'

describe('admin: the CSV import when Redis is not answering', () => {
  let relay: Awaited<ReturnType<typeof redisRelay>>
  let t: Awaited<ReturnType<typeof buildTestApp>>
  let c: SeededCampaign
  let editor: SignedIn
  let baseUrl: string

  beforeAll(async () => {
    relay = await redisRelay()
    t = await buildTestApp({ REDIS_URL: relay.url })
    c = await seedCampaign(t.deps)
    editor = await signIn(t.deps, 'editor')
    baseUrl = await listen(t)
  })
  afterAll(async () => {
    // Closing the queues needs Redis back.
    await relay?.restore()
    await t?.close()
  })

  const importUrl = () => `/admin/campaigns/${c.id}/targets/import`
  const csv = 'name,x,email\r\nAda Njoroge,adanjoroge,ada@example.org\r\nLeilani Kahale,leilanik,leilani@example.org\r\n'
  /** The file sent as a browser sends it (multipart, with the CSRF token). */
  const upload = async (body: string, lang = 'en') => {
    const form = new FormData()
    form.append('_csrf', editor.csrf)
    form.append('file', new Blob([body], { type: 'text/csv' }), 'targets.csv')
    const res = await fetch(baseUrl + importUrl(), { method: 'POST', body: form, redirect: 'manual', headers: { 'accept-language': lang, cookie: editor.cookie } })
    return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.text() }
  }
  const confirm = (action: string, lang = 'en') => t.app.inject({
    method: 'POST',
    url: action,
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': lang, cookie: editor.cookie },
    payload: new URLSearchParams({ _csrf: editor.csrf }).toString()
  })
  const names = async () => (await t.deps.db.select({ name: targets.name }).from(targets).where(eq(targets.campaignId, c.id))).map((r) => r.name).sort()
  const confirmAction = (html: string) => /action="([^"]+\/confirm)"/.exec(html)?.[1]

  it('answers a clear 503 in the admin’s language, keeps the upload form, writes nothing, and works again once Redis is back; other saves go on', async () => {
    const before = await names()
    // Through the relay, the preview works: its confirmation is kept in Redis.
    const kept = await upload(csv)
    expect(kept.status).toBe(200)
    const action = confirmAction(kept.body)!
    expect(action).toMatch(/\/import\/[A-Za-z0-9_-]{22}\/confirm$/)

    await relay.cut()
    await eventually(async () => t.deps.redis.status !== 'ready', 5000, 'the client to see Redis gone')

    const en = await upload(csv)
    expect(en.status).toBe(503)
    expect(en.retryAfter).toBe('60')
    expect(en.body).toContain('The import preview needs Redis, which is not answering; try again in a minute.')
    expect(en.body).toContain(`action="${importUrl()}"`)
    expect(en.body).not.toContain('/confirm"')
    const fr = await upload(csv, 'fr')
    expect(fr.status).toBe(503)
    expect(fr.body).toContain('L’aperçu de l’import a besoin de Redis, qui ne répond pas ; réessayez dans une minute.')

    // A file with problems needs no Redis: its row-by-row answer is unchanged.
    const bad = await upload('name,email\r\nNo Mail,not-an-email\r\n')
    expect(bad.status).toBe(400)
    expect(bad.body).toContain('data-testid="row-errors"')

    // Confirming the import previewed before: the same 503, and the import is not lost.
    const refused = await confirm(action, 'fr')
    expect(refused.statusCode).toBe(503)
    expect(refused.body).toContain('L’aperçu de l’import a besoin de Redis')
    expect(await names()).toEqual(before)

    // A change saved in PostgreSQL is not turned into an error by the announcement Redis could not carry.
    const form = (url: string, fields: Record<string, string>) => t.app.inject({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'en', cookie: editor.cookie },
      payload: new URLSearchParams({ _csrf: editor.csrf, ...fields }).toString()
    })
    expect((await form(`/admin/campaigns/${c.id}/targets`, { name: 'Tomás Ferreira', x: 'tomasferreira' })).statusCode).toBe(303)
    expect(await names()).toEqual([...before, 'Tomás Ferreira'].sort())
    const variant = await form(`/admin/campaigns/${c.id}/messages`, { op: 'save', locale: 'en', targetId: '', body: '{target} the sea cannot wait. {hashtags} {link}' })
    expect(variant.statusCode).toBe(303)
    expect((await t.deps.pool.query('SELECT 1 FROM messages WHERE campaign_id = $1 AND body LIKE $2', [c.id, '%the sea cannot wait%'])).rowCount).toBe(1)

    await relay.restore()
    await eventually(async () => (await upload(csv)).status === 200, 10_000, 'the upload to work again')
    const done = await confirm(action)
    expect(done.statusCode).toBe(303)
    expect(await names()).toEqual([...before, 'Tomás Ferreira', 'Ada Njoroge', 'Leilani Kahale'].sort())
  })
})
