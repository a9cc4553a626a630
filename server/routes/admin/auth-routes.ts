import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Deps } from '../../deps.ts'
import { isEmail } from '../../domain/intents.ts'
import { SESSION_COOKIE } from '../../plugins/admin.ts'
import { PASSWORD_MIN, SESSION_DAYS } from '../../services/auth-service.ts'
import { addressGroup } from '../../domain/network-address.ts'

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

/** Signing in and out, the first owner's set-up link and team invitations. */
export async function authRoutes (app: FastifyInstance, { deps }: { deps: Deps }): Promise<void> {
  const { auth, audit, access } = deps
  const secure = deps.config.publicUrl.startsWith('https:')

  function signIn (reply: FastifyReply, user: { id: string, sessionVersion: number }): void {
    // Only the admin needs it: public pages (cached, cookie-free) never receive it.
    reply.setCookie(SESSION_COOKIE, auth.sessionCookie(user), { path: '/admin', httpOnly: true, sameSite: 'lax', secure, maxAge: SESSION_DAYS * 86_400 })
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
    if (!result.ok) {
      return loginPage(reply, { email, next: str(body.next), error: tr.t(result.reason === 'limited' ? 'admin.login.limited' : 'admin.login.invalid'), status: result.reason === 'limited' ? 429 : 400 })
    }
    signIn(reply, result.user)
    return reply.redirect(safeNext(body.next), 303)
  })

  app.post('/admin/logout', { config: { access: 'viewer' } }, async (request, reply) => {
    // Ends this user's sessions everywhere: the cookie's version no longer matches.
    await auth.revokeSessions(request.user!.id)
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
    if (password.length < PASSWORD_MIN || password.length > 1024) errors.password = tr.t('admin.errors.password', { min: PASSWORD_MIN })
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
    signIn(reply, result.user)
    return reply.redirect('/admin', 303)
  })
}
