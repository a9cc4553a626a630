import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Deps } from '../../deps.ts'
import type { PasswordProblem } from '../../domain/password-rules.ts'
import { PASSWORD_MIN } from '../../domain/password-rules.ts'
import type { Translator } from '../../i18n.ts'
import { RESET_MINUTES } from '../../services/password-service.ts'
import { formatDateTime } from './format.ts'

type Body = Record<string, unknown>
const str = (v: unknown): string => typeof v === 'string' ? v : ''
const self = { config: { access: 'viewer' as const, twoFactorSetup: true } }
const open = { config: { access: 'public' as const } }

/** The message for a refused new password, in the reader's language. */
export function passwordError (tr: Translator, problem: PasswordProblem): string {
  return tr.t(`admin.account.password.${problem}`, { min: PASSWORD_MIN })
}

/** A member's own account (password, two-factor sign-in, their sessions) and the password reset by e-mail link. */
export async function accountRoutes (app: FastifyInstance, { deps }: { deps: Deps }): Promise<void> {
  const { auth, passwords, twoFactor, audit, mailer } = deps

  const accountPage = async (request: FastifyRequest, reply: FastifyReply, opts: { status?: number, errors?: Record<string, string>, setup?: ReturnType<typeof twoFactor.newSetup>, recoveryCodes?: string[] } = {}) => {
    const tr = reply.adminTranslator()
    const user = request.user!
    const [sessions, required, recoveryLeft] = await Promise.all([auth.activeSessions(user.id), twoFactor.required(), twoFactor.recoveryLeft(user.id)])
    reply.code(opts.status ?? 200)
    return reply.adminView('admin/account.eta', {
      title: tr.t('admin.account.title'),
      passwordMin: PASSWORD_MIN,
      errors: opts.errors ?? {},
      required,
      recoveryLeft,
      recoveryCodes: opts.recoveryCodes ?? null,
      setup: user.twoFactor ? null : (opts.setup ?? twoFactor.newSetup(user)),
      sessions: sessions.map((s) => ({ ...s, current: s.id === user.sessionId, created: formatDateTime(tr.locale, s.createdAt), seen: formatDateTime(tr.locale, s.lastSeenAt) }))
    })
  }

  app.get('/admin/account', self, async (request, reply) => accountPage(request, reply))

  app.post('/admin/account/password', self, async (request, reply) => {
    const body = (request.body ?? {}) as Body
    const tr = reply.adminTranslator()
    const user = request.user!
    const next = str(body.password)
    const errors: Record<string, string> = {}
    if (!await auth.passwordMatches(user.id, str(body.current).slice(0, 1024))) errors.current = tr.t('admin.account.password.wrongCurrent')
    const weak = await passwords.problem(next, user.email)
    if (weak) errors.password = passwordError(tr, weak)
    else if (next !== str(body.confirm)) errors.confirm = tr.t('admin.errors.confirm')
    if (Object.keys(errors).length > 0) return accountPage(request, reply, { status: 400, errors })
    // Every other session ends: whoever knew the old password is out.
    await passwords.set(user.id, next, user.sessionId)
    await audit.record(user, { action: 'password', entity: 'user', entityId: user.id })
    reply.flash({ type: 'success', key: 'admin.account.password.changed' })
    return reply.redirect('/admin/account', 303)
  })

  app.post('/admin/account/sessions/end-others', self, async (request, reply) => {
    await auth.revokeSessions(request.user!.id, { except: request.user!.sessionId })
    reply.flash({ type: 'success', key: 'admin.account.sessions.ended' })
    return reply.redirect('/admin/account', 303)
  })

  app.post('/admin/account/two-factor/enable', self, async (request, reply) => {
    const body = (request.body ?? {}) as Body
    const user = request.user!
    const input = { secret: str(body.secret).slice(0, 64), signature: str(body.signature).slice(0, 64), code: str(body.code).replace(/\s/g, '').slice(0, 16) }
    const result = await twoFactor.enable(user.id, input)
    if (!result.ok) {
      // The same secret again (the app already has it), when it is the one this page signed.
      const setup = twoFactor.signed(user.id, input.secret, input.signature) ? twoFactor.newSetup(user, input.secret) : undefined
      return accountPage(request, reply, { status: 400, errors: { code: reply.adminTranslator().t('admin.account.twoFactor.wrongCode') }, setup })
    }
    await audit.record(user, { action: 'enable', entity: 'two-factor', entityId: user.id })
    // The codes are shown on this answer only (no redirect): only their hashes are kept.
    request.user = { ...user, twoFactor: true }
    return accountPage(request, reply, { recoveryCodes: result.recoveryCodes })
  })

  app.post('/admin/account/two-factor/disable', self, async (request, reply) => {
    const body = (request.body ?? {}) as Body
    const tr = reply.adminTranslator()
    const user = request.user!
    if (await twoFactor.required()) return accountPage(request, reply, { status: 409, errors: { disable: tr.t('admin.account.twoFactor.cannotDisable') } })
    if (!await auth.passwordMatches(user.id, str(body.current).slice(0, 1024))) return accountPage(request, reply, { status: 400, errors: { disable: tr.t('admin.account.password.wrongCurrent') } })
    await twoFactor.disable(user.id)
    await audit.record(user, { action: 'disable', entity: 'two-factor', entityId: user.id })
    reply.flash({ type: 'success', key: 'admin.account.twoFactor.disabled' })
    return reply.redirect('/admin/account', 303)
  })

  // Password reset by e-mail link: the same answer whether the address belongs to a member or not.
  const forgotPage = (reply: FastifyReply, opts: { sent?: boolean, status?: number } = {}) => {
    const tr = reply.adminTranslator()
    reply.code(opts.status ?? 200)
    return reply.adminView('admin/password-forgot.eta', { title: tr.t('admin.account.reset.title'), mail: mailer.enabled, sent: opts.sent ?? false, minutes: RESET_MINUTES })
  }

  app.get('/admin/password/forgot', open, async (_request, reply) => forgotPage(reply))

  app.post('/admin/password/forgot', open, async (request, reply) => {
    if (!mailer.enabled) return forgotPage(reply)
    const email = str(((request.body ?? {}) as Body).email).trim().slice(0, 254)
    const tr = reply.adminTranslator()
    // Counted like a sign-in try: nobody can flood a member's mailbox or probe addresses quickly.
    const gate = await auth.resetAttempt(email, request.ip)
    const member = gate.allowed && email ? await auth.findByEmail(email) : null
    if (member) {
      const { token } = await passwords.createReset(member.id)
      const link = `${deps.config.publicUrl}/admin/password/reset/${token}`
      // Not awaited: a known address must not answer slower than an unknown one.
      mailer.send({ to: member.email, subject: tr.t('admin.account.reset.mailSubject'), text: tr.t('admin.account.reset.mailText', { link, minutes: RESET_MINUTES }) })
        .catch((err: unknown) => { request.log.warn({ err }, 'password reset e-mail not sent') })
    }
    return forgotPage(reply, { sent: true })
  })

  const resetPage = (reply: FastifyReply, token: string, opts: { errors?: Record<string, string>, status?: number } = {}) => {
    const tr = reply.adminTranslator()
    reply.code(opts.status ?? 200)
    return reply.adminView('admin/password-reset.eta', { title: tr.t('admin.account.reset.newTitle'), token, passwordMin: PASSWORD_MIN, errors: opts.errors ?? {} })
  }
  const expired = (reply: FastifyReply) => reply.sendError(404, 'admin.account.reset.expired', { back: { href: '/admin/password/forgot', labelKey: 'admin.account.reset.title' } })

  app.get('/admin/password/reset/:token', open, async (request: FastifyRequest<{ Params: { token: string } }>, reply) => {
    if (!await passwords.findReset(request.params.token)) return expired(reply)
    return resetPage(reply, request.params.token)
  })

  app.post('/admin/password/reset/:token', open, async (request: FastifyRequest<{ Params: { token: string } }>, reply) => {
    const { token } = request.params
    const found = await passwords.findReset(token)
    if (!found) return expired(reply)
    const body = (request.body ?? {}) as Body
    const tr = reply.adminTranslator()
    const password = str(body.password)
    const weak = await passwords.problem(password, found.email)
    if (weak) return resetPage(reply, token, { status: 400, errors: { password: passwordError(tr, weak) } })
    if (password !== str(body.confirm)) return resetPage(reply, token, { status: 400, errors: { confirm: tr.t('admin.errors.confirm') } })
    const done = await passwords.reset(token, password)
    if (!done.ok) return expired(reply)
    await audit.record({ id: done.userId, email: done.email }, { action: 'reset', entity: 'password', entityId: done.userId })
    reply.flash({ type: 'success', key: 'admin.account.reset.done' })
    return reply.redirect('/admin/login', 303)
  })
}
