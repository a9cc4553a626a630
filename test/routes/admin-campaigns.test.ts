import sharp from 'sharp'
import { randomUUID } from 'node:crypto'
import { eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { lifecycleJobId } from '../../server/queues.ts'
import { auditLog, campaignCounts, campaigns, campaignTexts } from '../../server/db/schema.ts'
import { previewToken } from '../../server/domain/campaign-rules.ts'
import { buildTestApp, eventually, pageText, seedCampaign, signIn, type SignedIn } from '../helper.ts'

type Fields = Record<string, string | string[]>

function encode (fields: Fields): string {
  const p = new URLSearchParams()
  for (const [k, v] of Object.entries(fields)) for (const one of Array.isArray(v) ? v : [v]) p.append(k, one)
  return p.toString()
}

/** A valid editor form for a new campaign. */
function campaignFields (extra: Fields = {}): Fields {
  return {
    slug: `camp-${randomUUID().slice(0, 8)}`,
    goal: '500',
    defaultLocale: 'fr',
    channels: ['x', 'bluesky', 'bottle'],
    timeZone: 'Europe/Paris',
    opensAt: '',
    closesAt: '',
    title_fr: 'Sauvons les océans',
    pitch_fr: 'Les négociateurs décident cette semaine.',
    callToAction_fr: 'Écrivez-leur',
    shareText_fr: 'J’ai écrit aux négociateurs',
    hashtags_fr: '#océans, COP30',
    title_en: 'Save the oceans',
    pitch_en: 'Negotiators decide this week.',
    callToAction_en: 'Write to them',
    shareText_en: '',
    hashtags_en: 'oceans',
    ...extra
  }
}

const FUTURE = '2099-06-01T09:00'

describe('admin: campaigns', () => {
  let t: Awaited<ReturnType<typeof buildTestApp>>
  let editor: SignedIn
  let viewer: SignedIn

  beforeAll(async () => {
    t = await buildTestApp()
    editor = await signIn(t.deps, 'editor')
    viewer = await signIn(t.deps, 'viewer')
  })
  afterAll(async () => { await t.close() })

  const get = (url: string, who?: SignedIn) => t.app.inject({ url, headers: { 'accept-language': 'en', ...(who ? { cookie: who.cookie } : {}) } })
  const post = (url: string, fields: Fields, who?: SignedIn, csrf = true) => t.app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'en', ...(who ? { cookie: who.cookie } : {}) },
    payload: encode(csrf && who ? { _csrf: who.csrf, ...fields } : fields)
  })
  const count = async (table: typeof campaigns | typeof auditLog) => (await t.deps.db.select({ n: sql<number>`count(*)::int` }).from(table))[0]!.n
  const row = async (id: string) => (await t.deps.db.select().from(campaigns).where(eq(campaigns.id, id)))[0]!
  const audits = (id: string) => t.deps.db.select().from(auditLog).where(eq(auditLog.campaignId, id)).orderBy(auditLog.id)

  describe('access', () => {
    let id: string
    beforeAll(async () => { id = (await seedCampaign(t.deps, { status: 'draft' })).id })

    const gets = () => ['/admin', '/admin/campaigns/new', `/admin/campaigns/${id}/edit`]
    const posts = (): Array<[string, Fields]> => [['/admin/campaigns', campaignFields()], [`/admin/campaigns/${id}`, campaignFields()], [`/admin/campaigns/${id}/status`, { to: 'live' }]]

    it('sends a visitor without a session to the login page (303 on GET, 401 on POST)', async () => {
      for (const url of gets()) {
        const res = await get(url)
        expect(res.statusCode, url).toBe(303)
        expect(res.headers.location).toBe(`/admin/login?next=${encodeURIComponent(url)}`)
      }
      for (const [url, fields] of posts()) expect((await post(url, fields)).statusCode, url).toBe(401)
      expect((await row(id)).status).toBe('draft')
    })

    it('lets a viewer read the list and a campaign’s settings, and nothing more (403)', async () => {
      expect((await get('/admin', viewer)).statusCode).toBe(200)
      const edit = await get(`/admin/campaigns/${id}/edit`, viewer)
      expect(edit.statusCode).toBe(200)
      expect(edit.body).toContain('Your role can read these settings but not change them.')
      expect(edit.body).toMatch(/<fieldset class="fieldset stack" disabled>/)
      expect(edit.body).not.toContain(`action="/admin/campaigns/${id}/status"`)
      expect((await get('/admin/campaigns/new', viewer)).statusCode).toBe(403)
      const before = await count(auditLog)
      for (const [url, fields] of posts()) expect((await post(url, fields, viewer)).statusCode, url).toBe(403)
      expect(await count(auditLog)).toBe(before)
      expect((await row(id)).status).toBe('draft')
    })

    it('refuses a change without its CSRF token (403)', async () => {
      const before = await count(auditLog)
      for (const [url, fields] of posts()) expect((await post(url, fields, editor, false)).statusCode, url).toBe(403)
      expect((await post(`/admin/campaigns/${id}/status`, { to: 'live', _csrf: viewer.csrf }, editor, false)).statusCode).toBe(403)
      expect(await count(auditLog)).toBe(before)
      expect((await row(id)).status).toBe('draft')
    })

    it('answers 404 for an unknown campaign or an id that is not one', async () => {
      for (const bad of [randomUUID(), 'not-a-uuid', `${id}x`]) {
        expect((await get(`/admin/campaigns/${bad}/edit`, editor)).statusCode, bad).toBe(404)
        expect((await post(`/admin/campaigns/${bad}`, campaignFields(), editor)).statusCode, bad).toBe(404)
        expect((await post(`/admin/campaigns/${bad}/status`, { to: 'live' }, editor)).statusCode, bad).toBe(404)
      }
    })
  })

  describe('the list', () => {
    it('shows an empty state with "Create a campaign" when there is none', async () => {
      const fresh = await buildTestApp()
      try {
        const who = await signIn(fresh.deps, 'editor')
        const res = await fresh.app.inject({ url: '/admin', headers: { cookie: who.cookie, 'accept-language': 'en' } })
        expect(res.statusCode).toBe(200)
        expect(res.body).toContain('No campaign yet.')
        expect(res.body).toContain('<a class="btn btn--primary" href="/admin/campaigns/new">Create a campaign</a>')
      } finally {
        await fresh.close()
      }
    })

    it('shows each campaign’s title, slug, status, live count from the counters, stepped-up goal and window', async () => {
      const live = await seedCampaign(t.deps, { status: 'live', goal: 500, opensAt: new Date('2025-01-10T08:00:00Z'), closesAt: new Date('2099-01-20T17:00:00Z') })
      const draft = await seedCampaign(t.deps, { status: 'draft' })
      // The counters, not the action rows, are what the list shows.
      await t.deps.db.insert(campaignCounts).values({ campaignId: live.id, dimension: 'total', key: '', count: 1234 })
      const res = await get('/admin', editor)
      expect(res.statusCode).toBe(200)
      const liveRow = res.body.slice(res.body.indexOf(`data-campaign-id="${live.id}"`))
      expect(liveRow).toContain('Le climat n’attend pas')
      expect(liveRow).toContain(`/c/${live.slug}`)
      expect(liveRow).toMatch(/<span class="badge badge--live">Live<\/span>/)
      expect(liveRow).toMatch(/data-testid="count">1,234</)
      expect(liveRow).toMatch(/data-testid="goal">2,500</)
      expect(liveRow).toContain('Opens Jan 10, 2025, 9:00')
      expect(liveRow).toContain('Closes Jan 20, 2099, 6:00')
      expect(liveRow).toContain('Europe/Paris time')
      const draftRow = res.body.slice(res.body.indexOf(`data-campaign-id="${draft.id}"`))
      expect(draftRow).toMatch(/badge--draft/)
      expect(draftRow).toContain(`href="/c/${draft.slug}?preview=${previewToken(t.deps.config.secret, draft.id)}"`)
      expect(draftRow).toContain(`href="/admin/campaigns/${draft.id}/edit"`)
    })
  })

  describe('create', () => {
    it('shows an empty form with every locale, channel and the default time zone', async () => {
      const res = await get('/admin/campaigns/new', editor)
      expect(res.statusCode).toBe(200)
      for (const name of ['slug', 'goal', 'defaultLocale', 'timeZone', 'opensAt', 'closesAt', 'title_fr', 'title_en', 'pitch_en', 'callToAction_fr', 'shareText_en', 'hashtags_fr']) {
        expect(res.body, name).toContain(`name="${name}"`)
      }
      for (const ch of ['x', 'bluesky', 'mastodon', 'threads', 'email', 'bottle']) expect(res.body).toContain(`name="channels" value="${ch}" checked`)
      expect(res.body).toContain('<option selected>Europe/Paris</option>')
      expect(res.body).toMatch(/type="datetime-local"/)
    })

    it('creates a draft with its texts, audited, and redirects to its editor', async () => {
      const fields = campaignFields({ opensAt: '2099-03-01T10:00', closesAt: '2099-03-03T18:30', timeZone: 'America/New_York' })
      const res = await post('/admin/campaigns', fields, editor)
      expect(res.statusCode).toBe(303)
      const id = /^\/admin\/campaigns\/([0-9a-f-]{36})\/edit\?done=created$/.exec(String(res.headers.location))?.[1]
      expect(id).toBeTruthy()
      const c = await row(id!)
      expect(c).toMatchObject({ slug: fields.slug, status: 'draft', goal: 500, defaultLocale: 'fr', channels: ['x', 'bluesky', 'bottle'], timeZone: 'America/New_York' })
      expect(c.opensAt?.toISOString()).toBe('2099-03-01T15:00:00.000Z')
      expect(c.closesAt?.toISOString()).toBe('2099-03-03T23:30:00.000Z')
      const texts = await t.deps.db.select().from(campaignTexts).where(eq(campaignTexts.campaignId, id!)).orderBy(campaignTexts.locale)
      expect(texts.map((x) => [x.locale, x.title, x.hashtags])).toEqual([['en', 'Save the oceans', ['oceans']], ['fr', 'Sauvons les océans', ['océans', 'COP30']]])
      const log = await audits(id!)
      expect(log).toHaveLength(1)
      expect(log[0]).toMatchObject({ action: 'create', entity: 'campaign', entityId: id, userId: editor.user.id, userEmail: editor.user.email })
      expect(log[0]!.after).toMatchObject({ slug: fields.slug, status: 'draft', goal: 500 })

      const edit = await get(String(res.headers.location), editor)
      expect(edit.body).toContain('Campaign created as a draft.')
      expect(edit.body).toContain(`value="${fields.slug}"`)
      expect(edit.body).toContain('value="2099-03-01T10:00"')
      expect(edit.body).toContain('<option selected>America/New_York</option>')
      expect(edit.body).toContain(`href="/admin/campaigns/${id}/targets"`)
      expect(edit.body).toContain(`href="/admin/campaigns/${id}/messages"`)
      expect(edit.body).toContain(`/c/${fields.slug}?preview=${previewToken(t.deps.config.secret, id!)}`)
      // A draft is not public; its preview link works.
      expect((await get(`/c/${fields.slug}`)).statusCode).toBe(404)
      expect((await get(`/c/${fields.slug}?preview=${previewToken(t.deps.config.secret, id!)}`)).statusCode).toBe(200)
    })

    it('keeps a campaign\'s own send limit for an event, empty meaning the installation\'s', async () => {
      const fields = campaignFields({ sendLimit: '2000' })
      const res = await post('/admin/campaigns', fields, editor)
      expect(res.statusCode).toBe(303)
      const id = /campaigns\/([0-9a-f-]{36})\/edit/.exec(String(res.headers.location))![1]!
      expect((await row(id)).actionRateLimit).toBe(2000)
      const edit = await get(String(res.headers.location), editor)
      expect(edit.body).toMatch(/name="sendLimit"[^>]*value="2000"/)
      expect(pageText(edit.body)).toContain('Empty: the installation’s limit')
      const plain = await post('/admin/campaigns', campaignFields(), editor)
      expect((await row(/campaigns\/([0-9a-f-]{36})\/edit/.exec(String(plain.headers.location))![1]!)).actionRateLimit).toBeNull()
    })

    it('leaves out a language left empty, and keeps an untitled default refused', async () => {
      const fields = campaignFields({ title_en: '', pitch_en: '', callToAction_en: '', shareText_en: '', hashtags_en: '' })
      const res = await post('/admin/campaigns', fields, editor)
      expect(res.statusCode).toBe(303)
      const [c] = await t.deps.db.select().from(campaigns).where(eq(campaigns.slug, fields.slug as string))
      const texts = await t.deps.db.select().from(campaignTexts).where(eq(campaignTexts.campaignId, c!.id))
      expect(texts.map((x) => x.locale)).toEqual(['fr'])
    })

    const bad: Array<[string, Fields, string]> = [
      ['no slug', { slug: '' }, 'Give the campaign an address.'],
      ['a short slug', { slug: 'ab' }, 'The address needs 3 to 60 characters.'],
      ['a slug with capitals', { slug: 'Save-Oceans' }, 'Use lowercase letters a–z, digits and hyphens only'],
      ['a slug ending with a hyphen', { slug: 'oceans-' }, 'Use lowercase letters a–z, digits and hyphens only'],
      ['a goal of 0', { goal: '0' }, 'The goal must be a whole number of at least 1.'],
      ['a goal that is not a number', { goal: 'lots' }, 'The goal must be a whole number of at least 1.'],
      ['a send limit of 0', { sendLimit: '0' }, 'The limit must be a whole number from 1 to 1,000,000, or empty.'],
      ['an unknown default language', { defaultLocale: 'de' }, 'Choose the default language from the list.'],
      ['no channel', { channels: [] }, 'Choose at least one way to send.'],
      ['an unknown channel', { channels: ['x', 'fax'] }, 'Choose at least one way to send.'],
      ['an unknown time zone', { timeZone: 'Mars/Olympus' }, 'Choose a time zone from the list.'],
      ['a date that is not one', { opensAt: '2099-02-30T10:00' }, 'Enter a date and a time, like 2025-11-30 09:00.'],
      ['a closing before the opening', { opensAt: FUTURE, closesAt: '2099-05-01T09:00' }, 'The closing must come after the opening.'],
      ['a closing in the past', { closesAt: '2001-05-01T09:00' }, 'The closing time has passed'],
      ['no title in the default language', { title_fr: '  ' }, 'The title in the default language is required.'],
      ['texts without a title in another language', { title_en: '' }, 'Give a title in this language too, or leave all its fields empty.'],
      ['a hashtag with a hyphen', { hashtags_fr: '#cop-30' }, '“#cop-30” is read as #cop on X: write the tag as the networks read it.'],
      ['a hashtag of digits', { hashtags_en: '2025' }, '“2025” needs at least one letter to work as a hashtag.'],
      ['six hashtags', { hashtags_fr: 'a b c d e f' }, 'At most 5 hashtags (6 given).'],
      ['a title too long', { title_fr: 'x'.repeat(141) }, 'Too long: 141 characters, at most 140.']
    ]
    for (const [what, extra, message] of bad) {
      it(`refuses ${what} with a clear message, keeping what was typed, writing nothing`, async () => {
        const before = [await count(campaigns), await count(auditLog)]
        const fields = campaignFields({ pitch_fr: 'Mon <b>texte</b> à garder', ...extra })
        const res = await post('/admin/campaigns', fields, editor)
        expect(res.statusCode).toBe(400)
        expect(res.headers['content-type']).toMatch(/text\/html/)
        expect(res.body).toContain('The campaign was not saved.')
        expect(res.body).toContain(message)
        expect(res.body).toMatch(/<p class="field-error" id="e-[A-Za-z_]+">/)
        expect(res.body).toContain('Mon &lt;b&gt;texte&lt;/b&gt; à garder')
        expect([await count(campaigns), await count(auditLog)]).toEqual(before)
      })
    }

    it('refuses an address another campaign uses', async () => {
      const other = await seedCampaign(t.deps, { status: 'live' })
      const before = await count(campaigns)
      const res = await post('/admin/campaigns', campaignFields({ slug: other.slug }), editor)
      expect(res.statusCode).toBe(400)
      expect(res.body).toContain(`The address “${other.slug}” is already used by another campaign.`)
      expect(await count(campaigns)).toBe(before)
    })

    it('never answers 500 to a mangled form', async () => {
      for (const payload of ['slug[]=a&goal[x]=1', 'channels=x&channels=x&channels[]=y', '%%%', `title_fr=${'a'.repeat(20_000)}`]) {
        const res = await t.app.inject({ method: 'POST', url: '/admin/campaigns', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: editor.cookie }, payload: `_csrf=${editor.csrf}&${payload}` })
        expect(res.statusCode, payload).toBe(400)
      }
    })
  })

  describe('edit', () => {
    it('saves every field, audited before → after, and the public page shows it at once', async () => {
      const c = await seedCampaign(t.deps, { status: 'live' })
      const page = await get(`/c/${c.slug}?lang=en`)
      expect(page.body).toContain('Climate can’t wait')
      const res = await post(`/admin/campaigns/${c.id}`, campaignFields({ slug: c.slug, title_en: 'Oceans can’t wait', goal: '2000', channels: ['bottle'] }), editor)
      expect(res.statusCode).toBe(303)
      expect(res.headers.location).toBe(`/admin/campaigns/${c.id}/edit?done=saved`)
      expect(await row(c.id)).toMatchObject({ goal: 2000, channels: ['bottle'], status: 'live' })
      const log = (await audits(c.id)).filter((a) => a.action === 'update')
      expect(log).toHaveLength(1)
      expect(log[0]!.before).toMatchObject({ goal: 100, texts: { en: { title: 'Climate can’t wait' } } })
      expect(log[0]!.after).toMatchObject({ goal: 2000, texts: { en: { title: 'Oceans can’t wait' } } })
      await eventually(async () => (await get(`/c/${c.slug}?lang=en`)).body.includes('Oceans can’t wait'), 5000, 'the edited title on the public page')
      const after = (await get(`/c/${c.slug}?lang=en`)).body
      expect(after).toContain('name="channel" value="bottle"')
      expect(after).not.toContain('name="channel" value="x"')
    })

    it('saves the card colours: refuses a background white text cannot be read on (saying the ratio), then redraws the card with a new version', async () => {
      const c = await seedCampaign(t.deps, { status: 'live' })
      const ogImage = async () => /property="og:image" content="([^"]+)"/.exec((await get(`/c/${c.slug}?lang=en`)).body)?.[1]?.replaceAll('&amp;', '&')
      const before = await ogImage()
      expect(before).toBeDefined()
      const pale = await post(`/admin/campaigns/${c.id}`, campaignFields({ slug: c.slug, cardBackground: '#cccccc', cardAccent: '#ffcc00' }), editor)
      expect(pale.statusCode).toBe(400)
      expect(pale.body).toContain('contrast ratio of 1.60, below 4.5')
      expect(await row(c.id)).toMatchObject({ cardBackground: '#0b4d57', cardAccent: '#f2c14e' })
      expect((await post(`/admin/campaigns/${c.id}`, campaignFields({ slug: c.slug, cardBackground: 'red', cardAccent: '#ffcc00' }), editor)).body).toContain('#rrggbb, for example')
      const res = await post(`/admin/campaigns/${c.id}`, campaignFields({ slug: c.slug, cardBackground: '#7A1F3D', cardAccent: '#ffcc00' }), editor)
      expect(res.statusCode).toBe(303)
      expect(await row(c.id)).toMatchObject({ cardBackground: '#7a1f3d', cardAccent: '#ffcc00' })
      await eventually(async () => (await ogImage()) !== before, 5000, 'a new card version in og:image')
      const card = await t.app.inject({ url: new URL((await ogImage())!).pathname + new URL((await ogImage())!).search })
      expect(card.statusCode).toBe(200)
      const { data, info } = await sharp(card.rawPayload).removeAlpha().raw().toBuffer({ resolveWithObject: true })
      const i = (5 * info.width + 5) * info.channels
      expect([data[i], data[i + 1], data[i + 2]].map((v) => Math.round(v! / 8))).toEqual([0x7a, 0x1f, 0x3d].map((v) => Math.round(v / 8)))
    })

    it('moves the campaign to a new address; the old one is gone at once', async () => {
      const c = await seedCampaign(t.deps, { status: 'live' })
      expect((await get(`/c/${c.slug}`)).statusCode).toBe(200)
      const slug = `${c.slug}-moved`
      expect((await post(`/admin/campaigns/${c.id}`, campaignFields({ slug }), editor)).statusCode).toBe(303)
      expect((await row(c.id)).slug).toBe(slug)
      await eventually(async () => (await get(`/c/${c.slug}`)).statusCode === 404, 5000, 'the old address to 404')
      expect((await get(`/c/${slug}`)).statusCode).toBe(200)
    })

    it('refuses another campaign’s address and bad input on edit, changing nothing', async () => {
      const a = await seedCampaign(t.deps, { status: 'live' })
      const b = await seedCampaign(t.deps, { status: 'live' })
      const before = await count(auditLog)
      const taken = await post(`/admin/campaigns/${a.id}`, campaignFields({ slug: b.slug }), editor)
      expect(taken.statusCode).toBe(400)
      expect(taken.body).toContain('is already used by another campaign')
      const future = await post(`/admin/campaigns/${a.id}`, campaignFields({ slug: a.slug, opensAt: FUTURE }), editor)
      expect(future.statusCode).toBe(400)
      expect(future.body).toContain('This campaign is already open: its opening time cannot be in the future.')
      expect((await row(a.id)).slug).toBe(a.slug)
      expect(await count(auditLog)).toBe(before)
    })

    it('moves the delayed opening job when the opening time changes', async () => {
      const c = await seedCampaign(t.deps, { status: 'draft', opensAt: new Date('2099-06-01T07:00:00Z') })
      expect((await post(`/admin/campaigns/${c.id}/status`, { to: 'scheduled' }, editor)).statusCode).toBe(303)
      const oldId = lifecycleJobId(c.id, 'live', new Date('2099-06-01T07:00:00Z'))
      expect(await t.deps.queues.lifecycle.getJob(oldId)).toBeTruthy()
      const res = await post(`/admin/campaigns/${c.id}`, campaignFields({ slug: c.slug, opensAt: '2099-07-01T09:00' }), editor)
      expect(res.statusCode).toBe(303)
      expect(await t.deps.queues.lifecycle.getJob(oldId)).toBeFalsy()
      const job = await t.deps.queues.lifecycle.getJob(lifecycleJobId(c.id, 'live', new Date('2099-07-01T07:00:00Z')))
      expect(job?.data).toEqual({ campaignId: c.id, to: 'live', at: '2099-07-01T07:00:00.000Z' })
      expect(await job?.isDelayed()).toBe(true)
      // A scheduled campaign keeps an opening time to come.
      const cleared = await post(`/admin/campaigns/${c.id}`, campaignFields({ slug: c.slug, opensAt: '' }), editor)
      expect(cleared.statusCode).toBe(400)
      expect(cleared.body).toContain('A scheduled campaign needs an opening time.')
    })
  })

  describe('status', () => {
    it('schedules a draft only with an opening time to come', async () => {
      const c = await seedCampaign(t.deps, { status: 'draft' })
      const before = await count(auditLog)
      const res = await post(`/admin/campaigns/${c.id}/status`, { to: 'scheduled' }, editor)
      expect(res.statusCode).toBe(400)
      expect(res.body).toContain('To schedule the campaign, first set an opening time in the future and save.')
      expect((await row(c.id)).status).toBe('draft')
      expect(await count(auditLog)).toBe(before)
    })

    it('goes draft → scheduled → draft → live ⇄ paused → closed, audited, each change on the public page', async () => {
      const opensAt = new Date('2099-01-01T10:00:00Z')
      const c = await seedCampaign(t.deps, { status: 'draft', opensAt })
      const step = async (to: string) => {
        const res = await post(`/admin/campaigns/${c.id}/status`, { to }, editor)
        expect(res.statusCode, to).toBe(303)
        expect(res.headers.location).toBe(`/admin/campaigns/${c.id}/edit?done=status`)
        expect((await row(c.id)).status).toBe(to)
      }
      await step('scheduled')
      expect(await t.deps.queues.lifecycle.getJob(lifecycleJobId(c.id, 'live', opensAt))).toBeTruthy()
      await eventually(async () => (await get(`/c/${c.slug}`)).statusCode === 200, 5000, 'the scheduled page')
      await step('draft')
      expect(await t.deps.queues.lifecycle.getJob(lifecycleJobId(c.id, 'live', opensAt))).toBeFalsy()
      await eventually(async () => (await get(`/c/${c.slug}`)).statusCode === 404, 5000, 'the draft to 404')
      await step('live')
      // Opened now: the opening time that was still ahead is now.
      expect((await row(c.id)).opensAt!.getTime()).toBeLessThanOrEqual(Date.now())
      await eventually(async () => (await get(`/c/${c.slug}`)).body.includes('name="channel" value="x"'), 5000, 'the open page')
      await step('paused')
      await eventually(async () => (await get(`/c/${c.slug}?lang=en`)).body.includes('This campaign is paused'), 5000, 'the paused page')
      await step('live')
      await step('closed')
      expect((await row(c.id)).closesAt!.getTime()).toBeLessThanOrEqual(Date.now())
      await eventually(async () => (await get(`/c/${c.slug}?lang=en`)).body.includes('This campaign is closed. Thank you: 0 actions.'), 5000, 'the closed page')
      const log = (await audits(c.id)).filter((a) => a.action === 'status')
      expect(log.map((a) => [(a.before as { status: string }).status, (a.after as { status: string }).status])).toEqual([
        ['draft', 'scheduled'], ['scheduled', 'draft'], ['draft', 'live'], ['live', 'paused'], ['paused', 'live'], ['live', 'closed']
      ])
      expect(log.every((a) => a.userId === editor.user.id)).toBe(true)

      const edit = await get(`/admin/campaigns/${c.id}/edit`, editor)
      expect(edit.body).toContain('Closed is final: nothing more can change.')
      const again = await post(`/admin/campaigns/${c.id}/status`, { to: 'live' }, editor)
      expect(again.statusCode).toBe(400)
      expect(again.body).toContain('This campaign is closed: closing is final.')
      expect((await row(c.id)).status).toBe('closed')
    })

    it('offers only the allowed changes, and refuses the others clearly', async () => {
      const c = await seedCampaign(t.deps, { status: 'live' })
      const edit = await get(`/admin/campaigns/${c.id}/edit`, editor)
      expect(edit.body).toContain('name="to" value="paused"')
      expect(edit.body).toContain('name="to" value="closed"')
      expect(edit.body).not.toContain('name="to" value="draft"')
      expect(edit.body).toContain('data-confirm="Close this campaign for good? It cannot be reopened."')
      const before = await count(auditLog)
      for (const [to, message] of [['draft', 'This change of status is not possible from the current one.'], ['live', 'The campaign already has this status.'], ['bogus', 'Unknown status.'], ['', 'Unknown status.']]) {
        const res = await post(`/admin/campaigns/${c.id}/status`, { to: to! }, editor)
        expect(res.statusCode, to).toBe(400)
        expect(res.body).toContain(message)
      }
      expect((await row(c.id)).status).toBe('live')
      expect(await count(auditLog)).toBe(before)
    })

    it('resumes a paused campaign without rewriting its opening time', async () => {
      const opened = new Date('2026-01-05T09:00:00Z')
      const c = await seedCampaign(t.deps, { status: 'paused', opensAt: opened })
      // Opened by hand long ago with no time set: resuming is not an opening either.
      const untimed = await seedCampaign(t.deps, { status: 'paused' })
      for (const id of [c.id, untimed.id]) {
        expect((await post(`/admin/campaigns/${id}/status`, { to: 'live' }, editor)).statusCode).toBe(303)
        expect((await row(id)).status).toBe('live')
      }
      expect((await row(c.id)).opensAt).toEqual(opened)
      expect((await row(untimed.id)).opensAt).toBeNull()
    })

    it('will not open a campaign whose closing time has passed', async () => {
      const c = await seedCampaign(t.deps, { status: 'paused', closesAt: new Date(Date.now() - 60_000) })
      const res = await post(`/admin/campaigns/${c.id}/status`, { to: 'live' }, editor)
      expect(res.statusCode).toBe(400)
      expect(res.body).toContain('The closing time has passed: change it (or empty it) before opening.')
      expect((await row(c.id)).status).toBe('paused')
    })
  })
})
