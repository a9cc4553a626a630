import { randomUUID } from 'node:crypto'
import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { auditLog, campaignTexts, messages, targets } from '../../server/db/schema.ts'
import { bottleText } from '../../server/domain/bottle-rules.ts'
import { measureLength, renderMessage } from '../../server/domain/messages.ts'
import { buildTestApp, eventually, seedCampaign, signIn, type SeededCampaign, type SignedIn, pageText } from '../helper.ts'

type Fields = Record<string, string>

const text = pageText

describe('admin: messages', () => {
  let t: Awaited<ReturnType<typeof buildTestApp>>
  let c: SeededCampaign
  let other: SeededCampaign
  let editor: SignedIn
  let viewer: SignedIn
  let link: string

  beforeAll(async () => {
    t = await buildTestApp()
    c = await seedCampaign(t.deps)
    other = await seedCampaign(t.deps)
    editor = await signIn(t.deps, 'editor')
    viewer = await signIn(t.deps, 'viewer')
    link = `http://bouteille.test/c/${c.slug}`
  })
  afterAll(async () => { await t.close() })

  const base = (campaignId = c.id) => `/admin/campaigns/${campaignId}/messages`
  const get = (url: string, who?: SignedIn) => t.app.inject({ url, headers: { 'accept-language': 'en', ...(who ? { cookie: who.cookie } : {}) } })
  const post = (url: string, fields: Fields, who?: SignedIn, csrf = true) => t.app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'en', ...(who ? { cookie: who.cookie } : {}) },
    payload: new URLSearchParams(csrf && who ? { _csrf: who.csrf, ...fields } : fields).toString()
  })
  const rows = async (campaignId = c.id) => t.deps.db.select().from(messages).where(eq(messages.campaignId, campaignId))
  const target = (name: string) => c.targets.find((x) => x.name === name)!
  const xLength = (template: string, who: { name: string, handles: Record<string, string> }, hashtags = ['tweetbottle']) => measureLength('x', renderMessage(template, 'x', who, hashtags, link))

  describe('every route: session, role, CSRF, other campaigns’ ids', () => {
    const m = () => c.messages[0]!.id
    const writes = () => [base(), `${base()}/${m()}`, `${base()}/${m()}/deactivate`, `${base()}/${m()}/activate`]
    const valid = { locale: 'en', targetId: '', body: '{target} act now {hashtags} {link}' }

    it('sends a visitor without a session to the login page (GET) or refuses with 401 (POST)', async () => {
      for (const url of [base(), `${base()}/new`, `${base()}/${m()}/edit`]) {
        const res = await get(url)
        expect(res.statusCode, url).toBe(303)
        expect(res.headers.location).toBe(`/admin/login?next=${encodeURIComponent(url)}`)
      }
      for (const url of writes()) expect((await post(url, valid)).statusCode, url).toBe(401)
    })

    it('lets a viewer read the list, and nothing else (403)', async () => {
      expect((await get(base(), viewer)).statusCode).toBe(200)
      for (const url of [`${base()}/new`, `${base()}/${m()}/edit`]) expect((await get(url, viewer)).statusCode, url).toBe(403)
      for (const url of writes()) expect((await post(url, valid, viewer)).statusCode, url).toBe(403)
    })

    it('refuses every change without the CSRF token (403) and writes nothing', async () => {
      const before = await rows()
      for (const url of writes()) expect((await post(url, valid, editor, false)).statusCode, url).toBe(403)
      expect(await rows()).toEqual(before)
    })

    it('answers 404 for another campaign’s message, an unknown campaign, or ids that are not ids', async () => {
      const foreign = other.messages[0]!.id
      for (const url of [`${base()}/${foreign}/edit`, base(randomUUID()), base('x'), `${base()}/nope/edit`, `${base(randomUUID())}/new`]) {
        expect((await get(url, editor)).statusCode, url).toBe(404)
      }
      for (const url of [`${base()}/${foreign}`, `${base()}/${foreign}/deactivate`, `${base()}/${foreign}/activate`, base(randomUUID()), `${base()}/42/deactivate`]) {
        expect((await post(url, valid, editor)).statusCode, url).toBe(404)
      }
      const [o] = await t.deps.db.select().from(messages).where(eq(messages.id, foreign))
      expect(o).toMatchObject({ body: other.messages[0]!.body, active: true })
    })
  })

  it('lists the variants grouped by language, with their target if any', async () => {
    const [only] = await t.deps.db.insert(messages).values({ campaignId: c.id, locale: 'fr', targetId: target('Bongani Dube').id, body: '{target}, l’Afrique du Sud compte. {hashtags} {link}', position: 5 }).returning()
    const res = await get(base(), viewer)
    expect(res.statusCode).toBe(200)
    const fr = res.body.slice(res.body.indexOf('data-locale="fr"'), res.body.indexOf('data-locale="en"'))
    const en = res.body.slice(res.body.indexOf('data-locale="en"'))
    expect(fr).toContain('{target} financez le fonds pertes et dommages maintenant !')
    expect(fr).toContain('l’Afrique du Sud compte')
    expect(text(fr)).toContain('Bongani Dube')
    expect(en).toContain('{target} fund loss and damage now!')
    expect(en).not.toContain('financez')
    expect(res.body).not.toContain(`${base()}/new`) // a viewer gets no editing links
    await t.deps.db.delete(messages).where(eq(messages.id, only!.id))
  })

  it('previews a variant for the first active target on every enabled network, with lengths and limits', async () => {
    const res = await get(`${base()}/${c.messages[2]!.id}/edit`, editor)
    expect(res.statusCode).toBe(200)
    const alice = target('Alice Martin')
    const template = '{target} fund loss and damage now! {hashtags} {link}'
    for (const channel of ['x', 'bluesky', 'mastodon', 'threads', 'email', 'bottle'] as const) {
      const rendered = renderMessage(template, channel, alice, ['tweetbottle'], link)
      const row = res.body.slice(res.body.indexOf(`data-channel="${channel}"`))
      // The bottle keeps the message without the link (what the wall and the dossier show).
      const shown = channel === 'bottle' ? bottleText(rendered, alice, link) : rendered
      expect(row, channel).toContain(`<div class="preview" lang="en" dir="ltr">${shown.replace(/&/g, '&amp;')}</div>`)
      expect(row, channel).toContain(`${measureLength(channel, rendered)} / ${({ x: 280, bluesky: 300, mastodon: 500, threads: 500, email: '5,000', bottle: '1,000' })[channel]}`)
    }
    expect(text(res.body)).toContain('As each network will show it, for Alice Martin')
  })

  it('previews what was typed, for the chosen target, without saving; marks what is over the limit', async () => {
    const before = await rows()
    const carla = target('Carla Souza')
    const body = '{target} ' + 'z'.repeat(250) + ' {hashtags} {link}'
    const res = await post(base(), { op: 'preview', locale: 'en', targetId: '', body, previewTarget: carla.id }, editor)
    expect(res.statusCode).toBe(200)
    expect(text(res.body)).toContain('As each network will show it, for Carla Souza')
    expect(res.body).toContain(`<div class="preview" lang="en" dir="ltr">.@carlasouza ${'z'.repeat(250)}`)
    const over = xLength(body, carla) - 280
    expect(text(res.body)).toContain(`${over} characters too many`)
    expect(res.body).toMatch(/<tr data-channel="x" class="is-over">/)
    expect(res.body).toContain('Addressed by name (no Bluesky account on file).')
    expect(res.body).toContain('This target has no public e-mail address')
    expect(await rows()).toEqual(before)
  })

  it('adds a variant, audits it, and the public side gets it', async () => {
    await t.deps.catalog.get(c.slug)
    const body = '{target}, the clock is ticking. {hashtags} {link}'
    const res = await post(base(), { locale: 'en', targetId: '', body }, editor)
    expect(res.statusCode).toBe(303)
    expect(res.headers.location).toBe(base())
    const [row] = (await rows()).filter((m) => m.body === body)
    expect(row).toMatchObject({ locale: 'en', targetId: null, active: true, position: 2 })
    const [log] = await t.deps.db.select().from(auditLog).where(and(eq(auditLog.entity, 'message'), eq(auditLog.entityId, row!.id)))
    expect(log).toMatchObject({ action: 'create', campaignId: c.id, userEmail: editor.user.email })
    await eventually(async () => (await t.deps.catalog.get(c.slug))?.messagesById.has(row!.id), 5_000, 'the catalog to get the new variant')
  })

  it('refuses a template that cannot fit some target, saying which target, which network and by how much; writes nothing', async () => {
    const before = await rows()
    // Fits Carla (named "@carlasouza" on X) but not Alice ("@alice_martin", 2 characters longer).
    const alice = target('Alice Martin')
    const carla = target('Carla Souza')
    const rest = xLength(`{target} ${'y'.repeat(100)} {hashtags} {link}`, alice) - 100
    const filler = 'y'.repeat(281 - rest)
    const body = `{target} ${filler} {hashtags} {link}`
    expect(xLength(body, alice)).toBe(281)
    expect(xLength(body, carla)).toBeLessThanOrEqual(280)
    const res = await post(base(), { locale: 'en', targetId: '', body }, editor)
    expect(res.statusCode).toBe(400)
    const page = text(res.body)
    expect(page).toContain('Too long on X for Alice Martin (@alice_martin): 1 character over.')
    expect(page).not.toContain('for Carla Souza (@carlasouza)')
    expect(res.body).toContain(filler) // what was typed is kept
    expect(await rows()).toEqual(before)
    // Written for Carla only, it fits.
    const one = await post(base(), { locale: 'en', targetId: carla.id, body }, editor)
    expect(one.statusCode).toBe(303)
    expect((await rows()).find((m) => m.body === body)).toMatchObject({ targetId: carla.id })
  })

  it('names the target by name when it has no handle on that network, and counts the other problems', async () => {
    const body = '{target} ' + 'w'.repeat(300) + ' {hashtags} {link}'
    const res = await post(base(), { locale: 'fr', targetId: '', body }, editor)
    expect(res.statusCode).toBe(400)
    const page = text(res.body)
    expect(page).toMatch(/Too long on Bluesky for Carla Souza: \d+ characters over\./)
    expect(page).toMatch(/Too long on X for Bongani Dube \(@bdube\): \d+ characters over\./)
  })

  it('refuses unknown placeholders, an empty template, a language the campaign does not have, and another campaign’s target', async () => {
    const before = await rows()
    const cases: Array<[Fields, string]> = [
      [{ locale: 'en', targetId: '', body: '{targte}, act now! {link}' }, '{targte} is not a placeholder: did you mean {target}?'],
      [{ locale: 'en', targetId: '', body: '{target}, {name} act now!' }, '{name} is not a placeholder: use {target}, {hashtags} or {link}.'],
      [{ locale: 'en', targetId: '', body: '   ' }, 'Write the template.'],
      [{ locale: 'de', targetId: '', body: '{target} act' }, 'Choose one of the campaign’s languages.'],
      [{ locale: 'en', targetId: other.targets[0]!.id, body: '{target} act' }, 'Choose a target from the list, or every target.'],
      [{ locale: 'en', targetId: 'not-an-id', body: '{target} act' }, 'Choose a target from the list, or every target.']
    ]
    for (const [fields, message] of cases) {
      const res = await post(base(), fields, editor)
      expect(res.statusCode, message).toBe(400)
      expect(text(res.body), message).toContain(message)
    }
    expect(await rows()).toEqual(before)
  })

  it('edits a variant, checking it again', async () => {
    const id = c.messages[3]!.id
    const ok = await post(`${base()}/${id}`, { locale: 'en', targetId: '', body: '{target}, millions are counting on you, today. {hashtags} {link}' }, editor)
    expect(ok.statusCode).toBe(303)
    expect((await t.deps.db.select().from(messages).where(eq(messages.id, id)))[0]!.body).toBe('{target}, millions are counting on you, today. {hashtags} {link}')
    const bad = await post(`${base()}/${id}`, { locale: 'en', targetId: '', body: '{target} ' + 'q'.repeat(600) }, editor)
    expect(bad.statusCode).toBe(400)
    expect(text(bad.body)).toContain('Too long on Threads for Alice Martin (@alice.martin)')
    expect((await t.deps.db.select().from(messages).where(eq(messages.id, id)))[0]!.body).toBe('{target}, millions are counting on you, today. {hashtags} {link}')
    const [log] = await t.deps.db.select().from(auditLog).where(and(eq(auditLog.entityId, id), eq(auditLog.action, 'update')))
    expect(log!.before).toMatchObject({ body: '{target}, millions are counting on you. {hashtags} {link}' })
  })

  it('saves a variant whose campaign hashtag one network reads differently, and warns which network reads it how', async () => {
    // A Persian tag with a zero-width non-joiner: one tag for X and Mastodon, cut at the ZWNJ by Bluesky.
    const persian = 'می\u200cخواهیم'
    await t.deps.db.update(campaignTexts).set({ hashtags: [persian] }).where(and(eq(campaignTexts.campaignId, other.id), eq(campaignTexts.locale, 'en')))
    const body = '{target} we want it now {hashtags} {link}'
    const saved = await post(base(other.id), { locale: 'en', targetId: '', body, channels: 'bluesky' }, editor)
    expect(saved.statusCode).toBe(303)
    const [row] = (await rows(other.id)).filter((m) => m.body === body)
    expect(row).toMatchObject({ body, channels: ['bluesky'], active: true })
    expect(saved.headers.location).toBe(`${base(other.id)}/${row!.id}/edit`)
    const flash = saved.cookies.find((x) => x.name === 'bouteille_flash')!
    const page = await get(saved.headers.location as string, { ...editor, cookie: `${editor.cookie}; bouteille_flash=${flash.value}` })
    expect(page.statusCode).toBe(200)
    const shown = text(page.body)
    expect(shown).toContain('The variant was saved, but a network reads one of its hashtags differently: see below.')
    expect(shown).toContain(`#${persian} is read as #می on Bluesky`)
    expect(page.body).toMatch(/data-testid="tag-warnings"/)
    expect(page.body).not.toMatch(/aria-invalid="true"/)
    // The warning is for the networks the variant is sent on: on X and Mastodon the tag is whole, so nothing is said.
    const x = await post(base(other.id), { locale: 'en', targetId: '', body: '{target} on X {hashtags} {link}', channels: 'x', op: 'preview' }, editor)
    expect(x.statusCode).toBe(200)
    expect(x.body).not.toMatch(/data-testid="tag-warnings"/)
  })

  it('saves a variant with a written hashtag X and Mastodon read differently, naming both networks; a length problem still blocks', async () => {
    const id = c.messages[3]!.id
    const body = '{target} #COP² now {hashtags} {link}'
    const saved = await post(`${base()}/${id}`, { locale: 'en', targetId: '', body }, editor)
    expect(saved.statusCode).toBe(303)
    expect((await t.deps.db.select().from(messages).where(eq(messages.id, id)))[0]!.body).toBe(body)
    const page = text((await get(`${base()}/${id}/edit`, editor)).body)
    expect(page).toContain('#COP² is read as #COP on X')
    expect(page).toContain('#COP² is read as #COP on Mastodon')
    const tooLong = await post(`${base()}/${id}`, { locale: 'en', targetId: '', body: '{target} #COP² ' + 'q'.repeat(600) }, editor)
    expect(tooLong.statusCode).toBe(400)
    const shown = text(tooLong.body)
    expect(shown).toContain('Too long on Threads for Alice Martin (@alice.martin)')
    expect(shown).toContain('#COP² is read as #COP on X')
    expect((await t.deps.db.select().from(messages).where(eq(messages.id, id)))[0]!.body).toBe(body)
  })

  it('deactivates a variant, and shows it again only if it still fits', async () => {
    const id = c.messages[1]!.id
    expect((await post(`${base()}/${id}/deactivate`, {}, editor)).statusCode).toBe(303)
    expect((await t.deps.db.select().from(messages).where(eq(messages.id, id)))[0]!.active).toBe(false)
    await eventually(async () => !(await t.deps.catalog.get(c.slug))?.messagesById.has(id), 5_000, 'the catalog to drop the variant')
    // Meanwhile the variant was changed behind the admin's back (e.g. an older version): it cannot come back as it is.
    const alice = target('Alice Martin')
    await t.deps.db.update(messages).set({ body: '{target} ' + 'v'.repeat(4990) }).where(eq(messages.id, id))
    const refused = await post(`${base()}/${id}/activate`, {}, editor)
    expect(refused.statusCode).toBe(400)
    const page = text(refused.body)
    expect(page).toMatch(/Too long on X for Alice Martin \(@alice_martin\): 4,\d{3} characters over\./)
    expect(page).toMatch(/… and \d+ more targets or networks where it is too long\./)
    expect((await t.deps.db.select().from(messages).where(eq(messages.id, id)))[0]!.active).toBe(false)
    await t.deps.db.update(messages).set({ body: c.messages[1]!.body }).where(eq(messages.id, id))
    expect((await post(`${base()}/${id}/activate`, {}, editor)).statusCode).toBe(303)
    expect((await t.deps.db.select().from(messages).where(eq(messages.id, id)))[0]!.active).toBe(true)
    expect(alice.email).toBe('alice@example.org')
  })

  it('checks only the networks the campaign enabled', async () => {
    const bottleOnly = await seedCampaign(t.deps, { channels: ['bottle'] })
    const body = '{target} ' + 'u'.repeat(600)
    expect((await post(base(bottleOnly.id), { locale: 'en', targetId: '', body }, editor)).statusCode).toBe(303)
    const res = await get(`${base(bottleOnly.id)}/${(await rows(bottleOnly.id)).find((m) => m.body === body)!.id}/edit`, editor)
    expect(res.body).toContain('data-channel="bottle"')
    expect(res.body).not.toContain('data-channel="x"')
  })

  it('keeps a variant written for a target that was deactivated selectable', async () => {
    const bongani = target('Bongani Dube')
    const [m] = await t.deps.db.insert(messages).values({ campaignId: c.id, locale: 'en', targetId: bongani.id, body: '{target}, for you. {hashtags} {link}', position: 7 }).returning()
    await t.deps.db.update(targets).set({ active: false }).where(eq(targets.id, bongani.id))
    const res = await get(`${base()}/${m!.id}/edit`, editor)
    expect(res.statusCode).toBe(200)
    expect(res.body).toMatch(new RegExp(`<option value="${bongani.id}" selected>Bongani Dube \\(Deactivated\\)</option>`))
    expect(text(res.body)).toContain('As each network will show it, for Bongani Dube')
    await t.deps.db.update(targets).set({ active: true }).where(eq(targets.id, bongani.id))
  })
})
