import { randomUUID } from 'node:crypto'
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AdminRoute } from '../../server/plugins/admin.ts'
import { buildTestApp, listen, pageText, readEventStream, seedCampaign, signIn, type SeededCampaign, type SignedIn } from '../helper.ts'

// Per-campaign access (issue 11 §3): a member granted chosen campaigns sees those only; any other campaign
// answers exactly as one that does not exist.
describe('members granted chosen campaigns', () => {
  let t: Awaited<ReturnType<typeof buildTestApp>>
  let base: string
  let mine: SeededCampaign
  let other: SeededCampaign
  let owner: SignedIn
  let editor: SignedIn
  let scopedEditor: SignedIn
  let scopedViewer: SignedIn

  beforeAll(async () => {
    t = await buildTestApp()
    base = await listen(t)
    mine = await seedCampaign(t.deps, { slug: 'ours-to-run' })
    other = await seedCampaign(t.deps, { slug: 'partner-secret', status: 'draft' })
    owner = await signIn(t.deps, 'owner')
    editor = await signIn(t.deps, 'editor')
    scopedEditor = await signIn(t.deps, 'editor')
    scopedViewer = await signIn(t.deps, 'viewer')
    for (const who of [scopedEditor, scopedViewer]) {
      expect(await t.deps.access.setGrants(owner.user, who.user.id, { allCampaigns: false, campaignIds: [mine.id] })).toMatchObject({ ok: true, changed: true })
    }
  })
  afterAll(async () => { await t.close() })

  const get = (url: string, who: SignedIn) => t.app.inject({ method: 'GET', url, headers: { ...who.headers, 'accept-language': 'en' } })
  const post = (url: string, who: SignedIn, body: Record<string, string | string[]> = {}) => t.app.inject({
    method: 'POST',
    url,
    headers: { ...who.headers, 'accept-language': 'en', 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams(Object.entries({ _csrf: who.csrf, ...body }).flatMap(([k, v]) => [v].flat().map((x) => [k, x]))).toString()
  })
  // The route's URL for a campaign: sub-records (a target, a message, a file) get ids of that campaign where the page needs one.
  const urlFor = (r: AdminRoute, c: SeededCampaign) => r.url.replace(':id', c.id).replace(':targetId', c.targets[0]!.id).replace(':messageId', c.messages[0]!.id)
    .replace(':file', `${c.targets[0]!.id}.html`).replace(/:(\w+)/g, () => randomUUID())
  const counts = async () => (await t.deps.db.execute(sql`select (select count(*) from campaigns) c, (select string_agg(status::text, ',' order by slug) from campaigns) s, (select count(*) from targets) tg, (select count(*) from messages) m, (select count(*) from audit_log) a, (select count(*) from milestone_plans) mp, (select count(*) from deliveries) d`)).rows[0]

  it('answers 404 on every route of a campaign not granted, as for a campaign that does not exist, and changes nothing', async () => {
    const routes = t.app.adminRoutes.filter((r) => r.campaign)
    const named = routes.map((r) => `${r.method} ${r.url}`)
    for (const expected of ['GET /admin/campaigns/:id', 'GET /admin/campaigns/:id/dashboard.json', 'GET /admin/campaigns/:id/events', 'GET /admin/campaigns/:id/exports',
      'GET /admin/campaigns/:id/exports/actions.csv', 'GET /admin/campaigns/:id/exports/counts.csv', 'GET /admin/campaigns/:id/exports/osdi.json', 'GET /admin/campaigns/:id/bottle',
      'POST /admin/campaigns/:id/bottle/moderate', 'GET /admin/campaigns/:id/delivery', 'POST /admin/campaigns/:id/delivery/deliver', 'GET /admin/campaigns/:id/dossiers/:file',
      'GET /admin/campaigns/:id/targets', 'POST /admin/campaigns/:id/targets', 'GET /admin/campaigns/:id/messages', 'GET /admin/campaigns/:id/edit', 'POST /admin/campaigns/:id',
      'POST /admin/campaigns/:id/status', 'POST /admin/campaigns/:id/milestones']) {
      expect(named).toContain(expected)
    }
    const before = await counts()
    const body = { to: 'live', target: 'all', percents: '50', name: 'Zed', ids: other.targets[0]!.id, op: 'approve', words: 'x' }
    const call = (r: AdminRoute, url: string, who: SignedIn) => r.method === 'POST' ? post(url, who, body) : t.app.inject({ method: r.method as 'GET', url, headers: { ...who.headers, 'accept-language': 'en' } })
    for (const who of [scopedEditor, scopedViewer]) {
      for (const r of routes) {
        const url = urlFor(r, other)
        const res = await call(r, url, who)
        const label = `${who.user.email} ${r.method} ${r.url}`
        expect(res.statusCode, label).toBe(404)
        expect(res.body, label).not.toContain('partner-secret')
        // The same page as for an id no campaign has (the page links its own address, hence the id swap).
        const nobody = randomUUID()
        const missing = await call(r, url.replace(other.id, nobody), who)
        expect(missing.statusCode, label).toBe(404)
        expect(res.body.replaceAll(other.id, nobody), label).toBe(missing.body)
      }
    }
    expect(await counts()).toEqual(before)
  })

  it('lets the installation-wide editor reach the same campaign (the 404 is the grant, not the route)', async () => {
    expect((await get(`/admin/campaigns/${other.id}`, editor)).statusCode).toBe(200)
    expect((await get(`/admin/campaigns/${other.id}/dashboard.json`, editor)).statusCode).toBe(200)
    expect(pageText((await get('/admin', editor)).body)).toContain('partner-secret')
  })

  it('refuses the event stream of a campaign not granted, and streams the granted one', async () => {
    const refused = await readEventStream(base, `/admin/campaigns/${other.id}/events`, { cookie: scopedViewer.cookie })
    expect(refused.res.statusCode).toBe(404)
    refused.close()
    const open = await readEventStream<{ campaign: { id: string } }>(base, `/admin/campaigns/${mine.id}/events`, { only: 'dashboard', cookie: scopedViewer.cookie, firstData: true })
    expect(open.res.statusCode).toBe(200)
    expect(open.res.headers['content-type']).toMatch(/^text\/event-stream/)
    open.close()
  })

  it('ends an open dashboard stream when its reader loses the campaign', async () => {
    const member = await signIn(t.deps, 'viewer')
    await t.deps.access.setGrants(owner.user, member.user.id, { allCampaigns: false, campaignIds: [mine.id, other.id] })
    const kept = await readEventStream(base, `/admin/campaigns/${mine.id}/events`, { only: 'dashboard', cookie: member.cookie, firstData: true })
    const lost = await readEventStream(base, `/admin/campaigns/${other.id}/events`, { only: 'dashboard', cookie: member.cookie, firstData: true })
    const ended = new Promise<void>((resolve) => lost.res.once('end', () => resolve()))
    let keptEnded = false
    kept.res.once('end', () => { keptEnded = true })
    expect((await post(`/admin/team/${member.user.id}/campaigns`, owner, { scope: 'chosen', campaigns: mine.id })).statusCode).toBe(303)
    await ended
    expect(keptEnded).toBe(false)
    kept.close()
  })

  it('shows only the granted campaigns in the list, with no way to create one', async () => {
    const res = await get('/admin', scopedEditor)
    expect(res.statusCode).toBe(200)
    expect(res.body).toContain(`/admin/campaigns/${mine.id}`)
    expect(res.body).not.toContain(other.id)
    expect(pageText(res.body)).not.toContain('partner-secret')
    expect(res.body).not.toContain('href="/admin/campaigns/new"')
    expect((await get('/admin/campaigns/new', scopedEditor)).statusCode).toBe(403)
    const before = await counts()
    expect((await post('/admin/campaigns', scopedEditor, { slug: 'sneaky-new' })).statusCode).toBe(403)
    expect(await counts()).toEqual(before)
  })

  it('keeps the team, the audit log and the queues from a scoped editor', async () => {
    for (const url of ['/admin/team', '/admin/audit', `/admin/audit?campaign=${other.id}`, '/admin/queues']) {
      const res = await get(url, scopedEditor)
      expect(res.statusCode, url).toBe(403)
      expect(res.body, url).not.toContain('partner-secret')
    }
  })

  it('lets a scoped editor work on the granted campaign', async () => {
    for (const path of ['', '/dashboard.json', '/edit', '/targets', '/messages', '/exports', '/bottle', '/delivery', '/exports/counts.csv', '/exports/actions.csv']) {
      expect((await get(`/admin/campaigns/${mine.id}${path}`, scopedEditor)).statusCode, path).toBe(200)
    }
    const saved = await post(`/admin/campaigns/${mine.id}/milestones`, scopedEditor, { percents: '25, 75', counts: '' })
    expect(saved.statusCode).toBe(303)
    const { rows } = await t.deps.db.execute(sql`select percents from milestone_plans where campaign_id = ${mine.id}`)
    expect(rows[0]?.percents).toEqual([25, 75])
    const audited = await t.deps.db.execute(sql`select user_id from audit_log where entity = 'milestones' and campaign_id = ${mine.id}`)
    expect(audited.rows.map((r) => r.user_id)).toContain(scopedEditor.user.id)
  })

  it('cannot reach another campaign\'s records through the granted campaign\'s address', async () => {
    const before = await counts()
    for (const path of [`/targets/${other.targets[0]!.id}/edit`, `/messages/${other.messages[0]!.id}/edit`, `/dossiers/${other.targets[0]!.id}.html`]) {
      const res = await get(`/admin/campaigns/${mine.id}${path}`, scopedEditor)
      expect(res.statusCode, path).toBe(404)
    }
    expect((await post(`/admin/campaigns/${mine.id}/targets/${other.targets[0]!.id}`, scopedEditor, { name: 'Taken over' })).statusCode).toBe(404)
    expect(await counts()).toEqual(before)
  })

  it('lets a scoped viewer read the granted campaign but not change it', async () => {
    const page = await get(`/admin/campaigns/${mine.id}`, scopedViewer)
    expect(page.statusCode).toBe(200)
    expect(page.body).not.toContain('name="percents"')
    const before = await counts()
    expect((await post(`/admin/campaigns/${mine.id}/milestones`, scopedViewer, { percents: '10' })).statusCode).toBe(403)
    expect((await post(`/admin/campaigns/${mine.id}/status`, scopedViewer, { to: 'paused' })).statusCode).toBe(403)
    expect((await get(`/admin/campaigns/${mine.id}/exports/actions.csv`, scopedViewer)).statusCode).toBe(403)
    expect(await counts()).toEqual(before)
  })

  it('lets the owner change grants on the team page, audited, with effect on the next request', async () => {
    const team = await get('/admin/team', owner)
    expect(team.statusCode).toBe(200)
    expect(team.body).toContain(`action="/admin/team/${scopedEditor.user.id}/campaigns"`)

    const widened = await post(`/admin/team/${scopedEditor.user.id}/campaigns`, owner, { scope: 'chosen', campaigns: [mine.id, other.id] })
    expect(widened.statusCode).toBe(303)
    expect((await get(`/admin/campaigns/${other.id}`, scopedEditor)).statusCode).toBe(200)

    const narrowed = await post(`/admin/team/${scopedEditor.user.id}/campaigns`, owner, { scope: 'chosen', campaigns: [mine.id] })
    expect(narrowed.statusCode).toBe(303)
    expect((await get(`/admin/campaigns/${other.id}`, scopedEditor)).statusCode).toBe(404)

    const { rows } = await t.deps.db.execute(sql`select user_id, entity_id, before, after from audit_log where action = 'grants' and entity_id = ${scopedEditor.user.id} order by id`)
    expect(rows.map((r) => [r.before, r.after])).toEqual([
      [{ email: scopedEditor.user.email, allCampaigns: true, campaigns: [] }, { email: scopedEditor.user.email, allCampaigns: false, campaigns: ['ours-to-run'] }],
      [{ email: scopedEditor.user.email, allCampaigns: false, campaigns: ['ours-to-run'] }, { email: scopedEditor.user.email, allCampaigns: false, campaigns: ['ours-to-run', 'partner-secret'] }],
      [{ email: scopedEditor.user.email, allCampaigns: false, campaigns: ['ours-to-run', 'partner-secret'] }, { email: scopedEditor.user.email, allCampaigns: false, campaigns: ['ours-to-run'] }]
    ])
    expect(rows.slice(1).every((r) => r.user_id === owner.user.id)).toBe(true)
    const log = pageText((await get('/admin/audit', owner)).body)
    expect(log).toContain('campaign access changed')

    // Saving the same choice again records nothing.
    await post(`/admin/team/${scopedEditor.user.id}/campaigns`, owner, { scope: 'chosen', campaigns: mine.id })
    const again = await t.deps.db.execute(sql`select count(*)::int n from audit_log where action = 'grants' and entity_id = ${scopedEditor.user.id}`)
    expect(again.rows[0]?.n).toBe(3)
  })

  it('gives a member every campaign again with "all campaigns"', async () => {
    const member = await signIn(t.deps, 'viewer')
    await t.deps.access.setGrants(owner.user, member.user.id, { allCampaigns: false, campaignIds: [] })
    expect((await get(`/admin/campaigns/${mine.id}`, member)).statusCode).toBe(404)
    expect((await post(`/admin/team/${member.user.id}/campaigns`, owner, { scope: 'all' })).statusCode).toBe(303)
    expect((await get(`/admin/campaigns/${other.id}`, member)).statusCode).toBe(200)
  })

  it('refuses bad grant changes with a clear message in the owner\'s language, changing nothing', async () => {
    const before = await counts()
    const owner2 = await signIn(t.deps, 'owner')
    const cases: Array<[string, Record<string, string | string[]>, number, RegExp, RegExp]> = [
      [scopedEditor.user.id, { scope: 'some' }, 400, /Choose “All campaigns”/, /Choisissez « Toutes les campagnes »/],
      [scopedEditor.user.id, { scope: 'chosen', campaigns: 'not-an-id' }, 400, /Choose “All campaigns”/, /Choisissez/],
      [scopedEditor.user.id, { scope: 'chosen', campaigns: randomUUID() }, 400, /campaigns that exist/, /campagnes qui existent/],
      [owner2.user.id, { scope: 'chosen', campaigns: mine.id }, 400, /An owner sees every campaign/, /Un propriétaire voit toutes les campagnes/]
    ]
    for (const [userId, body, status, en, fr] of cases) {
      for (const [lang, text] of [['en', en], ['fr', fr]] as const) {
        const res = await t.app.inject({
          method: 'POST',
          url: `/admin/team/${userId}/campaigns?lang=${lang}`,
          headers: { ...owner.headers, 'content-type': 'application/x-www-form-urlencoded' },
          payload: new URLSearchParams(Object.entries({ _csrf: owner.csrf, ...body }).flatMap(([k, v]) => [v].flat().map((x) => [k, x]))).toString()
        })
        expect(res.statusCode, JSON.stringify(body)).toBe(status)
        expect(pageText(res.body)).toMatch(text)
      }
    }
    expect((await post(`/admin/team/${randomUUID()}/campaigns`, owner, { scope: 'all' })).statusCode).toBe(404)
    expect((await post(`/admin/team/${scopedViewer.user.id}/campaigns`, editor, { scope: 'all' })).statusCode).toBe(403)
    expect(await counts()).toEqual(before)
    expect((await get(`/admin/campaigns/${other.id}`, scopedViewer)).statusCode).toBe(404)
  })

  it('invites a member limited to chosen campaigns: they join limited, never seeing another campaign', async () => {
    const invited = await post('/admin/team/invite', owner, { email: '', role: 'editor', scope: 'chosen', campaigns: mine.id })
    expect(invited.statusCode).toBe(303)
    const flash = invited.cookies.find((c) => c.name === 'bouteille_flash')!
    const link = JSON.parse(Buffer.from(flash.value, 'base64url').toString('utf8')).link as string
    const path = new URL(link).pathname
    const [inv] = (await t.deps.db.execute(sql`select campaign_ids from invites where campaign_ids is not null`)).rows
    expect(inv?.campaign_ids).toEqual([mine.id])
    const pending = pageText((await get('/admin/team', owner)).body)
    expect(pending).toContain('ours-to-run')

    // The invitee's browser: the form's pre-session cookie and CSRF token, then the session cookie.
    const form = await t.app.inject({ url: path, headers: { 'accept-language': 'en' } })
    const pre = form.cookies.map((c) => `${c.name}=${c.value}`).join('; ')
    const csrf = /name="_csrf" value="([^"]+)"/.exec(form.body)![1]!
    const email = `partner-${randomUUID().slice(0, 6)}@example.org`
    const joined = await t.app.inject({
      method: 'POST',
      url: path,
      headers: { cookie: pre, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ _csrf: csrf, email, name: 'Partner', password: 'correct horse battery staple', confirm: 'correct horse battery staple' }).toString()
    })
    expect(joined.statusCode).toBe(303)
    const session = joined.cookies.filter((c) => c.name === 'bouteille_session').map((c) => `${c.name}=${c.value}`).join('; ')
    const asPartner = (url: string) => t.app.inject({ url, headers: { cookie: session, 'accept-language': 'en' } })
    expect((await asPartner(`/admin/campaigns/${mine.id}`)).statusCode).toBe(200)
    expect((await asPartner(`/admin/campaigns/${other.id}`)).statusCode).toBe(404)
    expect(pageText((await asPartner('/admin')).body)).not.toContain('partner-secret')
    const { rows } = await t.deps.db.execute(sql`select a.action, a.after from audit_log a join users u on u.id = a.entity_id::uuid where u.email = ${email} and a.action = 'grants'`)
    expect(rows).toEqual([{ action: 'grants', after: { email, allCampaigns: false, campaigns: ['ours-to-run'] } }])
  })

  it('refuses an invitation of an owner limited to campaigns, or to an unknown campaign', async () => {
    const before = await t.deps.db.execute(sql`select count(*)::int n from invites`)
    const asOwner = await post('/admin/team/invite', owner, { role: 'owner', scope: 'chosen', campaigns: mine.id })
    expect(asOwner.statusCode).toBe(400)
    expect(pageText(asOwner.body)).toContain('An owner sees every campaign')
    const unknown = await post('/admin/team/invite', owner, { role: 'viewer', scope: 'chosen', campaigns: randomUUID() })
    expect(unknown.statusCode).toBe(400)
    expect(pageText(unknown.body)).toContain('campaigns that exist')
    expect((await t.deps.db.execute(sql`select count(*)::int n from invites`)).rows).toEqual(before.rows)
  })

  it('makes a scoped member installation-wide when they become an owner', async () => {
    const member = await signIn(t.deps, 'editor')
    await t.deps.access.setGrants(owner.user, member.user.id, { allCampaigns: false, campaignIds: [mine.id] })
    expect((await post(`/admin/team/${member.user.id}/role`, owner, { role: 'owner' })).statusCode).toBe(303)
    expect(await t.deps.access.scopeOf(member.user.id)).toBeNull()
  })
})
