import { Secret, TOTP } from 'otpauth'
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { auditLog, sessions, users } from '../../server/db/schema.ts'
import { SESSION_COOKIE } from '../../server/plugins/admin.ts'
import { buildTestApp, listen, readEventStream, seedCampaign, signIn, type SignedIn } from '../helper.ts'
import { startSmtpSink, type SmtpSink } from '../smtp-sink.ts'

const PASSWORD = 'correct horse battery staple'
const FORM = { 'content-type': 'application/x-www-form-urlencoded' }
type App = Awaited<ReturnType<typeof buildTestApp>>

/** A browser of its own, keeping the cookies the server sets. */
function browser (t: App, remoteAddress = '192.0.2.20') {
  const jar = new Map<string, string>()
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ')
  const keep = (res: Awaited<ReturnType<App['app']['inject']>>) => {
    for (const c of res.cookies as Array<{ name: string, value: string, maxAge?: number }>) {
      if (c.value === '' || c.maxAge === 0) jar.delete(c.name)
      else jar.set(c.name, c.value)
    }
    return res
  }
  return {
    jar,
    get: async (url: string) => keep(await t.app.inject({ url, headers: { cookie: cookie(), 'accept-language': 'en', 'user-agent': 'Mozilla/5.0 (Android 14; Mobile) Firefox/140.0' }, remoteAddress })),
    post: async (url: string, body: Record<string, string>) => keep(await t.app.inject({ method: 'POST', url, headers: { ...FORM, cookie: cookie(), 'accept-language': 'en' }, payload: new URLSearchParams(body).toString(), remoteAddress }))
  }
}

const csrfOf = (html: string): string => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? ''
const fieldOf = (html: string, name: string): string => new RegExp(`name="${name}" value="([^"]+)"`).exec(html)?.[1] ?? ''

async function login (t: App, email: string, password: string, ip?: string) {
  const b = browser(t, ip)
  const page = await b.get('/admin/login')
  const res = await b.post('/admin/login', { email, password, _csrf: csrfOf(page.body) })
  return { b, res }
}

describe('two-factor sign-in, sessions, password change and reset', () => {
  let t: App
  let smtp: SmtpSink
  let owner: SignedIn
  beforeAll(async () => {
    smtp = await startSmtpSink()
    t = await buildTestApp({ SMTP_URL: smtp.url })
    owner = await signIn(t.deps, 'owner')
  })
  afterAll(async () => {
    await t.close()
    await smtp.close()
  })

  it('sets up TOTP with the code of an authenticator app, then asks for a code at sign-in; a recovery code works once', async () => {
    const member = await t.deps.auth.createUser({ email: 'totp@example.org', password: PASSWORD, role: 'editor' })
    const { b } = await login(t, member.email, PASSWORD)
    const account = await b.get('/admin/account')
    expect(account.statusCode).toBe(200)
    const secret = fieldOf(account.body, 'secret')
    expect(secret).toMatch(/^[A-Z2-7]{32}$/)
    const totp = new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 })
    const wrong = await b.post('/admin/account/two-factor/enable', { _csrf: csrfOf(account.body), secret, signature: fieldOf(account.body, 'signature'), code: totp.generate({ timestamp: Date.now() - 5 * 60_000 }) })
    expect(wrong.statusCode).toBe(400)
    const on = await b.post('/admin/account/two-factor/enable', { _csrf: csrfOf(account.body), secret, signature: fieldOf(account.body, 'signature'), code: totp.generate() })
    expect(on.statusCode).toBe(200)
    const codes = [...on.body.matchAll(/<li><code>([0-9a-f]{5}-[0-9a-f]{5})<\/code><\/li>/g)].map((m) => m[1]!)
    expect(codes).toHaveLength(10)

    // The password alone no longer signs in: the session waits for the code.
    const step = await login(t, member.email, PASSWORD, '192.0.2.21')
    expect(step.res.statusCode).toBe(303)
    expect(step.res.headers.location).toBe('/admin/login/two-factor?next=%2Fadmin')
    expect((await step.b.get('/admin')).statusCode).toBe(303)
    const form = await step.b.get('/admin/login/two-factor?next=%2Fadmin')
    expect(form.body).toContain('autocomplete="one-time-code"')
    expect((await step.b.post('/admin/login/two-factor', { _csrf: csrfOf(form.body), code: '000000', next: '/admin' })).statusCode).toBe(400)
    // The code just used to enable is spent: a fresh step is needed; the test takes the next one's code if needed.
    const code = totp.generate({ timestamp: Date.now() + 30_000 })
    const done = await step.b.post('/admin/login/two-factor', { _csrf: csrfOf(form.body), code, next: '/admin' })
    expect(done.statusCode).toBe(303)
    expect(done.headers.location).toBe('/admin')
    expect((await step.b.get('/admin')).statusCode).toBe(200)

    // A recovery code, once.
    for (const [ip, expected] of [['192.0.2.22', 303], ['192.0.2.23', 400]] as const) {
      const r = await login(t, member.email, PASSWORD, ip)
      const f = await r.b.get('/admin/login/two-factor')
      const res = await r.b.post('/admin/login/two-factor', { _csrf: csrfOf(f.body), code: codes[0]!.toUpperCase() })
      expect(res.statusCode, ip).toBe(expected)
    }
    expect(await t.deps.twoFactor.recoveryLeft(member.id)).toBe(9)
  })

  it('an owner requires two-factor sign-in: a member without it is sent to set it up', async () => {
    const member = await signIn(t.deps, 'viewer')
    const set = await t.app.inject({ method: 'POST', url: '/admin/team/two-factor', headers: { ...FORM, cookie: owner.cookie }, payload: `required=on&_csrf=${owner.csrf}` })
    expect(set.statusCode).toBe(303)
    try {
      expect(await t.deps.twoFactor.required()).toBe(true)
      for (const who of [member, owner]) {
        const res = await t.app.inject({ url: '/admin', headers: who.headers })
        expect(res.statusCode).toBe(303)
        expect(res.headers.location).toBe('/admin/account')
      }
      // Changes are refused too, with the reason.
      const post = await t.app.inject({ method: 'POST', url: '/admin/account/sessions/end-others', headers: { ...FORM, cookie: member.cookie }, payload: `_csrf=${member.csrf}` })
      expect(post.statusCode).toBe(303)
      const invite = await t.app.inject({ method: 'POST', url: '/admin/team/invite', headers: { ...FORM, cookie: owner.cookie, 'accept-language': 'en' }, payload: `role=viewer&_csrf=${owner.csrf}` })
      expect(invite.statusCode).toBe(403)
      const account = await t.app.inject({ url: '/admin/account', headers: { ...member.headers, 'accept-language': 'en' } })
      expect(account.statusCode).toBe(200)
      expect(account.body).toContain('An owner requires two-factor sign-in for the whole team')
    } finally {
      await t.deps.twoFactor.setRequired(false)
    }
  })

  it('lists active sessions on the team page; an owner ends one, which is refused and its open dashboard stream ends', async () => {
    const c = await seedCampaign(t.deps)
    const viewer = await signIn(t.deps, 'viewer')
    const team = await t.app.inject({ url: '/admin/team', headers: { ...owner.headers, 'accept-language': 'en' } })
    expect(team.body).toContain(`action="/admin/team/sessions/${viewer.user.sessionId}/end"`)
    expect(team.body).toContain('Firefox · Linux')
    const base = await listen(t)
    const stream = await readEventStream<unknown>(base, `/admin/campaigns/${c.id}/events`, { cookie: viewer.cookie, firstData: true })
    expect(stream.res.statusCode).toBe(200)
    const closed = new Promise<void>((resolve) => stream.res.once('close', () => resolve()))
    const end = await t.app.inject({ method: 'POST', url: `/admin/team/sessions/${viewer.user.sessionId}/end`, headers: { ...FORM, cookie: owner.cookie }, payload: `_csrf=${owner.csrf}` })
    expect(end.statusCode).toBe(303)
    await closed
    expect((await t.app.inject({ url: '/admin', headers: viewer.headers })).statusCode).toBe(303)
    const [row] = await t.deps.db.select().from(sessions).where(eq(sessions.id, viewer.user.sessionId))
    expect(row!.revokedAt).not.toBeNull()
    const logs = await t.deps.db.select().from(auditLog).where(eq(auditLog.entity, 'session'))
    expect(logs.map((l) => l.entityId)).toContain(viewer.user.sessionId)
  })

  it('changes a password (refusing common ones and the e-mail) and ends the member’s other sessions', async () => {
    const me = await signIn(t.deps, 'editor', 'nadia.kone@example.org')
    const other = await t.deps.auth.createSession(me.user.id)
    const post = (body: Record<string, string>) => t.app.inject({ method: 'POST', url: '/admin/account/password', headers: { ...FORM, cookie: me.cookie, 'accept-language': 'en' }, payload: new URLSearchParams({ _csrf: me.csrf, current: PASSWORD, ...body }).toString() })
    const common = await post({ password: 'qwertyuiop', confirm: 'qwertyuiop' })
    expect(common.statusCode).toBe(400)
    expect(common.body).toContain('This password is among the most common ones')
    const personal = await post({ password: 'NadiaKone2026!', confirm: 'NadiaKone2026!' })
    expect(personal.statusCode).toBe(400)
    expect(personal.body).toContain('made of your e-mail address')
    expect((await post({ current: 'not mine at all', password: 'a new long phrase here', confirm: 'a new long phrase here' })).statusCode).toBe(400)
    const ok = await post({ password: 'a new long phrase here', confirm: 'a new long phrase here' })
    expect(ok.statusCode).toBe(303)
    expect((await t.app.inject({ url: '/admin', headers: me.headers })).statusCode).toBe(200)
    expect((await t.app.inject({ url: '/admin', headers: { cookie: `${SESSION_COOKIE}=${other.token}` } })).statusCode).toBe(303)
    expect((await login(t, me.user.email, 'a new long phrase here', '192.0.2.30')).res.statusCode).toBe(303)
  })

  it('refuses a common password when an invitation is accepted', async () => {
    const { token } = await t.deps.auth.createInvite({ role: 'viewer', createdBy: owner.user.id })
    const b = browser(t)
    const page = await b.get(`/admin/invite/${token}`)
    const res = await b.post(`/admin/invite/${token}`, { _csrf: csrfOf(page.body), email: 'new@example.org', password: '1q2w3e4r5t', confirm: '1q2w3e4r5t' })
    expect(res.statusCode).toBe(400)
    expect(res.body).toContain('This password is among the most common ones')
  })

  it('resets a password through a one-time e-mailed link, with the same answer for an unknown address', async () => {
    const member = await signIn(t.deps, 'viewer', 'forgetful@example.org')
    const ask = async (email: string) => {
      const b = browser(t, '192.0.2.40')
      const page = await b.get('/admin/password/forgot')
      return b.post('/admin/password/forgot', { _csrf: csrfOf(page.body), email })
    }
    const before = smtp.mails.length
    const unknown = await ask('nobody-here@example.org')
    const known = await ask('Forgetful@example.org')
    expect(known.statusCode).toBe(unknown.statusCode)
    expect(known.body.replace(/value="[^"]+"|nonce="[^"]+"/g, '')).toBe(unknown.body.replace(/value="[^"]+"|nonce="[^"]+"/g, ''))
    expect(known.body).toContain('If this address belongs to a member of the team, a link')
    const [mail] = (await smtp.waitFor(before + 1)).slice(before)
    expect(mail!.to).toMatchObject({ text: 'forgetful@example.org' })
    const link = /http:\/\/bouteille\.test(\/admin\/password\/reset\/[A-Za-z0-9_-]+)/.exec(mail!.text ?? '')![1]!
    const b = browser(t)
    const form = await b.get(link)
    expect(form.statusCode).toBe(200)
    expect((await b.post(link, { _csrf: csrfOf(form.body), password: 'qwertyuiop', confirm: 'qwertyuiop' })).statusCode).toBe(400)
    const done = await b.post(link, { _csrf: csrfOf(form.body), password: 'paper boats on the river', confirm: 'paper boats on the river' })
    expect(done.statusCode).toBe(303)
    expect(done.headers.location).toBe('/admin/login')
    // One time only, and the sessions opened before are over.
    expect((await b.get(link)).statusCode).toBe(404)
    expect((await t.app.inject({ url: '/admin', headers: member.headers })).statusCode).toBe(303)
    expect((await login(t, member.user.email, 'paper boats on the river', '192.0.2.41')).res.statusCode).toBe(303)
    const [row] = await t.deps.db.select().from(users).where(eq(users.id, member.user.id))
    expect(row!.passwordHash).toMatch(/^\$argon2id\$/)
  })
})

describe('password reset without SMTP_URL', () => {
  let t: App
  beforeAll(async () => { t = await buildTestApp() })
  afterAll(async () => { await t.close() })

  it('says an owner must run bouteille user reset-password', async () => {
    const res = await t.app.inject({ url: '/admin/password/forgot', headers: { 'accept-language': 'en' } })
    expect(res.statusCode).toBe(200)
    expect(res.body).toContain('Ask an owner to reset your password on the server')
    expect(res.body).toContain('bouteille user reset-password --email')
    expect(res.body).not.toContain('name="email"')
  })
})
