import { spawn, spawnSync } from 'node:child_process'
import { createServer } from 'node:net'
import { createHmac, randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { auditLog, invites, sessions, users } from '../../server/db/schema.ts'
import { SESSION_COOKIE } from '../../server/plugins/admin.ts'
import { buildTestApp, createTestDatabase, eventually, signIn, testEnv } from '../helper.ts'

const BIN = fileURLToPath(new URL('../../server/bin.js', import.meta.url))
const PASSWORD = 'correct horse battery staple'
const FORM = { 'content-type': 'application/x-www-form-urlencoded' }

type App = Awaited<ReturnType<typeof buildTestApp>>

/** A browser of its own: keeps the cookies the server sets, like a real one. */
function browser (t: App, remoteAddress = '192.0.2.10') {
  const jar = new Map<string, string>()
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ')
  const keep = (res: Awaited<ReturnType<App['app']['inject']>>) => {
    for (const c of res.cookies as Array<{ name: string, value: string, maxAge?: number, expires?: Date }>) {
      if (c.value === '' || c.maxAge === 0 || (c.expires && c.expires.getTime() < Date.now())) jar.delete(c.name)
      else jar.set(c.name, c.value)
    }
    return res
  }
  return {
    jar,
    async get (url: string) {
      return keep(await t.app.inject({ url, headers: { cookie: cookie(), 'accept-language': 'en' }, remoteAddress }))
    },
    async post (url: string, body: Record<string, string>) {
      return keep(await t.app.inject({ method: 'POST', url, headers: { ...FORM, cookie: cookie(), 'accept-language': 'en' }, payload: new URLSearchParams(body).toString(), remoteAddress }))
    }
  }
}

function freePort (): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const p = (srv.address() as { port: number }).port
      srv.close(() => resolve(p))
    })
  })
}

const csrfOf = (html: string): string => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? ''
const alertOf = (html: string): string => /role="alert"[^>]*>\s*<p>([^<]*)<\/p>/.exec(html)?.[1] ?? ''

async function login (t: App, email: string, password: string, opts: { next?: string, ip?: string } = {}) {
  const b = browser(t, opts.ip)
  const page = await b.get(`/admin/login${opts.next ? `?next=${encodeURIComponent(opts.next)}` : ''}`)
  const res = await b.post('/admin/login', { email, password, next: opts.next ?? '', _csrf: csrfOf(page.body) })
  return { b, res }
}

describe('admin sign-in, sessions and one-time links', () => {
  let t: App
  let owner: Awaited<ReturnType<typeof signIn>>
  beforeAll(async () => {
    t = await buildTestApp()
    owner = await signIn(t.deps, 'owner')
  })
  afterAll(async () => { await t.close() })

  const newUser = async (role: 'owner' | 'editor' | 'viewer' = 'editor') => {
    const email = `u-${randomBytes(4).toString('hex')}@example.org`
    return t.deps.auth.createUser({ email, password: PASSWORD, role })
  }

  describe('login', () => {
    it('shows the sign-in form with its fields and a CSRF token bound to a pre-session cookie', async () => {
      const b = browser(t)
      const res = await b.get('/admin/login?next=/admin/team')
      expect(res.statusCode).toBe(200)
      expect(res.headers['cache-control']).toBe('no-store')
      for (const field of ['name="email"', 'name="password"', 'name="next" value="/admin/team"', 'name="_csrf"']) expect(res.body).toContain(field)
      expect(res.body).toContain('<title>Sign in · Bouteille admin</title>')
      expect(b.jar.has('bouteille_pre')).toBe(true)
    })

    it('sets an httpOnly SameSite session cookie and redirects to a safe next only', async () => {
      const u = await newUser()
      const { b, res } = await login(t, u.email.toUpperCase(), PASSWORD, { next: '/admin/team?x=1' })
      expect(res.statusCode).toBe(303)
      expect(res.headers.location).toBe('/admin/team?x=1')
      const cookie = (res.cookies as Array<{ name: string, httpOnly?: boolean, sameSite?: string, path?: string, maxAge?: number }>).find((c) => c.name === SESSION_COOKIE)!
      expect(cookie.httpOnly).toBe(true)
      expect(cookie.sameSite).toBe('Lax')
      expect(cookie.path).toBe('/admin')
      expect(cookie.maxAge).toBe(30 * 86_400)
      const [row] = await t.deps.db.select().from(users).where(eq(users.id, u.id))
      expect(row!.lastLoginAt).not.toBeNull()
      // The cookie works: a signed-in page answers (editor: the team page is not for them).
      expect((await b.get('/admin/team')).statusCode).toBe(403)

      for (const next of ['https://evil.example/admin', '//evil.example/admin', '/\\evil.example', '/admin\\..\\x', '/admin/\r\nSet-Cookie: x=1', '/administrator', 'javascript:alert(1)']) {
        const r = (await login(t, u.email, PASSWORD, { next })).res
        expect(r.statusCode, next).toBe(303)
        expect(r.headers.location, next).toBe('/admin')
      }
    })

    it('answers a wrong password and an unknown e-mail with the same status and message', async () => {
      const u = await newUser()
      const wrong = (await login(t, u.email, 'not the password at all', { ip: '198.51.100.1' })).res
      const unknown = (await login(t, `nobody-${u.email}`, PASSWORD, { ip: '198.51.100.2' })).res
      expect(wrong.statusCode).toBe(400)
      expect(unknown.statusCode).toBe(400)
      expect(alertOf(wrong.body)).toBe('Wrong e-mail or password.')
      expect(alertOf(unknown.body)).toBe(alertOf(wrong.body))
      expect(wrong.cookies.find((c) => c.name === SESSION_COOKIE)).toBeUndefined()
      // The typed address is kept, the password is not.
      expect(wrong.body).toContain(`value="${u.email}"`)
      expect(wrong.body).not.toContain('not the password at all')
    })

    it('slows down one address hammering an account, but the right password from another address still signs in', async () => {
      const u = await newUser()
      const attacker = '203.0.113.66'
      // Six failures go through (the sixth sets a 2-second wait), the seventh right after must wait.
      for (let i = 0; i < 6; i++) {
        expect((await login(t, ` ${u.email.toUpperCase()} `, `wrong password ${i}`, { ip: attacker })).res.statusCode).toBe(400)
      }
      const held = (await login(t, u.email, 'wrong password again', { ip: attacker })).res
      expect(held.statusCode).toBe(429)
      expect(Number(held.headers['retry-after'])).toBeGreaterThanOrEqual(1)
      expect(alertOf(held.body)).toBe('Too many attempts from here. Wait 1 min, then try again.')
      expect(held.cookies.find((c) => c.name === SESSION_COOKIE)).toBeUndefined()
      // The real member, elsewhere, is not locked out (today's code answered 429 here).
      const owner = (await login(t, u.email, PASSWORD, { ip: '198.51.100.200' })).res
      expect(owner.statusCode).toBe(303)
      expect(owner.cookies.find((c) => c.name === SESSION_COOKIE)).toBeDefined()
    })

    it('a success clears the account’s failures', async () => {
      const u = await newUser()
      for (let i = 0; i < 4; i++) await login(t, u.email, `wrong ${i}`, { ip: '203.0.113.150' })
      expect((await login(t, u.email, PASSWORD, { ip: '203.0.113.150' })).res.statusCode).toBe(303)
      for (let i = 0; i < 4; i++) expect((await login(t, u.email, `wrong again ${i}`, { ip: '203.0.113.151' })).res.statusCode).toBe(400)
      expect((await login(t, u.email, PASSWORD, { ip: '203.0.113.151' })).res.statusCode).toBe(303)
    })

    it('limits an address after 30 tries, for every account, and not other addresses', async () => {
      const ip = '198.51.100.77'
      for (let i = 0; i < 30; i++) {
        expect((await login(t, `guess-${i}@example.org`, 'whatever password', { ip })).res.statusCode).toBe(400)
      }
      const u = await newUser()
      expect((await login(t, u.email, PASSWORD, { ip })).res.statusCode).toBe(429)
      expect((await login(t, u.email, PASSWORD, { ip: '198.51.100.78' })).res.statusCode).toBe(303)
    })

    it('counts an IPv6 /64 as one address: rotating addresses inside it does not escape the limit', async () => {
      // The address cap (30 tries per 15 minutes, server/services/login-limiter.ts) counts the whole /64.
      for (let i = 0; i < 30; i++) {
        expect((await login(t, `guess6-${i}@example.org`, 'whatever password', { ip: `2001:db8:77:1::${(i + 1).toString(16)}` })).res.statusCode).toBe(400)
      }
      const u = await newUser()
      expect((await login(t, u.email, PASSWORD, { ip: '2001:db8:77:1:ffff:ffff:ffff:fffe' })).res.statusCode).toBe(429)
      expect((await login(t, u.email, PASSWORD, { ip: '2001:db8:77:2::1' })).res.statusCode).toBe(303)
    })

    it('counts parallel guesses from one address before checking them: no more than 6 get through', async () => {
      const u = await newUser()
      const results = await Promise.all(Array.from({ length: 12 }, (_, i) => login(t, u.email, `parallel ${i}`, { ip: '192.0.2.100' })))
      const statuses = results.map((r) => r.res.statusCode)
      expect(statuses.filter((s) => s === 400)).toHaveLength(6)
      expect(statuses.filter((s) => s === 429)).toHaveLength(6)
    })

    it('refuses a login form without its CSRF token', async () => {
      const u = await newUser()
      const b = browser(t)
      await b.get('/admin/login')
      const res = await b.post('/admin/login', { email: u.email, password: PASSWORD })
      expect(res.statusCode).toBe(403)
      expect(res.cookies.find((c) => c.name === SESSION_COOKIE)).toBeUndefined()
    })

    it('sends a signed-in visitor of the login page on to next', async () => {
      const res = await t.app.inject({ url: '/admin/login?next=/admin/audit', headers: owner.headers })
      expect(res.statusCode).toBe(303)
      expect(res.headers.location).toBe('/admin/audit')
    })

    it('remembers the language chosen with ?lang= on the next admin pages', async () => {
      const b = browser(t)
      const fr = await b.get('/admin/login?lang=fr')
      expect(fr.body).toContain('<html lang="fr"')
      const again = await b.get('/admin/login')
      expect(again.body).toContain('<html lang="fr"')
      expect(again.body).toContain('Connexion')
    })
  })

  describe('sessions', () => {
    it('logout revokes the session: the old cookie no longer works', async () => {
      const u = await newUser('owner')
      const { b } = await login(t, u.email, PASSWORD)
      const stolen = `${SESSION_COOKIE}=${b.jar.get(SESSION_COOKIE)}`
      const page = await b.get('/admin/team')
      expect(page.statusCode).toBe(200)
      const out = await b.post('/admin/logout', { _csrf: csrfOf(page.body) })
      expect(out.statusCode).toBe(303)
      expect(out.headers.location).toBe('/admin/login')
      expect(b.jar.has(SESSION_COOKIE)).toBe(false)
      expect((await b.get('/admin/login')).body).toContain('You are signed out.')
      expect((await b.get('/admin/login')).body).not.toContain('You are signed out.')
      const rows = await t.deps.db.select().from(sessions).where(eq(sessions.userId, u.id))
      expect(rows).toHaveLength(1)
      expect(rows[0]!.revokedAt).not.toBeNull()
      const old = await t.app.inject({ url: '/admin/team', headers: { cookie: stolen } })
      expect(old.statusCode).toBe(303)
      expect(old.headers.location).toBe('/admin/login?next=%2Fadmin%2Fteam')
    })

    it('logout needs the session’s CSRF token', async () => {
      const u = await newUser()
      const { b } = await login(t, u.email, PASSWORD)
      expect((await b.post('/admin/logout', {})).statusCode).toBe(403)
      expect((await b.post('/admin/logout', { _csrf: owner.csrf })).statusCode).toBe(403)
      const rows = await t.deps.db.select().from(sessions).where(eq(sessions.userId, u.id))
      expect(rows.map((r) => r.revokedAt)).toEqual([null])
    })

    it('refuses a cookie forged with the old built-in secret and a user id (the reported attack)', async () => {
      const u = await newUser('owner')
      // Today's format: id.version.expiry + HMAC of the development default, which any reader of the source knows.
      const value = `${u.id}.1.${Math.floor(Date.now() / 1000) + 86_400}`
      const sig = createHmac('sha256', 'bouteille-development-secret-change-me:session').update(value).digest('base64url')
      const res = await t.app.inject({ url: '/admin/team', headers: { cookie: `${SESSION_COOKIE}=${value}.${sig}` } })
      expect(res.statusCode).toBe(303)
      expect(res.headers.location).toBe('/admin/login?next=%2Fadmin%2Fteam')
    })

    it('refuses an unknown, revoked, expired or idle session', async () => {
      const u = await newUser('owner')
      const { token, id } = await t.deps.auth.createSession(u.id)
      const get = (value: string) => t.app.inject({ url: '/admin/team', headers: { cookie: `${SESSION_COOKIE}=${value}` } })
      expect((await get(token)).statusCode).toBe(200)
      for (const value of [(token[0] === 'A' ? 'B' : 'A') + token.slice(1), randomBytes(32).toString('base64url'), 'garbage', '']) {
        expect((await get(value)).statusCode, value).toBe(303)
      }
      // Idle for more than 7 days, though within the 30-day lifetime.
      await t.deps.db.update(sessions).set({ lastSeenAt: new Date(Date.now() - 8 * 86_400_000) }).where(eq(sessions.id, id))
      expect((await get(token)).statusCode).toBe(303)
      await t.deps.db.update(sessions).set({ lastSeenAt: new Date(), expiresAt: new Date(Date.now() - 1000) }).where(eq(sessions.id, id))
      expect((await get(token)).statusCode).toBe(303)
      const again = await t.deps.auth.createSession(u.id)
      expect((await get(again.token)).statusCode).toBe(200)
      await t.deps.auth.revokeSessions(u.id)
      expect((await get(again.token)).statusCode).toBe(303)
    })

    it('guards a route reached through an encoded path', async () => {
      for (const url of ['/%61dmin/team', '/admin/%74eam', '/%61dmin/audit']) {
        const res = await t.app.inject({ url })
        expect(res.statusCode, url).toBe(303)
        expect(res.headers.location).toMatch(/^\/admin\/login\?next=/)
      }
      const post = await t.app.inject({ method: 'POST', url: '/%61dmin/team/invite', headers: FORM, payload: 'role=owner' })
      expect(post.statusCode).toBe(401)
      const viewer = await signIn(t.deps, 'viewer')
      expect((await t.app.inject({ url: '/%61dmin/team', headers: viewer.headers })).statusCode).toBe(403)
    })
  })

  describe('CSRF', () => {
    it('refuses a change without the token, with a wrong one or another session’s: 403 and nothing written', async () => {
      const before = (await t.deps.db.select({ n: sql<number>`count(*)::int` }).from(invites))[0]!.n
      const viewer = await signIn(t.deps, 'viewer')
      const second = await signIn(t.deps, 'owner')
      for (const token of [undefined, '', 'x'.repeat(43), viewer.csrf, second.csrf]) {
        const body: Record<string, string> = { role: 'editor', email: '' }
        if (token !== undefined) body._csrf = token
        const res = await t.app.inject({ method: 'POST', url: '/admin/team/invite', headers: { ...FORM, ...owner.headers, 'accept-language': 'en' }, payload: new URLSearchParams(body).toString() })
        expect(res.statusCode, String(token)).toBe(403)
        expect(res.body).toContain('This form has expired: reload the page and try again.')
      }
      const after = (await t.deps.db.select({ n: sql<number>`count(*)::int` }).from(invites))[0]!.n
      expect(after).toBe(before)
      // The same request with the token goes through.
      const ok = await t.app.inject({ method: 'POST', url: '/admin/team/invite', headers: { ...FORM, ...owner.headers }, payload: new URLSearchParams({ role: 'editor', _csrf: owner.csrf }).toString() })
      expect(ok.statusCode).toBe(303)
    })

    it('takes the token from the X-CSRF-Token header too', async () => {
      const res = await t.app.inject({ method: 'POST', url: '/admin/team/invite', headers: { ...FORM, ...owner.headers, 'x-csrf-token': owner.csrf }, payload: 'role=viewer' })
      expect(res.statusCode).toBe(303)
    })
  })

  describe('one-time links', () => {
    const accept = (b: ReturnType<typeof browser>, token: string, body: Record<string, string>, csrf: string) =>
      b.post(`/admin/invite/${token}`, { _csrf: csrf, ...body })

    it('an invitation works once, creates the account with its role and signs it in', async () => {
      const { token, id } = await t.deps.auth.createInvite({ role: 'viewer', createdBy: owner.user.id })
      const b = browser(t)
      const page = await b.get(`/admin/invite/${token}`)
      expect(page.statusCode).toBe(200)
      expect(page.body).toContain('Join the team')
      const email = `new-${randomBytes(3).toString('hex')}@example.org`
      const res = await accept(b, token, { email, name: 'Nina', password: PASSWORD, confirm: PASSWORD }, csrfOf(page.body))
      expect(res.statusCode).toBe(303)
      expect(res.headers.location).toBe('/admin')
      const [u] = await t.deps.db.select().from(users).where(eq(users.email, email))
      expect(u!.role).toBe('viewer')
      expect(u!.name).toBe('Nina')
      expect(u!.lastLoginAt).not.toBeNull()
      expect(u!.passwordHash.startsWith('$argon2id$')).toBe(true)
      expect(b.jar.has(SESSION_COOKIE)).toBe(true)
      const [inv] = await t.deps.db.select().from(invites).where(eq(invites.id, id))
      expect(inv!.usedAt).not.toBeNull()
      const [log] = await t.deps.db.select().from(auditLog).where(eq(auditLog.entityId, id))
      expect(log!.action).toBe('accept')
      expect(log!.userEmail).toBe(email)
      expect(JSON.stringify(log!.after)).not.toMatch(/argon|password/i)

      // Used: the link is dead, for GET and POST alike.
      const b2 = browser(t)
      const again = await b2.get(`/admin/invite/${token}`)
      expect(again.statusCode).toBe(404)
      expect(again.body).toContain('This link has expired or was already used.')
      const p = await b2.get('/admin/login')
      expect((await accept(b2, token, { email: `x-${email}`, password: PASSWORD, confirm: PASSWORD }, csrfOf(p.body))).statusCode).toBe(404)
      expect((await t.deps.db.select().from(users).where(eq(users.email, `x-${email}`)))).toHaveLength(0)
    })

    it('an expired link, an unknown token or a malformed one answers 404', async () => {
      const { token } = await t.deps.auth.createInvite({ role: 'editor', createdBy: owner.user.id, validHours: -1 })
      for (const tk of [token, 'A'.repeat(32), 'not a token', 'x']) {
        expect((await browser(t).get(`/admin/invite/${encodeURIComponent(tk)}`)).statusCode, tk).toBe(404)
      }
    })

    it('an invitation naming an e-mail creates the account for that address only', async () => {
      const fixed = `fixed-${randomBytes(3).toString('hex')}@example.org`
      const { token } = await t.deps.auth.createInvite({ role: 'editor', email: fixed, createdBy: owner.user.id })
      const b = browser(t)
      const page = await b.get(`/admin/invite/${token}`)
      expect(page.body).toMatch(new RegExp(`value="${fixed}" readonly`))
      expect(page.body).not.toContain('name="email"')
      const res = await accept(b, token, { email: 'someone-else@example.org', password: PASSWORD, confirm: PASSWORD }, csrfOf(page.body))
      expect(res.statusCode).toBe(303)
      expect(await t.deps.db.select().from(users).where(eq(users.email, fixed))).toHaveLength(1)
      expect(await t.deps.db.select().from(users).where(eq(users.email, 'someone-else@example.org'))).toHaveLength(0)
    })

    it('shows the form again with a message per field, keeping what was typed, and writes nothing', async () => {
      const { token } = await t.deps.auth.createInvite({ role: 'editor', createdBy: owner.user.id })
      const b = browser(t)
      const csrf = csrfOf((await b.get(`/admin/invite/${token}`)).body)
      const cases: Array<[Record<string, string>, string]> = [
        [{ email: 'not-an-email', name: 'Kept Name', password: PASSWORD, confirm: PASSWORD }, 'Enter a valid e-mail address'],
        [{ email: 'short@example.org', password: 'short', confirm: 'short' }, 'The password needs at least 10 characters.'],
        [{ email: 'mismatch@example.org', password: PASSWORD, confirm: `${PASSWORD}!` }, 'The two passwords are different.'],
        [{ email: owner.user.email.toUpperCase(), password: PASSWORD, confirm: PASSWORD }, 'An account already uses this e-mail address.'],
        [{ email: 'long@example.org', name: 'n'.repeat(121), password: PASSWORD, confirm: PASSWORD }, 'The name can have at most 120 characters.']
      ]
      for (const [body, message] of cases) {
        const res = await accept(b, token, body, csrf)
        expect(res.statusCode, message).toBe(400)
        expect(res.body).toContain(message)
        expect(res.body).toContain('aria-invalid="true"')
        expect(res.body).toContain(`value="${body.email}"`)
        if (body.name && body.name.length < 100) expect(res.body).toContain(`value="${body.name}"`)
        expect(res.body).not.toContain(PASSWORD)
      }
      const [inv] = await t.deps.db.select().from(invites).where(eq(invites.tokenHash, sql`encode(sha256(${token}::bytea), 'hex')`))
      expect(inv!.usedAt).toBeNull()
    })

    it('the first owner’s set-up link works only while there is no account, and only one of two makes an owner', async () => {
      const fresh = await buildTestApp()
      try {
        const a = await fresh.deps.auth.createInvite({ role: 'owner', validHours: 24 })
        const b = await fresh.deps.auth.createInvite({ role: 'owner', validHours: 24 })
        const ba = browser(fresh)
        const bb = browser(fresh)
        const pa = await ba.get(`/admin/invite/${a.token}`)
        const pb = await bb.get(`/admin/invite/${b.token}`)
        expect(pa.body).toContain('Create the first owner account')
        const [ra, rb] = await Promise.all([
          accept(ba, a.token, { email: 'first@example.org', password: PASSWORD, confirm: PASSWORD }, csrfOf(pa.body)),
          accept(bb, b.token, { email: 'second@example.org', password: PASSWORD, confirm: PASSWORD }, csrfOf(pb.body))
        ])
        expect([ra.statusCode, rb.statusCode].sort()).toEqual([303, 404])
        const all = await fresh.deps.db.select().from(users)
        expect(all).toHaveLength(1)
        expect(all[0]!.role).toBe('owner')
        // Once there is an account, a set-up link printed earlier is dead.
        const late = await fresh.deps.auth.createInvite({ role: 'owner', validHours: 24 })
        expect((await browser(fresh).get(`/admin/invite/${late.token}`)).statusCode).toBe(404)
        const [log] = await fresh.deps.db.select().from(auditLog)
        expect(log!.action).toBe('setup')
      } finally {
        await fresh.close()
      }
    })
  })

  describe('command line', () => {
    const run = (args: string[]) => spawnSync(process.execPath, [BIN, 'user', 'create', ...args], {
      env: { PATH: process.env.PATH, ...testEnv(t.databaseUrl, t.prefix) },
      encoding: 'utf8',
      timeout: 60_000
    })

    it('creates an account with an argon2id hash', () => {
      const res = run(['--email', 'cli@example.org', '--password', PASSWORD, '--role', 'editor', '--name', 'Cli'])
      expect(res.stderr).toBe('')
      expect(res.status).toBe(0)
      expect(res.stdout).toContain('Created editor cli@example.org')
    })

    it('stores the hash, not the password', async () => {
      const [u] = await t.deps.db.select().from(users).where(eq(users.email, 'cli@example.org'))
      expect(u!.role).toBe('editor')
      expect(u!.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
      expect(u!.passwordHash).not.toContain(PASSWORD)
      expect((await login(t, 'cli@example.org', PASSWORD, { ip: '192.0.2.200' })).res.statusCode).toBe(303)
      const [log] = await t.deps.db.select().from(auditLog).where(eq(auditLog.entityId, u!.id))
      expect(log).toMatchObject({ action: 'create', entity: 'user', userId: null, userEmail: 'system', after: { email: 'cli@example.org', name: 'Cli', role: 'editor' } })
    })

    it('npm start prints a one-time link that creates the first owner when there is no account', async () => {
      const fresh = await createTestDatabase()
      const port = await freePort()
      const child = spawn(process.execPath, [BIN, 'start', 'web'], {
        env: { PATH: process.env.PATH, ...testEnv(fresh.url, `${t.prefix}-start`, { LOG_LEVEL: 'info', PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: `http://127.0.0.1:${port}`, SEED_DEMO: 'false' }) },
        stdio: ['ignore', 'pipe', 'pipe']
      })
      try {
        let out = ''
        child.stdout!.on('data', (d) => { out += d })
        const link = await eventually(async () => /No account yet\. Create the first owner account[^:]*:\s+(http:\/\/\S+?\/admin\/invite\/[A-Za-z0-9_-]+)/.exec(out)?.[1], 30_000, 'the set-up link')
        const page = await fetch(link, { headers: { 'accept-language': 'en' } })
        expect(page.status).toBe(200)
        expect(await page.text()).toContain('Create the first owner account')
      } finally {
        child.kill('SIGTERM')
        await new Promise((resolve) => child.once('exit', resolve))
        await fresh.drop()
      }
    })

    it('refuses bad input and an address already taken, writing nothing', async () => {
      const count = async () => (await t.deps.db.select({ n: sql<number>`count(*)::int` }).from(users))[0]!.n
      const before = await count()
      const bad: Array<[string[], RegExp]> = [
        [['--email', 'not-an-email', '--password', PASSWORD, '--role', 'owner'], /--email must be an e-mail address/],
        [['--email', 'ok@example.org', '--password', 'short', '--role', 'owner'], /--password must be 10 to 1024 characters long/],
        [['--email', 'ok@example.org', '--password', PASSWORD, '--role', 'admin'], /--role must be owner, editor or viewer/],
        [['--email', 'ok@example.org', '--password', PASSWORD], /--role must be/]
      ]
      for (const [args, message] of bad) {
        const res = run(args)
        expect(res.status, args.join(' ')).toBe(2)
        expect(res.stderr).toMatch(message)
      }
      const dup = run(['--email', 'CLI@example.org', '--password', PASSWORD, '--role', 'owner'])
      expect(dup.status).toBe(1)
      expect(dup.stderr).toMatch(/exists already/)
      expect(await count()).toBe(before)
    })
  })
})
