import { randomUUID } from 'node:crypto'
import { and, desc, eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { auditLog, invites, users, sessions } from '../../server/db/schema.ts'
import { buildTestApp, seedCampaign, signIn, type SignedIn } from '../helper.ts'

const FORM = { 'content-type': 'application/x-www-form-urlencoded' }
type App = Awaited<ReturnType<typeof buildTestApp>>

function client (t: App) {
  return {
    get: (url: string, who?: SignedIn, cookie = '') => t.app.inject({ url, headers: { cookie: [who?.cookie, cookie].filter(Boolean).join('; '), 'accept-language': 'en' } }),
    post: (url: string, who: SignedIn | null, body: Record<string, string> = {}) => t.app.inject({
      method: 'POST',
      url,
      headers: { ...FORM, 'accept-language': 'en', ...(who ? who.headers : {}) },
      payload: new URLSearchParams(who ? { _csrf: who.csrf, ...body } : body).toString()
    })
  }
}

const auditRows = (t: App) => t.deps.db.select().from(auditLog).orderBy(desc(auditLog.id))
const flashCookie = (res: { cookies: Array<{ name: string, value: string }> }) => {
  const c = res.cookies.find((x) => x.name === 'bouteille_flash')
  return c ? `bouteille_flash=${c.value}` : ''
}

describe('team management', () => {
  let t: App
  let http: ReturnType<typeof client>
  let owner: SignedIn
  let editor: SignedIn
  let viewer: SignedIn
  beforeAll(async () => {
    t = await buildTestApp()
    http = client(t)
    owner = await signIn(t.deps, 'owner', 'olga@example.org')
    editor = await signIn(t.deps, 'editor', 'eddie@example.org')
    viewer = await signIn(t.deps, 'viewer', 'vera@example.org')
  })
  afterAll(async () => { await t.close() })

  it('shows the members with role and last sign-in, and the pending invitations', async () => {
    await t.deps.db.update(users).set({ lastLoginAt: new Date('2026-03-02T10:00:00Z') }).where(eq(users.id, editor.user.id))
    await t.deps.db.update(users).set({ lastLoginAt: null }).where(eq(users.id, viewer.user.id))
    await t.deps.auth.createInvite({ role: 'viewer', email: 'pending@example.org', createdBy: owner.user.id })
    const res = await http.get('/admin/team', owner)
    expect(res.statusCode).toBe(200)
    const html = res.body
    for (const m of [owner, editor, viewer]) expect(html).toContain(m.user.email)
    expect(html).toContain('<option value="editor" selected>Editor</option>')
    expect(html).toContain('datetime="2026-03-02T10:00:00.000Z"')
    expect(html).toContain('Never')
    expect(html).toContain('pending@example.org')
    expect(html).toContain(`action="/admin/team/${editor.user.id}/role"`)
    expect(html).toContain(`action="/admin/team/${editor.user.id}/remove"`)
    expect(html).toMatch(/data-confirm="Remove eddie@example.org from the team\?/)
    expect(html).toContain('aria-current="page">Team</a>')
    expect(html).toContain('href="/admin/audit"')
  })

  it('gives editors and viewers 403 and strangers the login page on every team and audit route', async () => {
    const target = editor.user.id
    const posts = ['/admin/team/invite', `/admin/team/invites/${randomUUID()}/revoke`, `/admin/team/${target}/role`, `/admin/team/${target}/remove`]
    for (const who of [editor, viewer]) {
      expect((await http.get('/admin/team', who)).statusCode).toBe(403)
      expect((await http.get('/admin/audit', who)).statusCode).toBe(403)
      for (const url of posts) expect((await http.post(url, who, { role: 'owner', email: 'x@example.org' })).statusCode, url).toBe(403)
    }
    expect((await http.get('/admin/team')).statusCode).toBe(303)
    for (const url of posts) expect((await http.post(url, null, { role: 'owner' })).statusCode).toBe(401)
    const [row] = await t.deps.db.select().from(users).where(eq(users.id, target))
    expect(row!.role).toBe('editor')
  })

  describe('invitations', () => {
    it('creates a one-time link shown once, valid 72 hours, audited without the token', async () => {
      const res = await http.post('/admin/team/invite', owner, { email: 'Nora@Example.org', role: 'editor' })
      expect(res.statusCode).toBe(303)
      expect(res.headers.location).toBe('/admin/team')
      const [inv] = await t.deps.db.select().from(invites).where(eq(invites.email, 'Nora@Example.org'))
      expect(inv!.role).toBe('editor')
      expect(inv!.createdBy).toBe(owner.user.id)
      expect(inv!.expiresAt.getTime() - Date.now()).toBeGreaterThan(71.9 * 3_600_000)
      expect(inv!.expiresAt.getTime() - Date.now()).toBeLessThan(72.1 * 3_600_000)

      const page = await http.get('/admin/team', owner, flashCookie(res))
      const link = /id="invite-link" type="text" readonly value="([^"]+)"/.exec(page.body)?.[1]
      expect(link).toMatch(/^http:\/\/bouteille\.test\/admin\/invite\/[A-Za-z0-9_-]{32}$/)
      expect(page.body).toContain('Copy it now: it is shown only once.')
      // The page consumed it: shown once.
      expect(page.cookies.find((c) => c.name === 'bouteille_flash')?.value).toBe('')
      expect((await http.get('/admin/team', owner)).body).not.toContain(link!)

      // The link is the invitation's: the hash of its token is what the row keeps.
      const token = link!.split('/').pop()!
      expect(inv!.tokenHash).not.toContain(token)
      expect(await t.deps.auth.findInvite(token)).toMatchObject({ id: inv!.id, email: 'Nora@Example.org' })

      const [log] = await t.deps.db.select().from(auditLog).where(and(eq(auditLog.entity, 'invite'), eq(auditLog.entityId, inv!.id)))
      expect(log).toMatchObject({ action: 'invite', userId: owner.user.id, userEmail: owner.user.email, before: null })
      expect(log!.after).toMatchObject({ email: 'Nora@Example.org', role: 'editor' })
      expect(JSON.stringify(log)).not.toContain(token)
      expect(JSON.stringify(log)).not.toContain(inv!.tokenHash)
    })

    it('an invitation without an e-mail is for any address', async () => {
      const res = await http.post('/admin/team/invite', owner, { email: '', role: 'viewer' })
      expect(res.statusCode).toBe(303)
      const page = await http.get('/admin/team', owner, flashCookie(res))
      expect(page.body).toContain('Any address')
    })

    it('refuses a bad e-mail, a bad role or a member’s address with a message per field, writing nothing', async () => {
      const count = async () => (await t.deps.db.select({ n: sql<number>`count(*)::int` }).from(invites))[0]!.n
      const logs = (await auditRows(t)).length
      const before = await count()
      const cases: Array<[Record<string, string>, string]> = [
        [{ email: 'nope', role: 'editor' }, 'Enter a valid e-mail address'],
        [{ email: 'ok@example.org', role: 'admin' }, 'Choose a role: owner, editor or viewer.'],
        [{ email: 'ok@example.org' }, 'Choose a role'],
        [{ email: 'EDDIE@example.org', role: 'viewer' }, 'An account already uses this e-mail address.']
      ]
      for (const [body, message] of cases) {
        const res = await http.post('/admin/team/invite', owner, body)
        expect(res.statusCode, message).toBe(400)
        expect(res.body).toContain(message)
        expect(res.body).toContain('class="field-error"')
        expect(res.body).toContain(`value="${body.email}"`)
      }
      expect(await count()).toBe(before)
      expect((await auditRows(t)).length).toBe(logs)
    })

    it('revokes a pending invitation; an unknown, malformed or used one answers 404', async () => {
      const { id, token } = await t.deps.auth.createInvite({ role: 'editor', email: 'revoke-me@example.org', createdBy: owner.user.id })
      const res = await http.post(`/admin/team/invites/${id}/revoke`, owner)
      expect(res.statusCode).toBe(303)
      expect(await t.deps.db.select().from(invites).where(eq(invites.id, id))).toHaveLength(0)
      expect(await t.deps.auth.findInvite(token)).toBeNull()
      const [log] = await t.deps.db.select().from(auditLog).where(and(eq(auditLog.action, 'revoke'), eq(auditLog.entityId, id)))
      expect(log!.before).toMatchObject({ email: 'revoke-me@example.org', role: 'editor' })
      expect((await http.get('/admin/team', owner, flashCookie(res))).body).toContain('The invitation was revoked.')

      expect((await http.post(`/admin/team/invites/${id}/revoke`, owner)).statusCode).toBe(404)
      expect((await http.post(`/admin/team/invites/${randomUUID()}/revoke`, owner)).statusCode).toBe(404)
      expect((await http.post('/admin/team/invites/not-a-uuid/revoke', owner)).statusCode).toBe(404)
      const used = await t.deps.auth.createInvite({ role: 'editor', createdBy: owner.user.id })
      await t.deps.auth.acceptInvite(used.token, { email: 'used@example.org', password: 'correct horse battery staple' })
      expect((await http.post(`/admin/team/invites/${used.id}/revoke`, owner)).statusCode).toBe(404)
    })
  })

  describe('roles', () => {
    it('changes a role, signs that member out everywhere and audits before → after', async () => {
      const member = await signIn(t.deps, 'editor')
      expect((await http.get('/admin/audit', member)).statusCode).toBe(403)
      const res = await http.post(`/admin/team/${member.user.id}/role`, owner, { role: 'owner' })
      expect(res.statusCode).toBe(303)
      const [row] = await t.deps.db.select().from(users).where(eq(users.id, member.user.id))
      expect(row!.role).toBe('owner')
      const [session] = await t.deps.db.select().from(sessions).where(eq(sessions.id, member.user.sessionId))
      expect(session!.revokedAt).not.toBeNull()
      // The old cookie is refused: they sign in again, with the new role.
      expect((await http.get('/admin/audit', member)).statusCode).toBe(303)
      const [log] = await t.deps.db.select().from(auditLog).where(and(eq(auditLog.action, 'role'), eq(auditLog.entityId, member.user.id)))
      expect(log!.before).toEqual({ email: member.user.email, role: 'editor' })
      expect(log!.after).toEqual({ email: member.user.email, role: 'owner' })
      const page = await http.get('/admin/team', owner, flashCookie(res))
      expect(page.body).toContain(`The role of ${member.user.email} is now Owner.`)
    })

    it('keeps things as they are for the same role, without an audit row', async () => {
      const logs = (await auditRows(t)).length
      const res = await http.post(`/admin/team/${viewer.user.id}/role`, owner, { role: 'viewer' })
      expect(res.statusCode).toBe(303)
      expect((await auditRows(t)).length).toBe(logs)
      expect((await http.get('/admin', viewer)).statusCode).toBe(200)
    })

    it('refuses an unknown role with 400 and an unknown member with 404, changing nothing', async () => {
      const res = await http.post(`/admin/team/${viewer.user.id}/role`, owner, { role: 'superuser' })
      expect(res.statusCode).toBe(400)
      expect(res.body).toContain('Choose a role: owner, editor or viewer.')
      expect((await http.post(`/admin/team/${randomUUID()}/role`, owner, { role: 'viewer' })).statusCode).toBe(404)
      expect((await http.post('/admin/team/12345/role', owner, { role: 'viewer' })).statusCode).toBe(404)
      const [row] = await t.deps.db.select().from(users).where(eq(users.id, viewer.user.id))
      expect(row!.role).toBe('viewer')
    })
  })

  describe('removal', () => {
    it('removes a member: the account, its sessions and the invitations it left pending go; the log keeps who it was', async () => {
      const leaving = await signIn(t.deps, 'owner', 'leaving@example.org')
      const theirs = await t.deps.auth.createInvite({ role: 'viewer', createdBy: leaving.user.id })
      const res = await http.post(`/admin/team/${leaving.user.id}/remove`, owner)
      expect(res.statusCode).toBe(303)
      expect(await t.deps.db.select().from(users).where(eq(users.id, leaving.user.id))).toHaveLength(0)
      expect((await http.get('/admin/team', leaving)).statusCode).toBe(303)
      // An invitation whose author left must not live on as a creator-less (set-up) link.
      expect(await t.deps.db.select().from(invites).where(eq(invites.id, theirs.id))).toHaveLength(0)
      expect(await t.deps.auth.findInvite(theirs.token)).toBeNull()
      const [log] = await t.deps.db.select().from(auditLog).where(and(eq(auditLog.action, 'remove'), eq(auditLog.entityId, leaving.user.id)))
      expect(log!.before).toMatchObject({ email: 'leaving@example.org', role: 'owner' })
      expect(log!.after).toBeNull()
      expect((await http.get('/admin/team', owner, flashCookie(res))).body).toContain('leaving@example.org was removed from the team.')
      expect((await http.post(`/admin/team/${leaving.user.id}/remove`, owner)).statusCode).toBe(404)
    })

    it('an owner may remove themselves while another owner remains', async () => {
      const self = await signIn(t.deps, 'owner')
      const res = await http.post(`/admin/team/${self.user.id}/remove`, self)
      expect(res.statusCode).toBe(303)
      expect(await t.deps.db.select().from(users).where(eq(users.id, self.user.id))).toHaveLength(0)
      const [log] = await t.deps.db.select().from(auditLog).where(and(eq(auditLog.action, 'remove'), eq(auditLog.entityId, self.user.id)))
      expect(log!.userEmail).toBe(self.user.email)
      expect(log!.userId).toBeNull()
    })
  })

  it('never writes a password hash, a token or a session version to the log', async () => {
    const rows = await auditRows(t)
    expect(rows.length).toBeGreaterThan(5)
    const text = JSON.stringify(rows)
    expect(text).not.toMatch(/\$argon2|passwordHash|password_hash|tokenHash|sessionVersion/)
  })
})

describe('the last owner', () => {
  let t: App
  let http: ReturnType<typeof client>
  beforeAll(async () => {
    t = await buildTestApp()
    http = client(t)
  })
  afterAll(async () => { await t.close() })

  it('cannot be demoted or removed, with a clear message, and nothing changes', async () => {
    const only = await signIn(t.deps, 'owner')
    const logs = (await auditRows(t)).length
    for (const [url, body] of [[`/admin/team/${only.user.id}/role`, { role: 'editor' }], [`/admin/team/${only.user.id}/remove`, {}]] as const) {
      const res = await http.post(url, only, body)
      expect(res.statusCode, url).toBe(409)
      expect(res.body).toContain('The team needs at least one owner: make someone else owner first.')
      expect(res.body).toContain('role="alert"')
    }
    const [row] = await t.deps.db.select().from(users).where(eq(users.id, only.user.id))
    expect(row).toMatchObject({ role: 'owner' })
    expect((await http.get('/admin/team', only)).statusCode).toBe(200)
    expect((await auditRows(t)).length).toBe(logs)
  })

  it('two owners demoting each other at once leave one owner', async () => {
    const a = await signIn(t.deps, 'owner')
    const b = await signIn(t.deps, 'owner')
    await t.deps.db.delete(users).where(and(eq(users.role, 'owner'), sql`${users.id} not in (${a.user.id}, ${b.user.id})`))
    const [ra, rb] = await Promise.all([
      http.post(`/admin/team/${b.user.id}/role`, a, { role: 'viewer' }),
      http.post(`/admin/team/${a.user.id}/role`, b, { role: 'viewer' })
    ])
    expect([ra.statusCode, rb.statusCode].sort()).toEqual([303, 409])
    const owners = await t.deps.db.select().from(users).where(eq(users.role, 'owner'))
    expect(owners).toHaveLength(1)
  })
})

describe('audit log page', () => {
  let t: App
  let http: ReturnType<typeof client>
  let owner: SignedIn
  beforeAll(async () => {
    t = await buildTestApp()
    http = client(t)
    owner = await signIn(t.deps, 'owner', 'olga@example.org')
  })
  afterAll(async () => { await t.close() })

  it('shows who, what, when and a readable before → after per field, newest first', async () => {
    const c = await seedCampaign(t.deps, { slug: 'climat-2026' })
    await t.deps.audit.record(owner.user, { action: 'create', entity: 'campaign', entityId: c.id, campaignId: c.id, after: { slug: 'climat-2026', goal: 1000 } })
    await t.deps.audit.record(owner.user, { action: 'update', entity: 'campaign', entityId: c.id, campaignId: c.id, before: { slug: 'climat-2026', goal: 1000, status: 'draft', texts: { fr: { title: 'Avant <b>' } } }, after: { slug: 'climat-2026', goal: 2500, status: 'live', texts: { fr: { title: 'Après' } } } })
    const res = await http.get('/admin/audit', owner)
    expect(res.statusCode).toBe(200)
    const html = res.body
    expect(html.indexOf('Avant &lt;b&gt;')).toBeGreaterThan(0)
    expect(html).not.toContain('Avant <b>')
    // Newest first: the update comes before the creation.
    expect(html.indexOf('changed the campaign “climat-2026”')).toBeGreaterThan(0)
    expect(html.indexOf('changed the campaign “climat-2026”')).toBeLessThan(html.indexOf('created the campaign “climat-2026”'))
    expect(html).toMatch(/<span class="diff-field" title="goal">goal<\/span>[\s\S]*?<del class="diff-before"><span class="sr-only">Before: <\/span>1,000<\/del>[\s\S]*?<ins class="diff-after"><span class="sr-only">After: <\/span>2,500<\/ins>/)
    expect(html).toMatch(/<span class="diff-field" title="status">status<\/span>[\s\S]*?Draft<\/del>[\s\S]*?Live<\/ins>/)
    expect(html).toContain('<span class="diff-field" title="texts.fr.title">texts › fr › title</span>')
    // Unchanged fields are not listed in an update.
    expect(html.match(/<span class="diff-field" title="slug">/g)).toHaveLength(1)
    expect(html).toContain('olga@example.org')
    expect(html).toContain(`href="/admin/audit?campaign=${c.id}">climat-2026</a>`)
    expect(html).toMatch(/<time datetime="\d{4}-\d\d-\d\dT/)
  })

  it('filters by campaign, and answers 404 for an unknown or malformed campaign id', async () => {
    const a = await seedCampaign(t.deps)
    const b = await seedCampaign(t.deps)
    await t.deps.audit.record(owner.user, { action: 'update', entity: 'target', entityId: randomUUID(), campaignId: a.id, before: { name: 'Only in A' }, after: { name: 'Still only in A' } })
    await t.deps.audit.record(owner.user, { action: 'update', entity: 'target', entityId: randomUUID(), campaignId: b.id, before: { name: 'Only in B' }, after: { name: 'Still only in B' } })
    const res = await http.get(`/admin/audit?campaign=${a.id}`, owner)
    expect(res.statusCode).toBe(200)
    expect(res.body).toContain('Only in A')
    expect(res.body).not.toContain('Only in B')
    expect(res.body).toContain(`<option value="${a.id}" selected>`)
    expect((await http.get(`/admin/audit?campaign=${randomUUID()}`, owner)).statusCode).toBe(404)
    expect((await http.get('/admin/audit?campaign=1%20or%201=1', owner)).statusCode).toBe(404)
    const empty = await seedCampaign(t.deps)
    expect((await http.get(`/admin/audit?campaign=${empty.id}`, owner)).body).toContain('Nothing recorded for this campaign.')
  })

  it('pages through the log 50 entries at a time', async () => {
    const fresh = await buildTestApp()
    try {
      const o = await signIn(fresh.deps, 'owner')
      for (let i = 1; i <= 60; i++) await fresh.deps.audit.record(o.user, { action: 'update', entity: 'message', entityId: `m-${i}`, before: { body: `old ${i}` }, after: { body: `entry-${i}-end` } })
      const first = await client(fresh).get('/admin/audit', o)
      expect(first.body.match(/<tr>\s*<td class="nowrap"/g)).toHaveLength(50)
      expect(first.body).toContain('entry-60-end')
      expect(first.body).not.toContain('entry-10-end')
      expect(first.body).toContain('href="/admin/audit?page=2" rel="next"')
      expect(first.body).not.toContain('rel="prev"')
      const second = await client(fresh).get('/admin/audit?page=2', o)
      expect(second.body.match(/<tr>\s*<td class="nowrap"/g)).toHaveLength(10)
      expect(second.body).toContain('entry-1-end')
      expect(second.body).toContain('href="/admin/audit" rel="prev"')
      expect(second.body).not.toContain('rel="next"')
      expect((await client(fresh).get('/admin/audit?page=abc', o)).statusCode).toBe(200)
      expect((await client(fresh).get('/admin/audit?page=999', o)).body).toContain('Nothing recorded yet.')
    } finally {
      await fresh.close()
    }
  })
})
