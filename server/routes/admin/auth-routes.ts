import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Deps } from '../../deps.ts'
import { isEmail } from '../../domain/intents.ts'
import { SESSION_COOKIE } from '../../plugins/admin.ts'
import { PASSWORD_MIN } from '../../services/auth-service.ts'

type Body = Record<string, unknown>
const str = (v: unknown): string => typeof v === 'string' ? v : ''

/** Where to go after signing in: only a path inside /admin (no open redirect). */
export function safeNext (next: unknown): string {
  const n = str(next)
  return /^\/admin(?:[/?#]|$)/.test(n) && !n.startsWith('//') && !n.includes('\\') ? n : '/admin'
}

/** Signing in and out, the first owner's set-up link and team invitations. */
export async function authRoutes (app: FastifyInstance, { deps }: { deps: Deps }): Promise<void> {
  const { auth, audit } = deps
  const secure = deps.config.publicUrl.startsWith('https:')

  function signIn (reply: FastifyReply, user: { id: string, sessionVersion: number }): void {
    reply.setCookie(SESSION_COOKIE, auth.sessionCookie(user), { path: '/', httpOnly: true, sameSite: 'lax', secure, maxAge: 30 * 86_400 })
  }

  const loginPage = (reply: FastifyReply, opts: { email?: string, next?: string, error?: string | null, status?: number }) => {
    const tr = reply.adminTranslator()
    reply.code(opts.status ?? 200)
    return reply.adminView('admin/login.eta', { title: tr.t('admin.login.title'), email: opts.email ?? '', next: safeNext(opts.next), error: opts.error ?? null })
  }

  app.get('/admin/login', { config: { access: 'public' } }, async (request: FastifyRequest<{ Querystring: { next?: string } }>, reply) => {
    if (request.user) return reply.redirect(safeNext(request.query.next), 303)
    return loginPage(reply, { next: request.query.next })
  })

  app.post('/admin/login', { config: { access: 'public' } }, async (request, reply) => {
    const body = (request.body ?? {}) as Body
    const email = str(body.email).slice(0, 254)
    const result = await auth.login(email, str(body.password).slice(0, 1024), request.ip)
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
    reply.clearCookie(SESSION_COOKIE, { path: '/' })
    return reply.redirect('/admin/login', 303)
  })

  const invitePage = (reply: FastifyReply, invite: { role: string, email: string | null }, token: string, opts: { error?: string | null, email?: string, name?: string, status?: number } = {}) => {
    const tr = reply.adminTranslator()
    reply.code(opts.status ?? 200)
    return reply.adminView('admin/invite.eta', {
      title: tr.t('admin.invite.title'),
      token,
      role: invite.role,
      fixedEmail: invite.email,
      email: opts.email ?? invite.email ?? '',
      name: opts.name ?? '',
      passwordMin: PASSWORD_MIN,
      error: opts.error ?? null
    })
  }

  app.get('/admin/invite/:token', { config: { access: 'public' } }, async (request: FastifyRequest<{ Params: { token: string } }>, reply) => {
    const invite = await auth.findInvite(request.params.token)
    if (!invite) return reply.sendError(404, 'admin.invite.expired', { back: { href: '/admin/login', labelKey: 'admin.login.title' } })
    return invitePage(reply, invite, request.params.token)
  })

  app.post('/admin/invite/:token', { config: { access: 'public' } }, async (request: FastifyRequest<{ Params: { token: string } }>, reply) => {
    const token = request.params.token
    const invite = await auth.findInvite(token)
    if (!invite) return reply.sendError(404, 'admin.invite.expired', { back: { href: '/admin/login', labelKey: 'admin.login.title' } })
    const body = (request.body ?? {}) as Body
    const tr = reply.adminTranslator()
    const email = (invite.email ?? str(body.email)).trim().slice(0, 254)
    const name = str(body.name).trim().slice(0, 120)
    const password = str(body.password)
    const again = { email, name, status: 400 }
    if (!isEmail(email)) return invitePage(reply, invite, token, { ...again, error: tr.t('admin.errors.email') })
    if (password.length < PASSWORD_MIN || password.length > 1024) return invitePage(reply, invite, token, { ...again, error: tr.t('admin.errors.password', { min: PASSWORD_MIN }) })
    if (password !== str(body.confirm)) return invitePage(reply, invite, token, { ...again, error: tr.t('admin.errors.confirm') })
    if (await auth.findByEmail(email)) return invitePage(reply, invite, token, { ...again, error: tr.t('admin.errors.emailTaken') })
    const user = await auth.acceptInvite(token, { email, password, name })
    if (!user) return reply.sendError(404, 'admin.invite.expired', { back: { href: '/admin/login', labelKey: 'admin.login.title' } })
    await audit.record(user, { action: 'accept', entity: 'invite', entityId: invite.id, after: { email: user.email, role: user.role } })
    signIn(reply, user)
    return reply.redirect('/admin', 303)
  })
}
