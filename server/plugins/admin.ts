import { randomBytes } from 'node:crypto'
import cookie from '@fastify/cookie'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { UserRole } from '../db/schema.ts'
import type { I18n, Translator } from '../i18n.ts'
import { roleAtLeast, type AuthService, type SessionUser } from '../services/auth-service.ts'

export const SESSION_COOKIE = 'bouteille_session'
const PRE_SESSION_COOKIE = 'bouteille_pre'

/** Who may call an admin route: 'public' only for signing in and one-time links. */
export type Access = UserRole | 'public'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** required on every /admin route: the least role that may call it */
    access?: Access
  }
  interface FastifyRequest {
    user: SessionUser | null
  }
  interface FastifyReply {
    /** Renders an admin page with the layout's needs (user, CSRF token, language, nonce). */
    adminView: (template: string, data: Record<string, unknown> & { title: string }) => FastifyReply
    /** The CSRF token to put in this request's forms (field _csrf). */
    csrfToken: () => string
    adminTranslator: () => Translator
  }
}

/**
 * The admin scope's guard. Every route registered in it must declare `config.access` (the app refuses to
 * start otherwise); a request without the right session goes to the login page (403 when signed in with too
 * small a role); every state-changing request must carry the CSRF token of its session.
 */
export const adminScope = fp(async (app: FastifyInstance, { auth, i18n, secure }: { auth: AuthService, i18n: I18n, secure: boolean }) => {
  if (!app.hasDecorator('parseCookie')) await app.register(cookie)
  app.decorateRequest('user', null)

  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/admin')) return
    const access = (route.config as { access?: Access } | undefined)?.access
    if (!access) throw new Error(`admin route ${route.method} ${route.url} declares no access`)
  })

  const binding = (request: FastifyRequest): string => request.user
    ? `u:${request.user.id}.${request.user.sessionVersion}`
    : `p:${request.cookies[PRE_SESSION_COOKIE] ?? ''}`

  app.decorateReply('csrfToken', function (this: FastifyReply) {
    if (!this.request.user && !this.request.cookies[PRE_SESSION_COOKIE]) {
      // The login form has no session yet: bind its token to a random cookie instead.
      const pre = randomBytes(18).toString('base64url')
      this.request.cookies[PRE_SESSION_COOKIE] = pre
      this.setCookie(PRE_SESSION_COOKIE, pre, { path: '/admin', httpOnly: true, sameSite: 'lax', secure })
    }
    return auth.csrfToken(binding(this.request))
  })

  app.decorateReply('adminTranslator', function (this: FastifyReply) {
    return i18n.translator(this.request.locale('fr'))
  })

  app.decorateReply('adminView', function (this: FastifyReply, template: string, data: Record<string, unknown> & { title: string }) {
    const tr = this.adminTranslator()
    this.header('cache-control', 'no-store')
    return this.type('text/html; charset=utf-8').view(template, {
      ...this.pageBase(tr, { title: data.title }),
      user: this.request.user,
      csrf: this.csrfToken(),
      path: this.request.url.split('?')[0],
      ...data
    })
  })

  app.addHook('onRequest', async (request) => {
    if (!request.url.startsWith('/admin')) return
    request.user = await auth.userFromCookie(request.cookies[SESSION_COOKIE])
  })

  app.addHook('preHandler', async (request, reply) => {
    if (!request.url.startsWith('/admin')) return
    const access = request.routeOptions.config.access
    if (!access) return // not an admin route (404 handler)
    if (access !== 'public') {
      if (!request.user) {
        if (request.method === 'GET') return reply.redirect(`/admin/login?next=${encodeURIComponent(request.url)}`, 303)
        return reply.sendError(401, 'admin.errors.signedOut', { back: { href: '/admin/login', labelKey: 'admin.login.title' } })
      }
      if (!roleAtLeast(request.user.role, access)) return reply.sendError(403, 'admin.errors.forbidden', { back: { href: '/admin', labelKey: 'admin.nav.campaigns' } })
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      const body = request.body as Record<string, unknown> | undefined
      const token = body?._csrf ?? request.headers['x-csrf-token']
      if (!auth.csrfValid(binding(request), token)) return reply.sendError(403, 'admin.errors.csrf', { back: { href: request.url, labelKey: 'admin.errors.reload' } })
    }
  })
}, { name: 'admin-scope', dependencies: ['pages'] })
