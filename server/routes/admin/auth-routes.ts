import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Deps } from '../../deps.ts'
import { isEmail } from '../../domain/intents.ts'
import { SESSION_COOKIE } from '../../plugins/admin.ts'
import { PASSWORD_MIN, SESSION_DAYS } from '../../services/auth-service.ts'
import { addressGroup } from '../../domain/network-address.ts'
import { passwordError } from './account-routes.ts'

type Body = Record<string, unknown>
const str = (v: unknown): string => typeof v === 'string' ? v : ''
export const NAME_MAX = 120

/** Where to go after signing in: only a path inside /admin (no open redirect). */
export function safeNext (next: unknown): string {
  const n = str(next)
  // No backslash (browsers read it as a slash) and no control character (a header cannot carry one).
  const plain = [...n].every((ch) => ch !== '\\' && ch.charCodeAt(0) > 0x1f && ch.charCodeAt(0) !== 0x7f)
  return /^\/admin(?:[/?#]|$)/.test(n) && plain && n.length <= 2048 ? n : '/admin'
}

/** Signing in (password, then the TOTP code when the member has one) and out, the first owner's set-up link and team invitations. */
export async function authRoutes (app: FastifyInstance, { deps }: { deps: Deps }): Promise<void> {
  const { auth, audit, twoFactor, access } = deps
  const secure = deps.config.publicUrl.startsWith('https:')

  async function signIn (request: FastifyRequest, reply: FastifyReply, userId: string, twoFactorPending = false): Promise<void> {
    const session = await auth.createSession(userId, { userAgent: request.headers['user-agent'], twoFactorPending })
    // Only the admin needs it: public pages (cached, cookie-free) never receive it.
    reply.setCookie(SESSION_COOKIE, session.token, { path: '/admin', httpOnly: true, sameSite: 'lax', secure, maxAge: SESSION_DAYS * 86_400 })
  }

  const loginPage = (reply: FastifyReply, opts: { email?: string, next?: string, error?: string | null, status?: number }) => {
    const tr = reply.adminTranslator()
    reply.code(opts.status ?? 200)
    return reply.adminView('admin/login.eta', { title: tr.t('admin.login.title'), email: opts.email ?? '', next: safeNext(opts.next), error: opts.error ?? null, ownFlash: true })
  }

  app.get('/admin/login', { config: { access: 'public' } }, async (request: FastifyRequest<{ Querystring: { next?: string } }>, reply) => {
    if (request.user) return reply.redirect(safeNext(request.query.next), 303)
    return loginPage(reply, { next: request.query.next })
  })

  app.post('/admin/login', { config: { access: 'public' } }, async (request, reply) => {
    const body = (request.body ?? {}) as Body
    const email = str(body.email).slice(0, 254)
    const result = await auth.login(email, str(body.password).slice(0, 1024), addressGroup(request.ip))
    const tr = reply.adminTranslator()
    if (!result.ok && result.reason === 'limited') {
      reply.header('retry-after', String(result.retryAfterSeconds))
      return loginPage(reply, { email, next: str(body.next), error: tr.t('admin.login.limited', { minutes: Math.ceil(result.retryAfterSeconds / 60) }), status: 429 })
    }
    if (!result.ok) return loginPage(reply, { email, next: str(body.next), error: tr.t('admin.login.invalid'), status: 400 })
    if (result.user.totpSecret) {
      await signIn(request, reply, result.user.id, true)
      return reply.redirect(`/admin/login/two-factor?next=${encodeURIComponent(safeNext(body.next))}`, 303)
    }
    await signIn(request, reply, result.user.id)
    return reply.redirect(safeNext(body.next), 303)
  })

  const codePage = (reply: FastifyReply, opts: { next?: string, error?: string | null, status?: number }) => {
    const tr = reply.adminTranslator()
    reply.code(opts.status ?? 200)
    return reply.adminView('admin/login-two-factor.eta', { title: tr.t('admin.account.twoFactor.loginTitle'), next: safeNext(opts.next), error: opts.error ?? null })
  }

  app.get('/admin/login/two-factor', { config: { access: 'public' } }, async (request: FastifyRequest<{ Querystring: { next?: string } }>, reply) => {
    if (!request.pendingUser) return reply.redirect('/admin/login', 303)
    return codePage(reply, { next: request.query.next })
  })

  app.post('/admin/login/two-factor', { config: { access: 'public' } }, async (request, reply) => {
    const pending = request.pendingUser
    if (!pending) return reply.redirect('/admin/login', 303)
    const body = (request.body ?? {}) as Body
    const tr = reply.adminTranslator()
    // The same slow-down as passwords, per member and address: six digits must not be guessable in ten minutes.
    const gate = await auth.secondFactorAttempt(pending.id, request.ip)
    if (!gate.allowed) {
      reply.header('retry-after', String(gate.retryAfterSeconds))
      return codePage(reply, { next: str(body.next), error: tr.t('admin.login.limited', { minutes: Math.ceil(gate.retryAfterSeconds / 60) }), status: 429 })
    }
    const used = await twoFactor.verify(pending.id, str(body.code).slice(0, 64))
    if (!used) return codePage(reply, { next: str(body.next), error: tr.t('admin.account.twoFactor.wrongCode'), status: 400 })
    await auth.secondFactorSucceeded(pending.id, request.ip)
    await auth.completeSession(pending.sessionId)
    if (used === 'recovery') reply.flash({ type: 'warning', key: 'admin.account.twoFactor.recoveryUsed', vars: { left: await twoFactor.recoveryLeft(pending.id) } })
    return reply.redirect(safeNext(body.next), 303)
  })

  app.post('/admin/logout', { config: { access: 'viewer', twoFactorSetup: true } }, async (request, reply) => {
    // Ends this session (the account page ends the others); its open event streams close with it.
    await auth.revokeSession(request.user!.sessionId)
    reply.clearCookie(SESSION_COOKIE, { path: '/admin' })
    reply.flash({ type: 'info', key: 'admin.login.signedOut' })
    return reply.redirect('/admin/login', 303)
  })

  type Invite = NonNullable<Awaited<ReturnType<typeof auth.findInvite>>>
  type Fields = { email?: string, name?: string }

  const invitePage = (reply: FastifyReply, invite: Invite, token: string, opts: { errors?: Record<string, string>, values?: Fields, status?: number } = {}) => {
    const tr = reply.adminTranslator()
    reply.code(opts.status ?? 200)
    return reply.adminView('admin/invite.eta', {
      title: tr.t(invite.setup ? 'admin.invite.setupTitle' : 'admin.invite.title'),
      token,
      role: invite.role,
      setup: invite.setup,
      fixedEmail: invite.email,
      values: { email: opts.values?.email ?? invite.email ?? '', name: opts.values?.name ?? '' },
      passwordMin: PASSWORD_MIN,
      errors: opts.errors ?? {}
    })
  }

  const expired = (reply: FastifyReply) => reply.sendError(404, 'admin.invite.expired', { back: { href: '/admin/login', labelKey: 'admin.login.title' } })

  app.get('/admin/invite/:token', { config: { access: 'public' } }, async (request: FastifyRequest<{ Params: { token: string } }>, reply) => {
    const invite = await auth.findInvite(request.params.token)
    if (!invite) return expired(reply)
    return invitePage(reply, invite, request.params.token)
  })

  app.post('/admin/invite/:token', { config: { access: 'public' } }, async (request: FastifyRequest<{ Params: { token: string } }>, reply) => {
    const token = request.params.token
    const invite = await auth.findInvite(token)
    if (!invite) return expired(reply)
    const body = (request.body ?? {}) as Body
    const tr = reply.adminTranslator()
    const email = (invite.email ?? str(body.email)).trim().slice(0, 254)
    const name = str(body.name).trim()
    const password = str(body.password)
    const errors: Record<string, string> = {}
    if (!isEmail(email)) errors.email = tr.t('admin.errors.email')
    else if (await auth.findByEmail(email)) errors.email = tr.t('admin.errors.emailTaken')
    if (name.length > NAME_MAX) errors.name = tr.t('admin.errors.name', { max: NAME_MAX })
    const weak = await deps.passwords.problem(password, email)
    if (weak) errors.password = passwordError(tr, weak)
    else if (password !== str(body.confirm)) errors.confirm = tr.t('admin.errors.confirm')
    const values = { email, name }
    if (Object.keys(errors).length > 0) return invitePage(reply, invite, token, { errors, values, status: 400 })
    const result = await auth.acceptInvite(token, { email, password, name }, async (tx, user, used) => {
      await audit.record(user, { action: invite.setup ? 'setup' : 'accept', entity: 'invite', entityId: used.id, after: { email: user.email, name: user.name, role: user.role } }, tx)
      // An invitation to chosen campaigns: the member exists limited to them from their first request.
      await access.applyInvite(user, used.campaignIds, tx)
    })
    if (!result.ok && result.reason === 'emailTaken') return invitePage(reply, invite, token, { errors: { email: tr.t('admin.errors.emailTaken') }, values, status: 400 })
    if (!result.ok) return expired(reply)
    await signIn(request, reply, result.user.id)
    return reply.redirect('/admin', 303)
  })
}
