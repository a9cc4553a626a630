import { randomUUID } from 'node:crypto'
import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { auditLog, bottleMessages } from '../../server/db/schema.ts'
import { actBody, buildTestApp, eventually, listen, pageText, seedCampaign, signIn, type SeededCampaign, type SignedIn, readEventStream } from '../helper.ts'

type Fields = Record<string, string | string[]>

/** Opens a wall's SSE stream and collects its events, once it is subscribed. */
const openWallStream = (base: string, path: string) =>
  readEventStream<{ event: string, data: { id: number, [k: string]: unknown } }>(base, path, { firstData: true })

describe('the bottle: moderation and the public wall', () => {
  let t: Awaited<ReturnType<typeof buildTestApp>>
  let c: SeededCampaign
  let other: SeededCampaign
  let editor: SignedIn
  let viewer: SignedIn
  let base: string

  beforeAll(async () => {
    t = await buildTestApp()
    base = await listen(t)
    c = await seedCampaign(t.deps)
    other = await seedCampaign(t.deps)
    editor = await signIn(t.deps, 'editor')
    viewer = await signIn(t.deps, 'viewer')
  })
  afterAll(async () => { await t.close() })

  const queueUrl = (campaignId = c.id) => `/admin/campaigns/${campaignId}/bottle`
  const get = (url: string, who?: SignedIn, lang = 'en') => t.app.inject({ url, headers: { 'accept-language': lang, ...(who ? { cookie: who.cookie } : {}) } })
  const post = (url: string, fields: Fields, who?: SignedIn, csrf = true) => {
    const p = new URLSearchParams()
    for (const [k, v] of Object.entries(csrf && who ? { _csrf: who.csrf, ...fields } : fields)) for (const x of [v].flat()) p.append(k, x)
    return t.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'en', ...(who ? { cookie: who.cookie } : {}) }, payload: p.toString() })
  }
  /** Puts a message in the bottle through the public form; returns its row id. */
  async function drop (campaign: SeededCampaign, fields: Record<string, string> = {}): Promise<number> {
    const body = actBody(campaign, { channel: 'bottle', text: `Agissez pour le climat, message ${randomUUID()}`, ...fields })
    const res = await t.app.inject({ method: 'POST', url: `/c/${campaign.slug}/act`, headers: { accept: 'application/json' }, payload: body })
    expect(res.statusCode).toBe(201)
    const row = (await t.deps.pool.query('SELECT b.id FROM bottle_messages b JOIN actions a ON a.id = b.action_id WHERE a.key = $1', [body.key])).rows[0]
    return Number(row.id)
  }
  /** The page a 303 leads to, with the flash cookie it set (the next admin page shows it once). */
  const follow = async (res: Awaited<ReturnType<typeof post>>, who: SignedIn) => {
    const flash = res.cookies.find((x) => x.name === 'bouteille_flash')
    return t.app.inject({ url: String(res.headers.location), headers: { 'accept-language': 'en', cookie: `${who.cookie}${flash ? `; bouteille_flash=${flash.value}` : ''}` } })
  }
  const row = async (id: number) => (await t.deps.db.select().from(bottleMessages).where(eq(bottleMessages.id, id)))[0]!
  const wallJson = async (query = '', slug = c.slug) => (await t.app.inject({ url: `/c/${slug}/wall${query}`, headers: { accept: 'application/json' } })).json()

  describe('roles and CSRF', () => {
    it('lets a viewer read the queue but not moderate', async () => {
      const id = await drop(c)
      const page = await get(queueUrl(), viewer)
      expect(page.statusCode).toBe(200)
      expect(page.body).toContain(`data-bottle-id="${id}"`)
      expect(page.body).not.toContain('name="one"')
      expect(page.body).not.toContain('name="words"')
      const res = await post(`${queueUrl()}/moderate`, { one: `approve:${id}` }, viewer)
      expect(res.statusCode).toBe(403)
      expect((await row(id)).status).toBe('pending')
    })
    it('sends a stranger to the login page and refuses a form without its CSRF token', async () => {
      const res = await get(queueUrl())
      expect(res.statusCode).toBe(303)
      expect(res.headers.location).toMatch(/^\/admin\/login\?next=/)
      const id = await drop(c)
      const forged = await post(`${queueUrl()}/moderate`, { one: `approve:${id}` }, editor, false)
      expect(forged.statusCode).toBe(403)
      expect((await row(id)).status).toBe('pending')
    })
    it('declares its routes with their roles', () => {
      const table = t.app.adminRoutes.filter((r) => r.url.includes('/bottle'))
      expect(table).toEqual(expect.arrayContaining([
        { method: 'GET', url: '/admin/campaigns/:id/bottle', access: 'viewer', campaign: true },
        { method: 'POST', url: '/admin/campaigns/:id/bottle/moderate', access: 'editor', campaign: true },
        { method: 'POST', url: '/admin/campaigns/:id/bottle/blocked-words', access: 'editor', campaign: true }
      ]))
    })
  })

  describe('moderating', () => {
    it('approves, features, unfeatures and rejects one message, audited, and the wall follows', async () => {
      const id = await drop(c, { signature_name: 'Marie', signature_town: 'Lyon', publish_consent: '1' })
      expect((await wallJson()).items.map((m: { id: number }) => m.id)).not.toContain(id)

      const res = await post(`${queueUrl()}/moderate`, { one: `approve:${id}`, status: 'review' }, editor)
      expect(res.statusCode).toBe(303)
      expect(res.headers.location).toBe(queueUrl())
      expect(await row(id)).toMatchObject({ status: 'approved', featured: false, reviewedBy: editor.user.id })
      const after = await follow(res, editor)
      expect(pageText(after.body)).toContain('1 message approved: it is on the wall.')
      await eventually(async () => (await wallJson()).items.some((m: { id: number }) => m.id === id), 5000, 'approved on the wall')

      await post(`${queueUrl()}/moderate`, { one: `feature:${id}` }, editor)
      expect(await row(id)).toMatchObject({ status: 'approved', featured: true })
      await post(`${queueUrl()}/moderate`, { one: `unfeature:${id}` }, editor)
      expect(await row(id)).toMatchObject({ status: 'approved', featured: false })
      await post(`${queueUrl()}/moderate`, { one: `reject:${id}` }, editor)
      expect(await row(id)).toMatchObject({ status: 'rejected', featured: false })
      await eventually(async () => !(await wallJson()).items.some((m: { id: number }) => m.id === id), 5000, 'rejected off the wall')

      const log = await t.deps.db.select().from(auditLog).where(and(eq(auditLog.entity, 'bottle_message'), eq(auditLog.entityId, String(id)))).orderBy(auditLog.id)
      expect(log.map((l) => l.action)).toEqual(['bottle.approve', 'bottle.feature', 'bottle.unfeature', 'bottle.reject'])
      expect(log[0]).toMatchObject({ userId: editor.user.id, campaignId: c.id, before: { status: 'pending', featured: false }, after: { status: 'approved', featured: false } })
    })

    it('features a pending message straight onto the wall, and a repeat changes nothing', async () => {
      const id = await drop(c)
      await post(`${queueUrl()}/moderate`, { one: `feature:${id}` }, editor)
      const first = await row(id)
      expect(first).toMatchObject({ status: 'approved', featured: true })
      const again = await post(`${queueUrl()}/moderate`, { one: `feature:${id}` }, editor)
      expect(again.statusCode).toBe(303)
      expect((await row(id)).reviewedAt).toEqual(first.reviewedAt)
    })

    it('moderates in bulk, ignoring another campaign’s ids', async () => {
      const ids = [await drop(c), await drop(c), await drop(c)]
      const foreign = await drop(other)
      const res = await post(`${queueUrl()}/moderate`, { op: 'approve', ids: [...ids.map(String), String(foreign)] }, editor)
      expect(res.statusCode).toBe(303)
      for (const id of ids) expect((await row(id)).status).toBe('approved')
      expect((await row(foreign)).status).toBe('pending')
      const page = await follow(res, editor)
      expect(pageText(page.body)).toContain('3 messages approved: they are on the wall.')
    })

    it('answers bad moderation input clearly, never a 500', async () => {
      const id = await drop(c)
      const cases: Array<[Fields, number, RegExp]> = [
        [{ one: `destroy:${id}` }, 400, /This action is unknown/],
        [{ op: 'approve', ids: ['12abc'] }, 400, /These messages cannot be read/],
        [{ op: 'approve', ids: Array.from({ length: 51 }, (_, i) => String(i + 1)) }, 400, /These messages cannot be read/],
        [{ op: 'nope', ids: [String(id)] }, 400, /This action is unknown/]
      ]
      for (const [fields, status, message] of cases) {
        const res = await post(`${queueUrl()}/moderate`, fields, editor)
        expect(res.statusCode, JSON.stringify(fields)).toBe(status)
        expect(pageText(res.body)).toMatch(message)
      }
      const none = await post(`${queueUrl()}/moderate`, { op: 'approve' }, editor)
      expect(none.statusCode).toBe(303)
      expect(pageText((await follow(none, editor)).body)).toContain('Tick at least one message first.')
      expect((await get(`${queueUrl()}?status=whatever`, editor)).statusCode).toBe(400)
      expect((await get(`${queueUrl()}?target=x`, editor)).statusCode).toBe(400)
      expect((await get(`${queueUrl()}?before=-1`, editor)).statusCode).toBe(400)
      expect((await get(`/admin/campaigns/${randomUUID()}/bottle`, editor)).statusCode).toBe(404)
    })
  })

  describe('the queue', () => {
    it('filters by target, language and status, shows hold reasons and counts, newest first, paginated by keyset', async () => {
      const fresh = await seedCampaign(t.deps)
      const bob = fresh.targets[1]!.id
      const en = fresh.messages.find((m) => m.locale === 'en')!.id
      const a = await drop(fresh, { target: bob })
      const b = await drop(fresh, { message: en })
      const held = await drop(fresh, { text: 'Voyez www.casino-royal.com pour gagner' })
      const url = queueUrl(fresh.id)

      const review = await get(url, editor)
      const order = [...review.body.matchAll(/data-bottle-id="(\d+)"/g)].map((m) => Number(m[1]))
      expect(order).toEqual([held, b, a])
      expect(review.body).toMatch(/data-view="held"[^>]*>Held <span class="bottle-view-count" data-count="1">/)
      expect(review.body).toMatch(/data-view="pending"[^>]*>Pending <span class="bottle-view-count" data-count="2">/)
      expect(pageText(review.body)).toContain('Contains a link')

      const byTarget = await get(`${url}?status=all&target=${bob}`, editor)
      expect([...byTarget.body.matchAll(/data-bottle-id="(\d+)"/g)].map((m) => Number(m[1]))).toEqual([a])
      const byLocale = await get(`${url}?status=all&locale=en`, editor)
      expect([...byLocale.body.matchAll(/data-bottle-id="(\d+)"/g)].map((m) => Number(m[1]))).toEqual([b])
      const onlyHeld = await get(`${url}?status=held`, editor)
      expect([...onlyHeld.body.matchAll(/data-bottle-id="(\d+)"/g)].map((m) => Number(m[1]))).toEqual([held])
      const older = await get(`${url}?status=all&before=${b}`, editor)
      expect([...older.body.matchAll(/data-bottle-id="(\d+)"/g)].map((m) => Number(m[1]))).toEqual([a])
    })

    it('pages 50 at a time', async () => {
      const fresh = await seedCampaign(t.deps)
      for (let i = 0; i < 52; i++) await drop(fresh)
      const first = await get(queueUrl(fresh.id), editor)
      const ids = [...first.body.matchAll(/data-bottle-id="(\d+)"/g)].map((m) => Number(m[1]))
      expect(ids).toHaveLength(50)
      const next = /href="([^"]+)" rel="next"/.exec(first.body)![1]!.replace(/&amp;/g, '&')
      expect(next).toBe(`${queueUrl(fresh.id)}?before=${ids[49]}`)
      const second = await get(next, editor)
      expect([...second.body.matchAll(/data-bottle-id="(\d+)"/g)]).toHaveLength(2)
    })

    it('edits the blocked words (editors only), audited, used by the next messages', async () => {
      const fresh = await seedCampaign(t.deps)
      const url = `${queueUrl(fresh.id)}/blocked-words`
      expect((await post(url, { words: 'idiot' }, viewer)).statusCode).toBe(403)
      const bad = await post(url, { words: `ok\n${'x'.repeat(61)}` }, editor)
      expect(bad.statusCode).toBe(400)
      expect(pageText(bad.body)).toContain('is too long: at most 60 characters per entry')
      const res = await post(url, { words: 'Idiot\ncrétin, crétin\n' }, editor)
      expect(res.statusCode).toBe(303)
      expect((await t.deps.campaignRepo.findById(fresh.id))!.blockedWords).toEqual(['Idiot', 'crétin'])
      const [entry] = await t.deps.db.select().from(auditLog).where(and(eq(auditLog.entity, 'campaign'), eq(auditLog.campaignId, fresh.id)))
      expect(entry).toMatchObject({ before: { blockedWords: [] }, after: { blockedWords: ['Idiot', 'crétin'] } })
      const held = await eventually(async () => {
        const id = await drop(fresh, { text: `Quel CRETIN ce projet ${randomUUID()}` })
        const r = await row(id)
        return r.status === 'held' ? r : null
      }, 10_000, 'blocked words applied')
      expect(held.holdReasons).toEqual(['blocked_word'])
    })
  })

  describe('GET /c/:slug/wall', () => {
    it('pins the team\'s picks above the first page, however old they are', async () => {
      const fresh = await seedCampaign(t.deps)
      const old = await drop(fresh, { text: 'Le plus ancien, choisi par l’équipe' })
      const ids = [old]
      for (let i = 0; i < 3; i++) ids.push(await drop(fresh, { text: `Un message plus récent numéro ${i} ${randomUUID()}` }))
      await post(`${queueUrl(fresh.id)}/moderate`, { op: 'approve', ids: ids.map(String) }, editor)
      await post(`${queueUrl(fresh.id)}/moderate`, { op: 'feature', ids: [String(old)] }, editor)
      expect(await row(old)).toMatchObject({ status: 'approved', featured: true })
      const page = await eventually(async () => {
        const res = await get(`/c/${fresh.slug}/wall?lang=en`, undefined, 'en')
        return res.body.includes('data-pinned-id') ? res : null
      }, 5000, 'the pick pinned')
      const pinned = page.body.slice(page.body.indexOf('class="wall-pinned"'), page.body.indexOf('id="wall-list"'))
      expect(pageText(pinned)).toContain('The team’s picks')
      expect([...pinned.matchAll(/data-pinned-id="(\d+)"/g)].map((m) => Number(m[1]))).toEqual([old])
      // Pinned first, then every message in its place by date.
      expect(page.body.indexOf('data-pinned-id')).toBeLessThan(page.body.indexOf('id="wall-list"'))
      expect([...page.body.matchAll(/data-id="(\d+)"/g)].map((m) => Number(m[1]))).toEqual([...ids].reverse())
      // A later page has no pinned block.
      const later = await get(`/c/${fresh.slug}/wall?lang=en&before=${ids[1]}`, undefined, 'en')
      expect(later.body).not.toContain('data-pinned-id')
    })

    it('shows only approved messages, the signature only with consent', async () => {
      const fresh = await seedCampaign(t.deps)
      const signed = await drop(fresh, { text: 'Un message signé pour le climat', signature_name: 'Marie', signature_town: 'Lyon', publish_consent: '1' })
      const unsigned = await drop(fresh, { text: 'Un message sans signature pour le climat' })
      const pending = await drop(fresh, { text: 'Un message encore en attente' })
      const rejected = await drop(fresh, { text: 'Un message refusé par l’équipe' })
      const held = await drop(fresh, { text: 'Un lien www.spam-site.com ici' })
      // A signature stored without consent (an older form, an import) is never published.
      await t.deps.pool.query("UPDATE bottle_messages SET signature_name = 'Secret', signature_town = 'Hidden' WHERE id = $1", [unsigned])
      await post(`${queueUrl(fresh.id)}/moderate`, { op: 'approve', ids: [String(signed), String(unsigned)] }, editor)
      await post(`${queueUrl(fresh.id)}/moderate`, { op: 'reject', ids: [String(rejected)] }, editor)

      const page = await get(`/c/${fresh.slug}/wall?lang=fr`, undefined, 'fr')
      expect(page.statusCode).toBe(200)
      const text = pageText(page.body)
      expect(text).toContain('Un message signé pour le climat')
      expect(text).toContain('Marie, Lyon')
      expect(text).toContain('Un message sans signature pour le climat')
      expect(text).toContain('Un soutien')
      for (const hidden of ['Secret', 'Hidden', 'encore en attente', 'refusé par', 'spam-site']) expect(text).not.toContain(hidden)
      expect([...page.body.matchAll(/data-id="(\d+)"/g)].map((m) => Number(m[1]))).toEqual([unsigned, signed])
      expect(page.body).toMatch(/<strong id="wall-count" data-testid="wall-count">2<\/strong>/)
      const json = await wallJson('', fresh.slug)
      expect(json.items.map((m: { id: number }) => m.id)).toEqual([unsigned, signed])
      expect(json.items[0]).toEqual({ id: unsigned, text: 'Un message sans signature pour le climat', locale: 'fr', targetId: fresh.targets[0]!.id, targetName: 'Alice Martin', signatureName: null, signatureTown: null, featured: false, createdAt: expect.any(String) })
      expect(json.items.some((m: { id: number }) => [pending, rejected, held].includes(m.id))).toBe(false)
      // No personal data beyond the agreed signature, and nothing about the moderation.
      expect(JSON.stringify(json)).not.toMatch(/consent|reviewed|hold|fingerprint|action/i)
    })

    it('filters by target and language, paginates newest first, and answers bad filters 400', async () => {
      const fresh = await seedCampaign(t.deps)
      const bob = fresh.targets[1]!.id
      const en = fresh.messages.find((m) => m.locale === 'en')!.id
      const ids: number[] = []
      for (let i = 0; i < 26; i++) ids.push(await drop(fresh, i % 2 ? { target: bob, message: en } : {}))
      await post(`${queueUrl(fresh.id)}/moderate`, { op: 'approve', ids: ids.map(String) }, editor)
      const newest = [...ids].reverse()
      const first = await wallJson('', fresh.slug)
      expect(first.count).toBe(26)
      expect(first.items.map((m: { id: number }) => m.id)).toEqual(newest.slice(0, 24))
      expect(first.before).toBe(newest[23])
      const second = await wallJson(`?before=${first.before}`, fresh.slug)
      expect(second.items.map((m: { id: number }) => m.id)).toEqual(newest.slice(24))
      expect(second.before).toBeNull()
      const page = await get(`/c/${fresh.slug}/wall?lang=en`)
      expect(page.body).toContain(`href="/c/${fresh.slug}/wall?lang=en&amp;before=${newest[23]}" rel="next"`)
      const byTarget = await wallJson(`?target=${bob}`, fresh.slug)
      expect(byTarget.count).toBe(13)
      expect(byTarget.items.every((m: { targetId: string, locale: string }) => m.targetId === bob && m.locale === 'en')).toBe(true)
      const fr = await wallJson('?locale=fr', fresh.slug)
      expect(fr.count).toBe(13)
      expect(fr.items.every((m: { locale: string }) => m.locale === 'fr')).toBe(true)
      for (const q of ['?target=nope', '?locale=english!', '?before=abc', '?before=0']) expect((await get(`/c/${fresh.slug}/wall${q}`)).statusCode, q).toBe(400)
    })

    it('answers 404 for a draft or unknown campaign, like the campaign page', async () => {
      const draft = await seedCampaign(t.deps, { status: 'draft' })
      expect((await get(`/c/${draft.slug}/wall`)).statusCode).toBe(404)
      expect((await get(`/c/${draft.slug}/wall/events`)).statusCode).toBe(404)
      expect((await get('/c/no-such-campaign/wall')).statusCode).toBe(404)
    })

    it('is designed in both languages, empty or not', async () => {
      const fresh = await seedCampaign(t.deps)
      const fr = pageText((await get(`/c/${fresh.slug}/wall?lang=fr`)).body)
      expect(fr).toContain('Les messages de la bouteille')
      expect(fr).toContain('Aucun message sur le mur pour l’instant')
      const en = pageText((await get(`/c/${fresh.slug}/wall?lang=en`)).body)
      expect(en).toContain('The messages in the bottle')
      expect(en).toContain('No message on the wall yet')
    })
  })

  describe('GET /c/:slug/wall/events', () => {
    it('pushes approvals, feature changes and removals live, to the streams whose filters match', async () => {
      const fresh = await seedCampaign(t.deps)
      const bob = fresh.targets[1]!.id
      const all = await openWallStream(base, `/c/${fresh.slug}/wall/events`)
      const onlyBob = await openWallStream(base, `/c/${fresh.slug}/wall/events?target=${bob}`)
      const toAlice = await drop(fresh, { text: 'Pour Alice, en direct sur le mur', signature_name: 'Zoé', publish_consent: '1' })
      const toBob = await drop(fresh, { target: bob })

      await post(`${queueUrl(fresh.id)}/moderate`, { one: `approve:${toAlice}` }, editor)
      await eventually(async () => all.events.some((e) => e.event === 'approved' && e.data.id === toAlice), 5000, 'approval pushed')
      expect(all.events.find((e) => e.data.id === toAlice)!.data).toMatchObject({ text: 'Pour Alice, en direct sur le mur', signatureName: 'Zoé', targetName: 'Alice Martin', featured: false })

      await post(`${queueUrl(fresh.id)}/moderate`, { one: `feature:${toBob}` }, editor)
      await eventually(async () => onlyBob.events.some((e) => e.event === 'approved' && e.data.id === toBob), 5000, 'bob’s approval pushed')
      expect(onlyBob.events.some((e) => e.data.id === toAlice)).toBe(false)

      await post(`${queueUrl(fresh.id)}/moderate`, { one: `feature:${toAlice}` }, editor)
      await eventually(async () => all.events.some((e) => e.event === 'updated' && e.data.id === toAlice && e.data.featured === true), 5000, 'feature pushed')
      await post(`${queueUrl(fresh.id)}/moderate`, { one: `reject:${toAlice}` }, editor)
      await eventually(async () => all.events.some((e) => e.event === 'removed' && e.data.id === toAlice), 5000, 'removal pushed')
      // A pending message leaving the queue is not news for the wall.
      const quiet = await drop(fresh)
      await post(`${queueUrl(fresh.id)}/moderate`, { one: `reject:${quiet}` }, editor)
      await new Promise((resolve) => setTimeout(resolve, 300))
      expect(all.events.some((e) => e.data.id === quiet)).toBe(false)
      all.close()
      onlyBob.close()
      await eventually(async () => t.deps.bottleHub.connections() === 0, 5000, 'streams closed')
    })

    it('asks open walls to read their page again when the pub/sub connection comes back (events may have been missed)', async () => {
      const fresh = await seedCampaign(t.deps)
      const s = await openWallStream(base, `/c/${fresh.slug}/wall/events`)
      try {
        // Redis drops this process's subscriber connection (only it: other test files share the server).
        const port = (t.deps.subscriber as unknown as { stream: { localPort: number } }).stream.localPort
        await t.deps.redis.call('CLIENT', 'KILL', 'ADDR', `127.0.0.1:${port}`)
        await eventually(async () => s.events.some((e) => e.event === 'resync'), 10_000, 'resync after reconnect')
        // And the live wall works again afterwards.
        const approved: number[] = []
        await eventually(async () => {
          const id = await drop(fresh)
          approved.push(id)
          await post(`${queueUrl(fresh.id)}/moderate`, { one: `approve:${id}` }, editor)
          await new Promise((resolve) => setTimeout(resolve, 100))
          return s.events.some((e) => e.event === 'approved' && approved.includes(e.data.id))
        }, 10_000, 'approval after reconnect')
      } finally {
        s.close()
      }
    })
  })
})
