import { randomBytes, randomUUID } from 'node:crypto'
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import Fastify, { type FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { I18n } from '../../server/i18n.ts'
import { adminRoot, adminScope, type AdminRoute } from '../../server/plugins/admin.ts'
import type { AccessService } from '../../server/services/access-service.ts'
import type { AuthService } from '../../server/services/auth-service.ts'
import { createSessionWatch } from '../../server/services/session-watch.ts'
import { buildTestApp, signIn, type SignedIn } from '../helper.ts'

// The only routes a stranger may call: signing in, and the one-time links (set-up and invitations).
const PUBLIC = new Set([
  'GET /admin/login', 'HEAD /admin/login', 'POST /admin/login',
  'GET /admin/invite/:token', 'HEAD /admin/invite/:token', 'POST /admin/invite/:token',
  'GET /admin/login/two-factor', 'HEAD /admin/login/two-factor', 'POST /admin/login/two-factor',
  'GET /admin/password/forgot', 'HEAD /admin/password/forgot', 'POST /admin/password/forgot',
  'GET /admin/password/reset/:token', 'HEAD /admin/password/reset/:token', 'POST /admin/password/reset/:token'
])
const RANK = { public: -1, viewer: 0, editor: 1, owner: 2 } as const

/** Every route in Fastify's own route tree, rebuilt from printRoutes (independent of the admin plugin's table). */
function routesFromTree (tree: string): Set<string> {
  const out = new Set<string>()
  const stack: string[] = []
  for (const line of tree.split('\n')) {
    const m = /^((?:[│ ] {3})*)[├└]── (\S+)(?: \(([^)]+)\))?$/.exec(line)
    if (!m) continue
    const depth = m[1]!.length / 4
    stack[depth] = (depth > 0 ? stack[depth - 1]! : '') + m[2]!
    stack.length = depth + 1
    for (const method of m[3]?.split(', ') ?? []) out.add(`${method} ${stack[depth]}`)
  }
  return out
}

/** The route's URL with each parameter filled: a token for one-time links, a random UUID for ids. */
function fill (url: string): string {
  return url.replace(/:(\w+)/g, (_, name: string) => /token/i.test(name) ? randomBytes(24).toString('base64url') : randomUUID()).replace(/\*$/, 'x')
}

describe('access to every /admin route', () => {
  let t: Awaited<ReturnType<typeof buildTestApp>>
  let routes: readonly AdminRoute[]
  let viewer: SignedIn
  let editor: SignedIn
  let owner: SignedIn
  beforeAll(async () => {
    t = await buildTestApp()
    routes = t.app.adminRoutes
    viewer = await signIn(t.deps, 'viewer')
    editor = await signIn(t.deps, 'editor')
    owner = await signIn(t.deps, 'owner')
  })
  afterAll(async () => { await t.close() })

  const call = (r: AdminRoute, who?: SignedIn, body: Record<string, string> = {}) => t.app.inject({
    method: r.method as 'GET',
    url: fill(r.url),
    headers: { 'accept-language': 'en', ...(who ? who.headers : {}), ...(r.method === 'GET' || r.method === 'HEAD' ? {} : { 'content-type': 'application/x-www-form-urlencoded' }) },
    ...(r.method === 'GET' || r.method === 'HEAD' ? {} : { payload: new URLSearchParams(body).toString() })
  })

  // Counts of the tables a refused request could have touched.
  const counts = async () => (await t.deps.db.execute(sql`select (select count(*) from users) u, (select count(*) from invites) i, (select count(*) from audit_log) a, (select count(*) from campaigns) c, (select count(*) from targets) tg, (select count(*) from messages) m, (select count(*) from sessions where revoked_at is not null) sv, (select count(*) from password_resets) pr, (select string_agg(password_hash, '' order by id) from users) ph`)).rows[0]

  it('knows every route of the app under /admin, each with a declared access', () => {
    const tree = routesFromTree(t.app.printRoutes({ commonPrefix: false }))
    const fromTree = [...tree].filter((r) => r.split(' ')[1]!.startsWith('/admin')).sort()
    const fromTable = routes.map((r) => `${r.method} ${r.url}`).sort()
    expect(fromTree.length).toBeGreaterThan(8)
    expect(fromTable).toEqual(fromTree)
    for (const r of routes) expect(['public', 'viewer', 'editor', 'owner']).toContain(r.access)
    for (const expected of ['GET /admin/team', 'POST /admin/team/invite', 'POST /admin/team/:userId/role', 'POST /admin/team/:userId/remove', 'POST /admin/team/invites/:id/revoke', 'GET /admin/audit', 'POST /admin/logout']) {
      expect(fromTable).toContain(expected)
    }
  })

  it('opens only sign-in and the one-time links to strangers; sign-out is not public', () => {
    const open = routes.filter((r) => r.access === 'public').map((r) => `${r.method} ${r.url}`)
    for (const r of open) expect(PUBLIC, r).toContain(r)
    expect(open).toContain('POST /admin/login')
    expect(open).toContain('GET /admin/invite/:token')
    expect(routes.find((r) => r.url === '/admin/logout')!.access).not.toBe('public')
    expect(routes.find((r) => r.url === '/admin/team')!.access).toBe('owner')
    expect(routes.find((r) => r.url === '/admin/audit')!.access).toBe('owner')
  })

  it('sends a stranger to the login page (GET) or answers 401 (other methods) on every other route, changing nothing', async () => {
    const before = await counts()
    for (const r of routes.filter((x) => x.access !== 'public')) {
      const res = await call(r, undefined, { role: 'owner', email: 'x@example.org', name: 'x' })
      const label = `${r.method} ${r.url}`
      if (r.method === 'GET' || r.method === 'HEAD') {
        expect(res.statusCode, label).toBe(303)
        expect(res.headers.location, label).toMatch(/^\/admin\/login\?next=%2Fadmin/)
      } else {
        expect(res.statusCode, label).toBe(401)
      }
    }
    expect(await counts()).toEqual(before)
  })

  it('answers 403 to a signed-in member whose role is too small, changing nothing', async () => {
    const before = await counts()
    let checked = 0
    for (const who of [viewer, editor]) {
      for (const r of routes.filter((x) => x.access !== 'public' && RANK[x.access] > RANK[who.user.role])) {
        const res = await call(r, who, { _csrf: who.csrf, role: 'owner', email: 'x@example.org' })
        expect(res.statusCode, `${who.user.role} ${r.method} ${r.url}`).toBe(403)
        checked++
      }
    }
    expect(checked).toBeGreaterThan(5)
    expect(await counts()).toEqual(before)
  })

  it('lets a big enough role through the guard (whatever the page then answers for a random id)', async () => {
    for (const r of routes.filter((x) => x.access !== 'public' && (x.method === 'GET' || x.method === 'HEAD'))) {
      const who = r.access === 'owner' ? owner : r.access === 'editor' ? editor : viewer
      const res = await call(r, who)
      expect([401, 403], `${r.access} ${r.method} ${r.url}`).not.toContain(res.statusCode)
      expect(String(res.headers.location ?? ''), `${r.method} ${r.url}`).not.toMatch(/^\/admin\/login/)
    }
  })

  it('refuses every state-changing request without the CSRF token, even from an owner and on public routes', async () => {
    const before = await counts()
    for (const r of routes.filter((x) => x.method !== 'GET' && x.method !== 'HEAD')) {
      const res = await call(r, r.access === 'public' ? undefined : owner, { role: 'viewer', email: 'x@example.org' })
      expect(res.statusCode, `${r.method} ${r.url}`).toBe(403)
    }
    expect(await counts()).toEqual(before)
  })
})

describe('the admin context', () => {
  // The plugins alone, over a stand-in for the pages plugin they depend on (nothing here serves a request).
  const app = async () => {
    const f = Fastify({ logger: false })
    await f.register(fp(async () => {}, { name: 'pages' }))
    await f.register(adminRoot, { i18n: {} as I18n })
    return f
  }
  const context = (f: FastifyInstance, routes: (admin: FastifyInstance) => void) => f.register(async (admin) => {
    await admin.register(adminScope, { auth: {} as AuthService, access: {} as AccessService, twoFactor: { required: async () => false }, watch: createSessionWatch({ bus: { on: async () => {} }, channel: 'test', auth: { liveSessions: async () => new Set() } }), i18n: {} as I18n, secure: false })
    routes(admin)
  })

  it('refuses to start when an /admin route declares no access', async () => {
    const f = await app()
    await expect(context(f, (admin) => { admin.get('/admin/x', async () => 'x') })).rejects.toThrow(/GET \/admin\/x declares no access/)
    await f.close()
  })

  it('refuses to start when an /admin route is registered outside the admin context (it would have no guard)', async () => {
    const f = await app()
    f.get('/admin/stray', { config: { access: 'owner' } }, async () => 'x')
    await context(f, (admin) => { admin.get('/admin/fine', { config: { access: 'owner' } }, async () => 'x') })
    await expect(f.ready()).rejects.toThrow(/outside the admin context.*GET \/admin\/stray/)
    await f.close()
  })

  it('keeps the admin context to /admin routes', async () => {
    const f = await app()
    await expect(context(f, (admin) => { admin.get('/public', async () => 'x') })).rejects.toThrow(/GET \/public is in the admin context/)
    await f.close()
  })

  it('refuses to start when a route open to editors or viewers names a record outside /admin/campaigns/:id (it would skip the campaign check)', async () => {
    for (const [url, access] of [['/admin/targets/:targetId', 'viewer'], ['/admin/campaigns/:campaignId/x', 'editor'], ['/admin/exports/:id', 'editor']] as const) {
      const f = await app()
      await expect(context(f, (admin) => { admin.get(url, { config: { access } }, async () => 'x') }), url).rejects.toThrow(/names a record but is not under \/admin\/campaigns\/:id/)
      await f.close()
    }
  })

  it('marks the routes under /admin/campaigns/:id as campaign routes; owner-only and public ones may name other records', async () => {
    const f = await app()
    await context(f, (admin) => {
      admin.get('/admin/campaigns/:id/things', { config: { access: 'viewer' } }, async () => 'x')
      admin.post('/admin/team/:userId/x', { config: { access: 'owner' } }, async () => 'x')
      admin.get('/admin/invite/:token', { config: { access: 'public' } }, async () => 'x')
    })
    await f.ready()
    expect(f.adminRoutes.filter((r) => r.campaign).map((r) => `${r.method} ${r.url}`)).toEqual(['GET /admin/campaigns/:id/things', 'HEAD /admin/campaigns/:id/things'])
    await f.close()
  })

  it('starts when every /admin route is inside it, and lists them', async () => {
    const f = await app()
    await context(f, (admin) => { admin.get('/admin/fine', { config: { access: 'viewer' } }, async () => 'x') })
    await f.ready()
    expect(f.adminRoutes.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /admin/fine', 'HEAD /admin/fine'])
    await f.close()
  })
})
