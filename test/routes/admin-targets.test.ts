import { randomUUID } from 'node:crypto'
import { and, eq, sql } from 'drizzle-orm'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { auditLog, messages, targetPhotos, targets } from '../../server/db/schema.ts'
import { CSV_COLUMNS } from '../../server/domain/target-csv.ts'
import { buildTestApp, eventually, listen, pageText, seedCampaign, type SeededCampaign, type SignedIn, signIn } from '../helper.ts'

type Fields = Record<string, string>

const HEADER = CSV_COLUMNS.join(',')

/** n valid rows, all different from each other and from the seeded targets. */
function validRows (n: number, prefix = 'Imported'): string {
  const lines = [HEADER]
  for (let i = 0; i < n; i++) {
    lines.push(`${prefix} ${i},Ministre,Minister,Gouvernement,FR,${prefix.slice(0, 3)}${i},${prefix.toLowerCase()}${i}.bsky.social,${prefix.toLowerCase()}${i}@climat.social,${prefix.toLowerCase()}.${i},t${i}@example.org,"eu, g7"`)
  }
  return lines.join('\r\n') + '\r\n'
}

const text = pageText

describe('admin: targets', () => {
  let t: Awaited<ReturnType<typeof buildTestApp>>
  let c: SeededCampaign
  let other: SeededCampaign
  let editor: SignedIn
  let viewer: SignedIn
  let baseUrl: string

  beforeAll(async () => {
    t = await buildTestApp()
    c = await seedCampaign(t.deps)
    other = await seedCampaign(t.deps)
    editor = await signIn(t.deps, 'editor')
    viewer = await signIn(t.deps, 'viewer')
    baseUrl = await listen(t)
  })
  afterAll(async () => { await t.close() })

  const list = (campaignId = c.id) => `/admin/campaigns/${campaignId}/targets`
  const get = (url: string, who?: SignedIn, headers: Record<string, string> = {}) => t.app.inject({ url, headers: { 'accept-language': 'en', ...(who ? { cookie: who.cookie } : {}), ...headers } })
  const post = (url: string, fields: Fields, who?: SignedIn, csrf = true) => t.app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'en', ...(who ? { cookie: who.cookie } : {}) },
    payload: new URLSearchParams(csrf && who ? { _csrf: who.csrf, ...fields } : fields).toString()
  })
  /** A multipart form sent by a real HTTP client (fetch + FormData), as a browser would. */
  const upload = async (url: string, field: string, file: { data: Buffer | string, name: string, type: string }, who?: SignedIn, csrf = true, language = 'en') => {
    const form = new FormData()
    if (csrf && who) form.append('_csrf', who.csrf)
    form.append(field, new Blob([typeof file.data === 'string' ? file.data : new Uint8Array(file.data)], { type: file.type }), file.name)
    const res = await fetch(baseUrl + url, { method: 'POST', body: form, redirect: 'manual', headers: { 'accept-language': language, ...(who ? { cookie: who.cookie } : {}) } })
    return { status: res.status, location: res.headers.get('location'), body: await res.text() }
  }
  /** The new-target form as a browser sends it (multipart, since it may carry a photo). */
  const createForm = async (values: Fields, who: SignedIn, photo?: { data: Buffer | string, name: string, type: string }, language = 'en') => {
    const form = new FormData()
    form.append('_csrf', who.csrf)
    for (const [k, v] of Object.entries(values)) form.append(k, v)
    form.append('photo', photo ? new Blob([typeof photo.data === 'string' ? photo.data : new Uint8Array(photo.data)], { type: photo.type }) : new Blob([], { type: 'application/octet-stream' }), photo?.name ?? '')
    const res = await fetch(baseUrl + list(), { method: 'POST', body: form, redirect: 'manual', headers: { 'accept-language': language, cookie: who.cookie } })
    return { status: res.status, location: res.headers.get('location'), body: await res.text() }
  }
  const rows = async (campaignId = c.id) => t.deps.db.select().from(targets).where(eq(targets.campaignId, campaignId))
  const audits = async (entity = 'target') => t.deps.db.select().from(auditLog).where(and(eq(auditLog.entity, entity), eq(auditLog.campaignId, c.id)))
  const fields = (extra: Fields = {}): Fields => ({
    name: 'Océane Marivaux',
    role_fr: 'Ministre de la Transition écologique',
    role_en: 'Minister for the Ecological Transition',
    organisation: 'Gouvernement français',
    country: 'fr',
    x: '@OceaneMarivaux',
    bluesky: 'oceanemarivaux.bsky.social',
    mastodon: 'oceane@climat.social',
    threads: 'oceane.marivaux',
    email: 'cabinet.marivaux@example.org',
    groups: 'eu, g7',
    ...extra
  })

  describe('every route: session, role, CSRF, other campaigns’ ids', () => {
    const target = () => c.targets[0]!.id
    const reads = () => [list(), `${list()}/export.csv`]
    const editorPages = () => [`${list()}/new`, `${list()}/${target()}/edit`, `${list()}/import`]
    const writes = () => [list(), `${list()}/${target()}`, `${list()}/${target()}/deactivate`, `${list()}/${target()}/activate`, `${list()}/${target()}/photo/remove`, `${list()}/import/${'a'.repeat(22)}/confirm`]

    it('sends a visitor without a session to the login page (GET) or refuses with 401 (POST)', async () => {
      for (const url of [...reads(), ...editorPages()]) {
        const res = await get(url)
        expect(res.statusCode, url).toBe(303)
        expect(res.headers.location, url).toBe(`/admin/login?next=${encodeURIComponent(url)}`)
      }
      for (const url of writes()) expect((await post(url, fields())).statusCode, url).toBe(401)
      const before = await rows()
      expect((await upload(`${list()}/${target()}/photo`, 'photo', { data: 'x', name: 'a.png', type: 'image/png' })).status).toBe(401)
      expect((await upload(`${list()}/import`, 'file', { data: validRows(1), name: 'a.csv', type: 'text/csv' })).status).toBe(401)
      expect(await rows()).toEqual(before)
    })

    it('lets a viewer read the list and the export, and nothing else (403)', async () => {
      for (const url of reads()) expect((await get(url, viewer)).statusCode, url).toBe(200)
      for (const url of editorPages()) expect((await get(url, viewer)).statusCode, url).toBe(403)
      for (const url of writes()) expect((await post(url, fields(), viewer)).statusCode, url).toBe(403)
      expect((await upload(`${list()}/${target()}/photo`, 'photo', { data: 'x', name: 'a.png', type: 'image/png' }, viewer)).status).toBe(403)
      expect((await upload(`${list()}/import`, 'file', { data: validRows(1), name: 'a.csv', type: 'text/csv' }, viewer)).status).toBe(403)
    })

    it('refuses every change without the CSRF token (403), form or upload, and writes nothing', async () => {
      const before = await rows()
      for (const url of writes()) expect((await post(url, fields(), editor, false)).statusCode, url).toBe(403)
      expect((await post(list(), { ...fields(), _csrf: viewer.csrf }, editor, false)).statusCode).toBe(403)
      const photo = await upload(`${list()}/${target()}/photo`, 'photo', { data: await sharp({ create: { width: 10, height: 10, channels: 3, background: '#f00' } }).png().toBuffer(), name: 'a.png', type: 'image/png' }, editor, false)
      expect(photo.status).toBe(403)
      expect((await upload(`${list()}/import`, 'file', { data: validRows(1), name: 'a.csv', type: 'text/csv' }, editor, false)).status).toBe(403)
      expect(await rows()).toEqual(before)
      expect(await t.deps.db.select().from(targetPhotos)).toEqual([])
    })

    it('answers 404 for another campaign’s target, an unknown campaign, or ids that are not ids', async () => {
      const foreign = other.targets[0]!.id
      for (const url of [`${list()}/${foreign}/edit`, `${list(randomUUID())}`, `${list('nope')}`, `${list()}/not-a-uuid/edit`, `${list(randomUUID())}/export.csv`, `${list(randomUUID())}/import`]) {
        expect((await get(url, editor)).statusCode, url).toBe(404)
      }
      for (const url of [`${list()}/${foreign}`, `${list()}/${foreign}/deactivate`, `${list()}/${foreign}/activate`, `${list()}/${foreign}/photo/remove`, `${list(randomUUID())}`, `${list()}/import/short/confirm`, `${list()}/123/deactivate`]) {
        expect((await post(url, fields({ name: 'Hijack' }), editor)).statusCode, url).toBe(404)
      }
      expect((await upload(`${list()}/${foreign}/photo`, 'photo', { data: 'x', name: 'a.png', type: 'image/png' }, editor)).status).toBe(404)
      const [o] = await t.deps.db.select().from(targets).where(eq(targets.id, foreign))
      expect(o).toMatchObject({ name: other.targets[0]!.name, active: true })
    })
  })

  describe('list, add, edit, deactivate', () => {
    it('lists the targets with avatar or initials, role, organisation, country, handles, e-mail, groups and links', async () => {
      const res = await get(list(), editor)
      expect(res.statusCode).toBe(200)
      const html = res.body
      for (const s of ['Alice Martin', 'Minister', '@alice_m', '@alice.bsky.social', '@alice@climat.social', 'alice@example.org', 'Bongani Dube', 'Carla Souza']) expect(html).toContain(s)
      expect(html).toContain('>AM<')
      expect(html).toContain(`href="${list()}/new"`)
      expect(html).toContain(`href="${list()}/import"`)
      expect(html).toContain(`href="${list()}/export.csv"`)
      expect(html).not.toContain(other.targets[0]!.id)
      // A viewer sees the list without the editing links.
      const seen = await get(list(), viewer)
      expect(seen.body).toContain('Alice Martin')
      expect(seen.body).not.toContain(`href="${list()}/new"`)
    })

    it('adds a target with normalised values, audits it and updates the public page', async () => {
      await get(`/c/${c.slug}`) // the public copy is cached now
      const res = await post(list(), fields(), editor)
      expect(res.statusCode).toBe(303)
      expect(res.headers.location).toBe(list())
      const [row] = (await rows()).filter((r) => r.name === 'Océane Marivaux')
      expect(row).toMatchObject({
        role: { fr: 'Ministre de la Transition écologique', en: 'Minister for the Ecological Transition' },
        organisation: 'Gouvernement français',
        country: 'FR',
        handles: { x: 'OceaneMarivaux', bluesky: 'oceanemarivaux.bsky.social', mastodon: 'oceane@climat.social', threads: 'oceane.marivaux' },
        email: 'cabinet.marivaux@example.org',
        groups: ['eu', 'g7'],
        active: true,
        position: 3
      })
      const logged = (await audits()).filter((a) => a.entityId === row!.id)
      expect(logged).toMatchObject([{ action: 'create', userEmail: editor.user.email }])
      await eventually(async () => (await get(`/c/${c.slug}`)).body.includes('Océane Marivaux'), 5_000, 'the public page to show the new target')
      // The flash message is shown once on the next page.
      const flash = [res.headers['set-cookie']].flat().map(String).find((h) => h.startsWith('bouteille_flash='))!.split(';')[0]
      const page = await get(list(), editor, { cookie: `${editor.cookie}; ${flash}` })
      expect(page.body).toContain('Océane Marivaux was added.')
    })

    it('shows the form again with a clear message per field and keeps what was typed; writes nothing', async () => {
      const before = await rows()
      const res = await post(list(), fields({ name: '', x: 'jean-luc', bluesky: 'nodot', mastodon: 'user', threads: 'a b', email: 'nope', country: 'ZZ', groups: 'ok' }), editor)
      expect(res.statusCode).toBe(400)
      const page = text(res.body)
      for (const m of ['Enter the name.', '“jean-luc” is not an X handle', '“nodot” is not a Bluesky handle', '“user” is not a Mastodon address', '“a b” is not a Threads handle', '“nope” is not an e-mail address', '“ZZ” is not a country code']) expect(page).toContain(m)
      expect(res.body).toContain('value="jean-luc"')
      expect(res.body).toContain('aria-invalid="true"')
      expect(await rows()).toEqual(before)
      const uk = await post(list(), fields({ name: 'Arthur Pennyfeather-Quay', x: '', bluesky: '', mastodon: '', threads: '', country: 'UK' }), editor)
      expect(text(uk.body)).toContain('“UK” is not the ISO code: use GB.')
    })

    it('refuses a duplicate of another target, by name or by handle', async () => {
      const byName = await post(list(), fields({ name: 'alice MARTIN', x: '', bluesky: '', mastodon: '', threads: '' }), editor)
      expect(byName.statusCode).toBe(400)
      expect(text(byName.body)).toContain('Alice Martin is already a target of this campaign.')
      const byHandle = await post(list(), fields({ name: 'Someone New', x: 'ALICE_MARTIN', bluesky: '', mastodon: '', threads: '' }), editor)
      expect(byHandle.statusCode).toBe(400)
      expect(text(byHandle.body)).toContain('This X account is already the one of Alice Martin.')
      // The same name in another campaign is fine.
      expect((await post(list(other.id), fields({ name: 'Océane Marivaux', x: 'other_alice', bluesky: '', mastodon: '', threads: '' }), editor)).statusCode).toBe(303)
    })

    it('edits a target; its own name and handles are not duplicates of itself', async () => {
      const id = c.targets[1]!.id
      const form = await get(`${list()}/${id}/edit`, editor)
      expect(form.statusCode).toBe(200)
      expect(form.body).toContain('value="Bongani Dube"')
      const res = await post(`${list()}/${id}`, { name: 'Bongani Dube', role_en: 'Chief Negotiator', role_fr: '', organisation: 'South Africa', country: 'za', x: 'bdube', bluesky: 'bdube.bsky.social', mastodon: '', threads: '', email: '', groups: 'g77' }, editor)
      expect(res.statusCode).toBe(303)
      const [row] = await t.deps.db.select().from(targets).where(eq(targets.id, id))
      expect(row).toMatchObject({ role: { en: 'Chief Negotiator' }, organisation: 'South Africa', country: 'ZA', email: null, groups: ['g77'] })
      const [log] = (await audits()).filter((a) => a.entityId === id && a.action === 'update')
      expect(log!.before).toMatchObject({ organisation: '' })
      expect(log!.after).toMatchObject({ organisation: 'South Africa' })
    })

    it('refuses a handle that would make an active variant too long for this target, saying which and by how much', async () => {
      const [m] = await t.deps.db.insert(messages).values({ campaignId: c.id, locale: 'en', body: '{target} ' + 'x'.repeat(236) + ' {hashtags} {link}', position: 9 }).returning()
      try {
        const id = c.targets[2]!.id
        const res = await post(`${list()}/${id}`, { name: 'Carla Souza', x: 'carla_souza_bra', country: 'BR' }, editor)
        expect(res.statusCode).toBe(400)
        expect(text(res.body)).toMatch(/the variant “\{target\} x+…” \(en\) would be too long on X: \d+ characters over/)
        expect((await t.deps.db.select().from(targets).where(eq(targets.id, id)))[0]!.handles).toEqual({ x: 'carlasouza' })
      } finally {
        await t.deps.db.delete(messages).where(eq(messages.id, m!.id))
      }
    })

    it('deactivates and reactivates a target, audited, and the public page follows', async () => {
      const id = c.targets[2]!.id
      const off = await post(`${list()}/${id}/deactivate`, {}, editor)
      expect(off.statusCode).toBe(303)
      expect((await t.deps.db.select().from(targets).where(eq(targets.id, id)))[0]!.active).toBe(false)
      await eventually(async () => !(await get(`/c/${c.slug}`)).body.includes('Carla Souza'), 5_000, 'the public page to hide the target')
      expect((await post(`${list()}/${id}/activate`, {}, editor)).statusCode).toBe(303)
      expect((await t.deps.db.select().from(targets).where(eq(targets.id, id)))[0]!.active).toBe(true)
      const logs = (await audits()).filter((a) => a.entityId === id && a.action === 'update').map((a) => a.after)
      expect(logs).toEqual(expect.arrayContaining([{ active: false }, { active: true }]))
    })

    it('takes the country by its name in the admin’s language (a datalist of names) and stores its ISO code', async () => {
      const form = await get(`${list()}/new`, editor, { 'accept-language': 'fr' })
      expect(form.body).toContain('list="country-names"')
      expect(form.body).toContain('<option value="Allemagne">')
      expect(form.body).toContain('<option value="Côte d’Ivoire">')
      const res = await createForm(fields({ name: 'Dagmar Lindqvist', country: 'allemagne', x: 'dlindqvist', bluesky: '', mastodon: '', threads: '', email: '' }), editor, undefined, 'fr')
      expect(res.status).toBe(303)
      const row = (await rows()).find((r) => r.name === 'Dagmar Lindqvist')
      expect(row!.country).toBe('DE')
      // The edit form shows the name, in the admin's language.
      expect((await get(`${list()}/${row!.id}/edit`, editor)).body).toContain('value="Germany"')
      expect((await get(`${list()}/${row!.id}/edit`, editor, { 'accept-language': 'fr' })).body).toContain('value="Allemagne"')
      // An English name, accents and apostrophes aside, on the edit form too.
      expect((await post(`${list()}/${row!.id}`, fields({ name: 'Dagmar Lindqvist', country: "cote d'ivoire", x: 'dlindqvist', bluesky: '', mastodon: '', threads: '', email: '' }), editor)).statusCode).toBe(303)
      expect((await rows()).find((r) => r.id === row!.id)!.country).toBe('CI')
    })

    it('stores a target’s preferred language in its canonical form, refuses a non-tag with 400 and a clear message, and exports it', async () => {
      const res = await createForm(fields({ name: 'Lucía Méndez', country: 'MX', x: 'lmendez', bluesky: '', mastodon: '', threads: '', email: '', language: 'ES-mx' }), editor)
      expect(res.status).toBe(303)
      const row = (await rows()).find((r) => r.name === 'Lucía Méndez')!
      expect(row.language).toBe('es-MX')
      const edit = await get(`${list()}/${row.id}/edit`, editor)
      expect(edit.body).toContain('id="f-language" name="language"')
      expect(edit.body).toContain('value="es-MX"')
      const bad = await post(`${list()}/${row.id}`, fields({ name: 'Lucía Méndez', country: 'MX', x: 'lmendez', bluesky: '', mastodon: '', threads: '', email: '', language: 'espagnol!' }), editor)
      expect(bad.statusCode).toBe(400)
      expect(text(bad.body)).toContain('“espagnol!” is not a language tag. Write one such as es, pt-BR, ar or ja, or leave it empty.')
      expect((await rows()).find((r) => r.id === row.id)!.language).toBe('es-MX')
      // Emptied: back to the campaign's default language.
      expect((await post(`${list()}/${row.id}`, fields({ name: 'Lucía Méndez', country: 'MX', x: 'lmendez', bluesky: '', mastodon: '', threads: '', email: '', language: '' }), editor)).statusCode).toBe(303)
      expect((await rows()).find((r) => r.id === row.id)!.language).toBeNull()
    })

    it('refuses a country name that is no country’s with 400 and a clear message (FR and EN), keeping what was typed', async () => {
      const before = await rows()
      const res = await post(list(), fields({ name: 'Nobody Real', country: 'Atlantide', email: 'nope', x: '', bluesky: '', mastodon: '', threads: '' }), editor)
      expect(res.statusCode).toBe(400)
      expect(text(res.body)).toContain('“Atlantide” is not a country we know: type its name and pick it from the list, or its two-letter ISO code.')
      expect(text(res.body)).toContain('“nope” is not an e-mail address')
      expect(res.body).toContain('value="Atlantide"')
      const fr = await createForm(fields({ name: 'Nobody Real', country: 'Frnce', x: '', bluesky: '', mastodon: '', threads: '' }), editor, undefined, 'fr')
      expect(fr.status).toBe(400)
      expect(text(fr.body)).toContain('« Frnce » n’est pas un pays que nous connaissons')
      const id = c.targets[1]!.id
      const edit = await post(`${list()}/${id}`, { name: 'Bongani Dube', country: 'Wakanda', x: 'bdube' }, editor)
      expect(edit.statusCode).toBe(400)
      expect(text(edit.body)).toContain('“Wakanda” is not a country we know')
      expect(await rows()).toEqual(before)
    })

    it('escapes what a campaigner typed', async () => {
      await post(list(), fields({ name: '<script>alert(1)</script>', x: '', bluesky: '', mastodon: '', threads: '', email: '' }), editor)
      const res = await get(list(), editor)
      expect(res.body).not.toContain('<script>alert(1)</script>')
      expect(res.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
    })
  })

  describe('photos', () => {
    const photoUrl = (id: string) => `${list()}/${id}/photo`
    const png = () => sharp({ create: { width: 640, height: 480, channels: 3, background: '#2a9d8f' } }).png().toBuffer()

    it('takes a real PNG, stores it as a 256×256 WebP and serves it with a strong ETag, a year of cache, and 304s', async () => {
      const id = c.targets[0]!.id
      const res = await upload(photoUrl(id), 'photo', { data: await png(), name: 'portrait.png', type: 'image/png' }, editor)
      expect(res.status).toBe(303)
      expect(res.location).toBe(`${list()}/${id}/edit`)
      const [row] = await t.deps.db.select().from(targets).where(eq(targets.id, id))
      const [stored] = await t.deps.db.select().from(targetPhotos).where(eq(targetPhotos.targetId, id))
      expect(stored!.contentType).toBe('image/webp')
      expect(row!.photoUrl).toBe(`/media/targets/${id}.webp?v=${stored!.etag}`)

      const served = await get(row!.photoUrl!)
      expect(served.statusCode).toBe(200)
      expect(served.headers['content-type']).toBe('image/webp')
      expect(served.headers['cache-control']).toBe('public, max-age=31536000, immutable')
      expect(served.headers.etag).toBe(`"${stored!.etag}"`)
      const meta = await sharp(served.rawPayload).metadata()
      expect(meta).toMatchObject({ format: 'webp', width: 256, height: 256 })
      expect(meta.exif).toBeUndefined()

      const again = await get(row!.photoUrl!, undefined, { 'if-none-match': served.headers.etag as string })
      expect(again.statusCode).toBe(304)
      expect(again.body).toBe('')
      expect((await get(row!.photoUrl!, undefined, { 'if-none-match': '"other"' })).statusCode).toBe(200)
      // The list and the public page show the photo.
      expect((await get(list(), editor)).body).toContain(`src="${row!.photoUrl}"`)
      await eventually(async () => (await get(`/c/${c.slug}`)).body.includes(row!.photoUrl!), 5_000, 'the public page to show the photo')
      expect((await audits()).some((a) => a.entityId === id && (a.after as { photoUrl?: string }).photoUrl === row!.photoUrl)).toBe(true)
    })

    it('stores a photo chosen on the new-target form with the target', async () => {
      const form = await get(`${list()}/new`, editor)
      expect(form.body).toContain('enctype="multipart/form-data"')
      expect(form.body).toMatch(/<input class="input" id="f-photo" name="photo" type="file"/)
      const res = await createForm(fields({ name: 'Ingrid Solberg', country: 'Norway', x: 'isolberg', bluesky: '', mastodon: '', threads: '', email: '' }), editor, { data: await png(), name: 'ingrid.png', type: 'image/png' })
      expect(res.status).toBe(303)
      const row = (await rows()).find((r) => r.name === 'Ingrid Solberg')!
      expect(row.country).toBe('NO')
      const [stored] = await t.deps.db.select().from(targetPhotos).where(eq(targetPhotos.targetId, row.id))
      expect(stored!.contentType).toBe('image/webp')
      expect(row.photoUrl).toBe(`/media/targets/${row.id}.webp?v=${stored!.etag}`)
      expect((await sharp(stored!.data).metadata()).width).toBe(256)
      // Without a photo, the target is created with its initials.
      expect((await createForm(fields({ name: 'Jonas Berg', x: 'jberg', bluesky: '', mastodon: '', threads: '', email: '' }), editor)).status).toBe(303)
      expect((await rows()).find((r) => r.name === 'Jonas Berg')!.photoUrl).toBeNull()
    })

    it('keeps a new target whose photo is refused, and its edit form says why', async () => {
      const res = await createForm(fields({ name: 'Karl Nyström', x: 'knystrom', bluesky: '', mastodon: '', threads: '', email: '' }), editor, { data: 'not an image', name: 'k.png', type: 'image/png' })
      expect(res.status).toBe(400)
      const row = (await rows()).find((r) => r.name === 'Karl Nyström')!
      expect(row.photoUrl).toBeNull()
      expect(text(res.body)).toContain('Karl Nyström was added, without the photo: choose another one below.')
      expect(res.body).toContain(`action="${list()}/${row.id}/photo"`)
      expect(res.body).toContain('id="e-photo"')
    })

    it('drops the photo’s metadata (EXIF, location) and accepts JPEG and WebP too', async () => {
      const id = c.targets[1]!.id
      const jpeg = await sharp({ create: { width: 300, height: 900, channels: 3, background: '#f2c14e' } }).jpeg().withExif({ IFD0: { Copyright: 'secret', Artist: 'someone' } }).toBuffer()
      expect((await sharp(jpeg).metadata()).exif).toBeDefined()
      expect((await upload(photoUrl(id), 'photo', { data: jpeg, name: 'x.jpeg', type: 'image/jpeg' }, editor)).status).toBe(303)
      const [stored] = await t.deps.db.select().from(targetPhotos).where(eq(targetPhotos.targetId, id))
      const meta = await sharp(stored!.data).metadata()
      expect(meta).toMatchObject({ format: 'webp', width: 256, height: 256 })
      expect(meta.exif).toBeUndefined()
      const webp = await sharp({ create: { width: 50, height: 50, channels: 4, background: '#0000' } }).webp().toBuffer()
      // The declared type and the name do not matter: the bytes do.
      expect((await upload(photoUrl(id), 'photo', { data: webp, name: 'photo.gif', type: 'application/octet-stream' }, editor)).status).toBe(303)
    })

    it('refuses a text file named .png, a GIF, an SVG, a truncated PNG, a decompression bomb, an empty field and a file over 5 MB, with a clear message; stores nothing', async () => {
      const id = c.targets[2]!.id
      const gif = await sharp({ create: { width: 10, height: 10, channels: 3, background: '#000' } }).gif().toBuffer()
      const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'
      for (const file of [{ data: 'just some text, not an image', name: 'photo.png', type: 'image/png' }, { data: gif, name: 'a.gif', type: 'image/gif' }, { data: svg, name: 'a.svg', type: 'image/svg+xml' }]) {
        const res = await upload(photoUrl(id), 'photo', file, editor)
        expect(res.status, file.name).toBe(400)
        expect(text(res.body)).toContain('This file is not a JPEG, PNG or WebP image (whatever its name says).')
      }
      const whole = await sharp({ create: { width: 200, height: 200, channels: 3, background: '#888', noise: { type: 'gaussian', mean: 128, sigma: 30 } } }).png().toBuffer()
      const truncated = await upload(photoUrl(id), 'photo', { data: whole.subarray(0, whole.length >> 1), name: 'cut.png', type: 'image/png' }, editor)
      expect(truncated.status).toBe(400)
      expect(text(truncated.body)).toContain('This file is not a JPEG, PNG or WebP image')
      // A small file can announce a huge image (a decompression bomb): refused from its header, before decoding.
      const bomb = await sharp({ create: { width: 8000, height: 6000, channels: 3, background: '#000' } }).png({ compressionLevel: 9 }).toBuffer()
      expect(bomb.length).toBeLessThan(5 * 1024 * 1024)
      const huge = await upload(photoUrl(id), 'photo', { data: bomb, name: 'bomb.png', type: 'image/png' }, editor)
      expect(huge.status).toBe(400)
      expect(text(huge.body)).toContain('This image has more than 40 megapixels')
      const empty = await upload(photoUrl(id), 'photo', { data: '', name: '', type: 'application/octet-stream' }, editor)
      expect(empty.status).toBe(400)
      expect(text(empty.body)).toContain('Choose a photo to upload.')
      const big = await upload(photoUrl(id), 'photo', { data: Buffer.alloc(5 * 1024 * 1024 + 10, 1), name: 'big.png', type: 'image/png' }, editor)
      expect(big.status).toBe(400)
      expect(text(big.body)).toContain('This file is larger than 5 MB')
      expect(await t.deps.db.select().from(targetPhotos).where(eq(targetPhotos.targetId, id))).toEqual([])
      expect((await t.deps.db.select().from(targets).where(eq(targets.id, id)))[0]!.photoUrl).toBeNull()
    })

    it('removes a photo (back to the initials); the media URL then answers 404', async () => {
      const id = c.targets[0]!.id
      const [before] = await t.deps.db.select().from(targets).where(eq(targets.id, id))
      expect(before!.photoUrl).toBeTruthy()
      expect((await post(`${photoUrl(id)}/remove`, {}, editor)).statusCode).toBe(303)
      expect((await t.deps.db.select().from(targets).where(eq(targets.id, id)))[0]!.photoUrl).toBeNull()
      expect(await t.deps.db.select().from(targetPhotos).where(eq(targetPhotos.targetId, id))).toEqual([])
      expect((await get(before!.photoUrl!)).statusCode).toBe(404)
      expect((await get(`/media/targets/${randomUUID()}.webp`)).statusCode).toBe(404)
      expect((await get('/media/targets/not-a-file.png')).statusCode).toBe(404)
    })
  })

  describe('CSV import and export', () => {
    const importUrl = () => `${list()}/import`
    const csv = (body: string | Buffer, name = 'targets.csv') => upload(importUrl(), 'file', { data: body, name, type: 'text/csv' }, editor)
    const confirmUrl = (html: string) => /action="([^"]+\/confirm)"/.exec(html)?.[1]

    it('shows the upload form', async () => {
      const res = await get(importUrl(), editor)
      expect(res.statusCode).toBe(200)
      expect(res.body).toContain('enctype="multipart/form-data"')
      expect(res.body).toContain(CSV_COLUMNS.join(','))
    })

    it('previews a good file without writing anything, then imports every row in one go, audited once', async () => {
      const before = (await rows()).length
      const res = await csv(validRows(25, 'Preview'))
      expect(res.status).toBe(200)
      expect(text(res.body)).toContain('25 targets ready to import')
      expect(text(res.body)).toContain('The first 20 rows of 25')
      expect(res.body).toContain('Preview 19')
      expect(res.body).not.toContain('Preview 20<')
      // Each handle is labelled with its network in the preview.
      expect(text(res.body)).toContain('X @Pre7 · Bluesky @preview7.bsky.social · Mastodon @preview7@climat.social · Threads @preview.7')
      expect((await rows()).length).toBe(before)
      const url = confirmUrl(res.body)!
      expect(url).toMatch(/\/import\/[A-Za-z0-9_-]{22}\/confirm$/)

      // Another campaign's URL for this import, or another user: not found.
      expect((await post(url.replace(c.id, other.id), {}, editor)).statusCode).toBe(404)
      const editor2 = await signIn(t.deps, 'editor')
      expect((await post(url, {}, editor2)).statusCode).toBe(404)

      const done = await post(url, {}, editor)
      expect(done.statusCode).toBe(303)
      expect(done.headers.location).toBe(list())
      const after = await rows()
      expect(after.length).toBe(before + 25)
      expect(after.find((r) => r.name === 'Preview 7')).toMatchObject({ country: 'FR', handles: { x: 'Pre7', bluesky: 'preview7.bsky.social', mastodon: 'preview7@climat.social', threads: 'preview.7' }, groups: ['eu', 'g7'], active: true })
      const imports = (await audits()).filter((a) => a.action === 'import')
      expect(imports).toHaveLength(1)
      expect(imports[0]!.after).toEqual({ count: 25, file: 'targets.csv' })
      // A second click finds nothing to import.
      const twice = await post(url, {}, editor)
      expect(twice.statusCode).toBe(410)
      expect(text(twice.body)).toContain('This import has expired')
      expect((await rows()).length).toBe(before + 25)
    })

    it('lists every problem with its row, and offers no confirmation: missing name, bad handles, bad e-mail, duplicates', async () => {
      const before = (await rows()).length
      const file = [
        'name;x;bluesky;mastodon;threads;email;country',
        ';ok1;;;;;',
        'Bad X;jean-luc;;;;;',
        'Bad Bsky;;nodot;;;;',
        'Bad Masto;;;user;;;',
        'Bad Threads;;;;a b;;',
        'Bad Mail;;;;;nope;',
        'Alice Martin;;;;;;',
        'New One;ALICE_MARTIN;;;;;',
        'Twice;;;;;;',
        'twice;;;;;;',
        'Bad Country;;;;;;XX'
      ].join('\r\n')
      const res = await csv(file)
      expect(res.status).toBe(400)
      const page = text(res.body)
      expect(page).toContain('10 problems in 10 row(s).')
      expect(page).not.toContain('ready to import')
      expect(confirmUrl(res.body)).toBeUndefined()
      for (const [row, message] of [
        [2, 'Enter the name.'], [3, '“jean-luc” is not an X handle'], [4, '“nodot” is not a Bluesky handle'], [5, '“user” is not a Mastodon address'],
        [6, '“a b” is not a Threads handle'], [7, '“nope” is not an e-mail address'], [8, 'Alice Martin is already a target of this campaign.'],
        [9, 'This X account is already the one of Alice Martin, a target of this campaign.'], [11, 'Same name as row 10.'], [12, '“XX” is not a country code']
      ] as const) {
        expect(page).toMatch(new RegExp(`${row} \\w* ${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`))
      }
      expect((await rows()).length).toBe(before)
    })

    it('refuses a file with a control character, naming its row and column, and imports nothing', async () => {
      const before = await rows()
      const res = await csv('name;organisation;x\r\nClean Row;Gouvernement;clean_row\r\nBell Row;Minist\u0007ère;bell_row\r\n')
      expect(res.status).toBe(400)
      const page = text(res.body)
      expect(page).toContain('1 problem in 1 row(s).')
      expect(page).toMatch(/3 organisation “organisation” holds an invisible control character \(U\+0007\)/)
      expect(page).not.toContain('ready to import')
      expect(confirmUrl(res.body)).toBeUndefined()
      expect(await rows()).toEqual(before)
      const fr = await upload(importUrl(), 'file', { data: 'name;organisation\r\nBell Row;Minist\u0007ère\r\n', name: 'cibles.csv', type: 'text/csv' }, editor, true, 'fr')
      expect(fr.status).toBe(400)
      expect(text(fr.body)).toMatch(/« organisation » contient un caractère de contrôle invisible \(U\+0007\)/)
    })

    it('flags a row whose handle would make an active variant too long', async () => {
      // On X: ".@" + handle + " " + 224 + " #tweetbottle " + the link (35: ".test" is not a domain X knows, so counted in full).
      const [m] = await t.deps.db.insert(messages).values({ campaignId: c.id, locale: 'en', body: '{target} ' + 'x'.repeat(224) + ' {hashtags} {link}', position: 9 }).returning()
      try {
        const res = await csv('name,x\nShort Handle,ab\nLong Handle,abcdefghijklmno\n')
        expect(res.status).toBe(400)
        const page = text(res.body)
        expect(page).toMatch(/3 x With this target, the variant “\{target\} x+…” \(en\) would be too long on X: \d+ characters over/)
        expect(page).not.toMatch(/ 2 x With this target/)
      } finally {
        await t.deps.db.delete(messages).where(eq(messages.id, m!.id))
      }
    })

    it('refuses broken files with a clear file-level message: wrong columns, no header, Latin-1, binary, unclosed quote, too many rows', async () => {
      const before = (await rows()).length
      const cases: Array<[string | Buffer, string]> = [
        ['name,e-mail,twitter\nA,a@example.org,a\n', 'Unknown columns: e-mail, twitter. Expected columns: name, role_fr, role_en'],
        ['x,email\nabc,a@example.org\n', 'Missing column: name.'],
        ['Alice,Ministre,Minister\n', 'The first line must name the columns, but none of its names is known (found: alice, ministre, minister).'],
        [Buffer.from('name,organisation\nRaphaël Dupré,Gouvernement français\n', 'latin1'), 'This file is not in UTF-8 (line 2: “Rapha�l Dupr�,Gouvernement fran�ais”).'],
        [await sharp({ create: { width: 4, height: 4, channels: 3, background: '#000' } }).png().toBuffer(), 'This is not a CSV file'],
        ['name,organisation\nA,Org\nB,"Org\nC,Org\n', 'A quotation mark (") opened on line 3 is never closed.'],
        ['', 'Choose a CSV file to check.']
      ]
      for (const [body, message] of cases) {
        const res = await csv(body, body === '' ? '' : 'f.csv')
        expect(res.status, message).toBe(400)
        expect(text(res.body), message).toContain(message)
        expect(confirmUrl(res.body)).toBeUndefined()
      }
      const many = await csv(validRows(10_001, 'Many'))
      expect(many.status).toBe(400)
      expect(text(many.body)).toContain('This file has more than 10,000 rows, the limit: nothing was imported.')
      expect((await rows()).length).toBe(before)
    })

    it('stops reading a 10 MB file at the row limit: a quick clear answer, nothing imported, other requests served meanwhile', async () => {
      const before = (await rows()).length
      const body = validRows(70_000, 'Flood')
      expect(Buffer.byteLength(body)).toBeGreaterThan(9 * 1024 * 1024)
      expect(Buffer.byteLength(body)).toBeLessThan(10 * 1024 * 1024)
      // Health checks every 20 ms while the file is read: the slowest answer shows how long the process was held.
      let slowest = 0
      const state = { importing: true }
      const probes = (async () => {
        while (state.importing) {
          const started = performance.now()
          await t.app.inject({ url: '/healthz' })
          slowest = Math.max(slowest, performance.now() - started)
          await new Promise((resolve) => setTimeout(resolve, 20))
        }
      })()
      const started = performance.now()
      const res = await csv(body).finally(() => { state.importing = false })
      const took = performance.now() - started
      await probes
      expect(res.status).toBe(400)
      expect(text(res.body)).toContain('This file has more than 10,000 rows, the limit: nothing was imported. Split it into several files.')
      expect(confirmUrl(res.body)).toBeUndefined()
      expect(took).toBeLessThan(2500)
      expect(slowest).toBeLessThan(500)
      expect((await rows()).length).toBe(before)
    })

    it('reads a file with a BOM and ; delimiters, quoted newlines, and refuses a file over the size limit', async () => {
      const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('name;role_fr;groups\r\n"Émile\nDeschamps-Flot";"Ministre; Canada";"g7, nato"\r\n', 'utf8')])
      const res = await csv(bom)
      expect(res.status).toBe(200)
      expect(text(res.body)).toContain('Émile Deschamps-Flot')
      expect(text(res.body)).toContain('UTF-8 (BOM)')
      const huge = await csv(Buffer.alloc(10 * 1024 * 1024 + 1, 0x61))
      expect(huge.status).toBe(400)
      expect(text(huge.body)).toContain('This file is larger than 10 MB.')
    })

    it('imports 10,000 rows in one transaction', async () => {
      const before = (await rows()).length
      const res = await csv(validRows(10_000, 'Bulk'))
      expect(res.status).toBe(200)
      expect(text(res.body)).toContain('10,000 targets ready to import')
      const started = Date.now()
      const done = await post(confirmUrl(res.body)!, {}, editor)
      expect(done.statusCode).toBe(303)
      expect(Date.now() - started).toBeLessThan(20_000)
      const after = await rows()
      expect(after.length).toBe(before + 10_000)
      // One transaction: every row carries the same transaction id.
      const xids = await t.deps.db.execute(sql`SELECT count(DISTINCT xmin::text)::int AS n FROM targets WHERE campaign_id = ${c.id} AND name LIKE 'Bulk %'`)
      expect(xids.rows[0]).toEqual({ n: 1 })
      expect((await audits()).filter((a) => a.action === 'import' && (a.after as { count: number }).count === 10_000)).toHaveLength(1)
    }, 60_000)

    it('writes nothing when the database fails in the middle of an import, and the same import can be confirmed later', async () => {
      const before = (await rows()).length
      const res = await csv(validRows(3_000, 'Fail'))
      const url = confirmUrl(res.body)!
      await t.deps.db.execute(sql.raw(`CREATE FUNCTION fail_target() RETURNS trigger AS $$ BEGIN IF NEW.name = 'Fail 2500' THEN RAISE EXCEPTION 'boom'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql;
        CREATE TRIGGER fail_target BEFORE INSERT ON targets FOR EACH ROW EXECUTE FUNCTION fail_target();`))
      try {
        const failed = await post(url, {}, editor)
        expect(failed.statusCode).toBe(500)
        expect((await rows()).length).toBe(before)
      } finally {
        await t.deps.db.execute(sql.raw('DROP TRIGGER fail_target ON targets; DROP FUNCTION fail_target();'))
      }
      expect((await post(url, {}, editor)).statusCode).toBe(303)
      expect((await rows()).length).toBe(before + 3_000)
    })

    it('refuses a confirmation when a row now duplicates a target added after the preview, and writes nothing', async () => {
      const res = await csv(validRows(3, 'Late'))
      const url = confirmUrl(res.body)!
      expect((await post(list(), fields({ name: 'Late 1', x: '', bluesky: '', mastodon: '', threads: '', email: '' }), editor)).statusCode).toBe(303)
      const before = (await rows()).length
      const refused = await post(url, {}, editor)
      expect(refused.statusCode).toBe(409)
      expect(text(refused.body)).toContain('Row 3: Late 1 is already a target of this campaign.')
      expect((await rows()).length).toBe(before)
    })

    it('exports the same columns in UTF-8 with a BOM, neutralising formulas; only this campaign’s targets', async () => {
      await post(list(), fields({ name: '=HYPERLINK("http://evil.example")', organisation: '+33 Org', x: '', bluesky: '', mastodon: '', threads: '', email: '' }), editor)
      const res = await get(`${list()}/export.csv`, viewer)
      expect(res.statusCode).toBe(200)
      expect(res.headers['content-type']).toBe('text/csv; charset=utf-8')
      expect(res.headers['content-disposition']).toMatch(/^attachment; filename="test-[a-f0-9]+-targets-\d{4}-\d{2}-\d{2}\.csv"$/)
      expect([...res.rawPayload.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf])
      const body = res.rawPayload.toString('utf8').slice(1)
      const lines = body.split('\r\n')
      expect(lines[0]).toBe(HEADER)
      expect(lines).toContain('Alice Martin,Ministre,Minister,,FR,alice_martin,alice.bsky.social,alice@climat.social,alice.martin,alice@example.org,,')
      expect(body).toContain('"\'=HYPERLINK(""http://evil.example"")",Ministre de la Transition écologique,Minister for the Ecological Transition,\'+33 Org,')
      expect(body).not.toContain('other_alice')
      expect(lines.filter(Boolean)).toHaveLength((await rows()).length + 1)
    })
  })
})
