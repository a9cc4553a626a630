import { randomBytes, randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tallyCampaign } from '../../jobs/tally-job.ts'
import { hashWithdrawToken } from '../../server/domain/privacy-rules.ts'
import { actBody, buildTestApp, eventually, listen, pageText, readEventStream, seedCampaign, signIn, type SeededCampaign, type SignedIn } from '../helper.ts'

const SAME_ORIGIN = { 'sec-fetch-site': 'same-origin', 'content-type': 'application/x-www-form-urlencoded' }

describe('a supporter withdraws a bottle message with the private link', () => {
  let t: Awaited<ReturnType<typeof buildTestApp>>
  let c: SeededCampaign
  let editor: SignedIn
  let base: string

  beforeAll(async () => {
    t = await buildTestApp()
    base = await listen(t)
    c = await seedCampaign(t.deps)
    editor = await signIn(t.deps, 'editor')
  })
  afterAll(async () => { await t.close() })

  /** Drops a message in the bottle (JSON answer); returns its key, row id and the private token. */
  async function drop (fields: Record<string, string> = {}): Promise<{ key: string, id: number, token: string, url: string }> {
    const body = actBody(c, { channel: 'bottle', text: `Écoutez-nous, message ${randomUUID()}`, signature_name: 'Inès', signature_town: 'Nantes', publish_consent: '1', ...fields })
    const res = await t.app.inject({ method: 'POST', url: `/c/${c.slug}/act`, headers: { accept: 'application/json' }, payload: body })
    expect(res.statusCode).toBe(201)
    const url = String(res.json().withdrawUrl)
    const token = url.split('/').pop()!
    const row = (await t.deps.pool.query('SELECT b.id FROM bottle_messages b JOIN actions a ON a.id = b.action_id WHERE a.key = $1', [body.key])).rows[0]
    return { key: body.key!, id: Number(row.id), token, url }
  }
  const page = (token: string, lang = 'en') => t.app.inject({ url: `/c/${c.slug}/withdraw/${token}?lang=${lang}` })
  const withdraw = (token: string, headers: Record<string, string> = SAME_ORIGIN) => t.app.inject({ method: 'POST', url: `/c/${c.slug}/withdraw/${token}?lang=en`, headers, payload: '' })
  const messageRow = async (id: number) => (await t.deps.pool.query('SELECT * FROM bottle_messages WHERE id = $1', [id])).rows[0]
  const total = async () => (await t.deps.actionRepo.counts(c.id)).find((r) => r.dimension === 'total')?.count ?? 0

  it('gives the link once (JSON answer and thank-you address) and keeps only its SHA-256', async () => {
    const m = await drop()
    expect(m.url).toBe(`http://bouteille.test/c/${c.slug}/withdraw/${m.token}`)
    expect(m.token).toMatch(/^[A-Za-z0-9_-]{24}$/)
    expect((await messageRow(m.id)).withdraw_token_hash).toBe(hashWithdrawToken(m.token))
    // The token itself is nowhere in the database.
    const found = await t.deps.pool.query('SELECT 1 FROM bottle_messages b, actions a WHERE strpos(b::text, $1) > 0 OR strpos(a::text, $1) > 0 LIMIT 1', [m.token])
    expect(found.rows).toEqual([])
    expect((await t.deps.pool.query('SELECT 1 FROM audit_log WHERE strpos(audit_log::text, $1) > 0', [m.token])).rows).toEqual([])
    // A repeat of the same send answers without a link: it was shown once.
    const again = await t.app.inject({ method: 'POST', url: `/c/${c.slug}/act`, headers: { accept: 'application/json' }, payload: actBody(c, { channel: 'bottle', key: m.key }) })
    expect(again.json().withdrawUrl).toBeUndefined()
    // A network send without a copy in the bottle has none.
    const x = await t.app.inject({ method: 'POST', url: `/c/${c.slug}/act`, headers: { accept: 'application/json' }, payload: actBody(c, { channel: 'x' }) })
    expect(x.json().withdrawUrl).toBeUndefined()
  })

  it('shows the link on the thank-you page, which then sends no Referer and is not indexed', async () => {
    const m = await drop()
    const res = await t.app.inject({ url: `/c/${c.slug}/thanks?lang=en&via=bottle&withdraw=${m.token}` })
    expect(res.statusCode).toBe(200)
    expect(res.headers['referrer-policy']).toBe('no-referrer')
    expect(res.headers['x-robots-tag']).toMatch(/noindex/)
    expect(res.headers['cache-control']).toBe('no-store')
    expect(res.body).toContain(`value="${m.url}"`)
    expect(pageText(res.body)).toContain('Your private link to withdraw your message')
    // Without it the page keeps the site's policy; a malformed one is not shown.
    const plain = await t.app.inject({ url: `/c/${c.slug}/thanks?lang=en&via=bottle` })
    expect(plain.headers['referrer-policy']).toBe('strict-origin-when-cross-origin')
    expect(plain.body).not.toContain('data-testid="withdraw-link"')
    const bad = await t.app.inject({ url: `/c/${c.slug}/thanks?lang=en&via=bottle&withdraw=%22%3E%3Cb%3Ex` })
    expect(bad.body).not.toContain('data-testid="withdraw-link"')
  })

  it('shows the message on a private page, in the supporter’s language', async () => {
    const m = await drop({ text: 'Mon message à retirer plus tard' })
    const en = await page(m.token)
    expect(en.statusCode).toBe(200)
    expect(en.headers['referrer-policy']).toBe('no-referrer')
    expect(en.headers['x-robots-tag']).toMatch(/noindex/)
    expect(en.headers['set-cookie']).toBeUndefined()
    const text = pageText(en.body)
    expect(text).toContain('Withdraw your message from the bottle')
    expect(text).toContain('Mon message à retirer plus tard')
    expect(text).toContain('signed Inès, Nantes')
    expect(en.body).toContain(`action="/c/${c.slug}/withdraw/${m.token}?lang=en"`)
    expect(pageText((await page(m.token, 'fr')).body)).toContain('Retirer votre message de la bouteille')
  })

  it('removes an approved message from the live wall, the counts and the row at once; a replay is harmless', async () => {
    const m = await drop()
    const res = await t.app.inject({
      method: 'POST',
      url: `/admin/campaigns/${c.id}/bottle/moderate`,
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: editor.cookie },
      payload: new URLSearchParams({ _csrf: editor.csrf, one: `approve:${m.id}` }).toString()
    })
    expect(res.statusCode).toBe(303)
    await tallyCampaign(t.deps, c.id)
    const before = await total()
    const stream = await readEventStream<{ event: string, data: { id: number } }>(base, `/c/${c.slug}/wall/events`, { firstData: true })
    try {
      const done = await withdraw(m.token)
      expect(done.statusCode).toBe(303)
      expect(done.headers.location).toBe(`/c/${c.slug}/withdrawn?lang=en`)
      await eventually(async () => stream.events.some((e) => e.event === 'removed' && e.data.id === m.id), 5000, 'removed pushed to the wall')
    } finally {
      stream.close()
    }
    expect(await messageRow(m.id)).toBeUndefined()
    const action = (await t.deps.pool.query('SELECT discounted, text FROM actions WHERE key = $1', [m.key])).rows[0]
    expect(action).toEqual({ discounted: true, text: '' })
    expect(await total()).toBe(before - 1)
    expect((await t.deps.progressService.read(c.id))?.total).toBe(before - 1)
    // A rebuild from the rows agrees, and the withdrawal is counted (nothing of the message is logged).
    await t.deps.actionRepo.rebuild(c.id)
    expect(await total()).toBe(before - 1)
    expect(await t.deps.withdrawals.count(c.id)).toBe(1)
    const wall = (await t.app.inject({ url: `/c/${c.slug}/wall`, headers: { accept: 'application/json' } })).json()
    expect(wall.items.map((i: { id: number }) => i.id)).not.toContain(m.id)
    const done = await t.app.inject({ url: `/c/${c.slug}/withdrawn?lang=en` })
    expect(pageText(done.body)).toContain('Your message has been withdrawn')

    // The same link again: a clear 404, nothing else changes.
    const replay = await withdraw(m.token)
    expect(replay.statusCode).toBe(404)
    expect(pageText(replay.body)).toContain('This withdrawal link is not valid, or the message was already withdrawn')
    expect((await page(m.token)).statusCode).toBe(404)
    expect(await total()).toBe(before - 1)
    expect(await t.deps.withdrawals.count(c.id)).toBe(1)
  })

  it('refuses a guessed or malformed token with a 404 page, and a post from another site', async () => {
    const m = await drop()
    const guessed = randomBytes(18).toString('base64url')
    expect((await page(guessed)).statusCode).toBe(404)
    expect((await withdraw(guessed)).statusCode).toBe(404)
    expect((await page('short')).statusCode).toBe(404)
    expect((await withdraw('../../etc')).statusCode).toBe(404)
    // Another campaign's slug with a good token finds nothing either.
    const other = await seedCampaign(t.deps)
    expect((await t.app.inject({ url: `/c/${other.slug}/withdraw/${m.token}` })).statusCode).toBe(404)
    const json = await t.app.inject({ url: `/c/${c.slug}/withdraw/${guessed}?lang=en`, headers: { accept: 'application/json' } })
    expect(json.json()).toEqual({ error: expect.stringContaining('withdrawal link is not valid') })
    // A cross-site form cannot withdraw it for the supporter.
    const cross = await withdraw(m.token, { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' })
    expect(cross.statusCode).toBe(403)
    expect(await messageRow(m.id)).toBeDefined()
  })

  it('takes a withdrawn message out of a dossier built but not sent yet', async () => {
    const m = await drop({ text: 'Ce message ne doit pas partir dans le dossier' })
    await t.deps.pool.query("UPDATE bottle_messages SET status = 'approved' WHERE id = $1", [m.id])
    const target = c.targets[0]!.id
    const built = await t.deps.dossiers.build(c.id, target)
    expect(built!.html).toContain('Ce message ne doit pas partir dans le dossier')
    const { rows: [d] } = await t.deps.pool.query(`INSERT INTO deliveries (campaign_id, target_id, status, message_id, built_at, pdf, html, mail, message_count)
      VALUES ($1, $2, 'queued', $3, now(), $4, $5, $6, 1) RETURNING id`, [c.id, target, `<${randomUUID()}@test>`, built!.pdf, built!.html, JSON.stringify({ subject: 's', text: 't', html: 'h' })])
    expect((await withdraw(m.token)).statusCode).toBe(303)
    const after = (await t.deps.pool.query('SELECT built_at, pdf, html, mail FROM deliveries WHERE id = $1', [d.id])).rows[0]
    expect(after).toEqual({ built_at: null, pdf: null, html: null, mail: null })
    // Built again at its send: without the message.
    expect((await t.deps.dossiers.build(c.id, target))!.html).not.toContain('Ce message ne doit pas partir dans le dossier')
  })
})
