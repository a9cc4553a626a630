import { randomBytes } from 'node:crypto'
import cookie from '@fastify/cookie'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { UserRole } from '../db/schema.ts'
import type { I18n, Translator } from '../i18n.ts'
import { campaignRuleBreach, effectiveRole, isCampaignRoute, type CampaignScope } from '../domain/access-rules.ts'
import type { AccessService } from '../services/access-service.ts'
import { roleAtLeast, type AuthService, type SessionUser } from '../services/auth-service.ts'
import { UUID_RE } from '../routes/admin/format.ts'
import type { SessionWatch } from '../services/session-watch.ts'
import type { TwoFactorService } from '../services/two-factor-service.ts'

export const SESSION_COOKIE = 'bouteille_session'
const PRE_SESSION_COOKIE = 'bouteille_pre'
// The admin remembers the language last chosen with ?lang= (a tool used for hours, page after page).
export const LANG_COOKIE = 'bouteille_admin_lang'
const FLASH_COOKIE = 'bouteille_flash'

/** A message for the next admin page, after a 303 (e.g. "The role of … is now Editor."): shown once. */
export interface Flash {
  type: 'success' | 'error' | 'warning' | 'info'
  /** a translation key under admin. */
  key: string
  vars?: Record<string, string | number>
  /** a value to show once for copying (the team's invitation link) */
  link?: string
}

function readFlash (raw: string | undefined): Flash | null {
  if (!raw) return null
  try {
    const f = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Flash
    if (!['success', 'error', 'warning', 'info'].includes(f.type) || !/^admin\.[\w.-]+$/.test(f.key)) return null
    const vars = Object.fromEntries(Object.entries(f.vars ?? {}).filter(([, v]) => typeof v === 'string' || typeof v === 'number'))
    return { type: f.type, key: f.key, vars, link: typeof f.link === 'string' ? f.link : undefined }
  } catch {
    return null
  }
}

/** Who may call an admin route: 'public' only for signing in and one-time links. */
export type Access = UserRole | 'public'

/** One admin route and who may call it; campaign: it touches the campaign of its :id, checked against the member's grants. */
export interface AdminRoute { method: string, url: string, access: Access, campaign: boolean }

declare module 'fastify' {
  interface FastifyInstance {
    /** Every /admin route with the least role that may call it: the table the guard enforces. */
    adminRoutes: readonly AdminRoute[]
    /** The admin's language for a request to an /admin address (null elsewhere): error pages outside the admin context use it. */
    adminLocaleOf: (request: FastifyRequest) => string | null
  }
  interface FastifyContextConfig {
    /** required on every /admin route: the least role that may call it */
    access?: Access
    /** reachable by a member who must still set up two-factor sign-in (the owner requires it) */
    twoFactorSetup?: boolean
  }
  interface FastifyRequest {
    /** The signed-in member; on a campaign route their role is the one they have on that campaign. */
    user: SessionUser | null
    /** The campaigns the signed-in member may see (null: all); lists show only these. */
    campaignScope: CampaignScope
    /** the member whose password was right and whose TOTP code is still to come (their session is not usable yet) */
    pendingUser: SessionUser | null
  }
  interface FastifyReply {
    /** Renders an admin page with the layout's needs (user, CSRF token, language, nonce). */
    adminView: (template: string, data: Record<string, unknown> & { title: string }) => FastifyReply
    /** The CSRF token to put in this request's forms (field _csrf). */
    csrfToken: () => string
    /** Keeps a message for the next admin page this browser shows (after a 303 redirect). */
    flash: (flash: Flash) => FastifyReply
    adminTranslator: () => Translator
  }
}

// The page the expired form was on (its action URL answers POST only), when it is an admin page of this site.
function formPage (request: FastifyRequest): string {
  try {
    const from = new URL(request.headers.referer ?? '', `http://${request.host}`)
    if (from.host === request.host && /^\/admin(?:\/|$)/.test(from.pathname)) return from.pathname + from.search
  } catch {}
  return '/admin'
}

// ?lang=, else the remembered language, else Accept-Language. Cookies are parsed in the admin context only:
// elsewhere (the 404 page of an unknown /admin address) the header is read here.
function adminLocale (request: FastifyRequest, i18n: I18n): string {
  const q = request.query as Record<string, unknown> | undefined
  const remembered = request.cookies
    ? request.cookies[LANG_COOKIE]
    : (request.headers.cookie ? cookie.fastifyCookie.parse(request.headers.cookie)[LANG_COOKIE] : undefined)
  return i18n.negotiate(typeof q?.lang === 'string' ? q.lang : remembered, request.headers['accept-language'], 'fr', i18n.adminLocales)
}

/** What a session's CSRF tokens are bound to. */
export const sessionBinding = (sessionId: string): string => `s:${sessionId}`

const ADMIN_URL = /^\/admin(?:[/?#]|$)/
const kGuarded = Symbol('bouteille.adminGuarded')

/**
 * What the admin needs at the root: the table of every /admin route, the check (at ready) that each one was
 * registered inside the admin context — so each is behind the guard — and error pages of unknown /admin
 * addresses in the admin's language. Public routes run none of the admin's hooks, cookies included.
 */
export const adminRoot = fp(async (app: FastifyInstance, { i18n }: { i18n: I18n }) => {
  const table: AdminRoute[] = []
  const guarded = new Set<string>()
  const seen: string[] = []
  app.decorate('adminRoutes', table)
  app.decorate(kGuarded, guarded)
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/admin')) return
    const access = (route.config as { access?: Access } | undefined)?.access
    if (!access) throw new Error(`admin route ${String(route.method)} ${route.url} declares no access`)
    const breach = campaignRuleBreach(route.url, access)
    if (breach) throw new Error(breach)
    for (const method of [route.method].flat()) {
      seen.push(`${method} ${route.url}`)
      table.push({ method, url: route.url, access, campaign: isCampaignRoute(route.url) })
    }
  })
  app.addHook('onReady', async () => {
    const outside = seen.filter((r) => !guarded.has(r))
    if (outside.length > 0) throw new Error(`admin routes registered outside the admin context (no guard): ${outside.join(', ')}`)
  })
  app.decorateRequest('user', null)
  app.decorateRequest('campaignScope', null)
  app.decorateRequest('pendingUser', null)
  app.decorate('adminLocaleOf', (request: FastifyRequest): string | null => ADMIN_URL.test(request.url) ? adminLocale(request, i18n) : null)
}, { name: 'admin-root', dependencies: ['pages'] })

/**
 * The admin scope's guard, for the encapsulated context that holds every /admin route. Each route must declare
 * `config.access` (the app refuses to start otherwise); a request without the right session goes to the login
 * page (403 when signed in with too small a role); a route under /admin/campaigns/:id answers 404 to a member not
 * granted that campaign; every state-changing request must carry the CSRF token of its session.
 */
export const adminScope = fp(async (app: FastifyInstance, { auth, access: grants, twoFactor, watch, i18n, secure }: { auth: AuthService, access: AccessService, twoFactor: Pick<TwoFactorService, 'required'>, watch: SessionWatch, i18n: I18n, secure: boolean }) => {
  await app.register(cookie)
  await watch.start()
  const guarded = (app as unknown as Record<symbol, Set<string>>)[kGuarded]
  if (!guarded) throw new Error('register adminRoot at the root before the admin context')
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/admin')) throw new Error(`route ${String(route.method)} ${route.url} is in the admin context but not under /admin`)
    for (const method of [route.method].flat()) guarded.add(`${method} ${route.url}`)
  })

  const binding = (request: FastifyRequest): string => {
    const session = request.user ?? request.pendingUser
    return session ? sessionBinding(session.sessionId) : `p:${request.cookies[PRE_SESSION_COOKIE] ?? ''}`
  }

  app.decorateReply('csrfToken', function (this: FastifyReply) {
    if (!this.request.user && !this.request.pendingUser && !this.request.cookies[PRE_SESSION_COOKIE]) {
      // The login form has no session yet: bind its token to a random cookie instead.
      const pre = randomBytes(18).toString('base64url')
      this.request.cookies[PRE_SESSION_COOKIE] = pre
      this.setCookie(PRE_SESSION_COOKIE, pre, { path: '/admin', httpOnly: true, sameSite: 'lax', secure })
    }
    return auth.csrfToken(binding(this.request))
  })

  app.decorateReply('adminTranslator', function (this: FastifyReply) {
    return i18n.translator(adminLocale(this.request, i18n))
  })

  app.decorateReply('flash', function (this: FastifyReply, flash: Flash) {
    return this.setCookie(FLASH_COOKIE, Buffer.from(JSON.stringify(flash)).toString('base64url'), { path: '/admin', httpOnly: true, sameSite: 'lax', secure, maxAge: 300 })
  })

  app.decorateReply('adminView', function (this: FastifyReply, template: string, data: Record<string, unknown> & { title: string }) {
    const tr = this.adminTranslator()
    this.header('cache-control', 'no-store')
    const flash = readFlash(this.request.cookies[FLASH_COOKIE])
    if (this.request.cookies[FLASH_COOKIE]) this.clearCookie(FLASH_COOKIE, { path: '/admin' })
    return this.type('text/html; charset=utf-8').view(template, {
      ...this.pageBase(tr, { title: data.title, languages: i18n.adminLocales }),
      user: this.request.user,
      csrf: this.csrfToken(),
      path: this.request.url.split('?')[0],
      // it.flash: { type, text, link? } — the layout shows it, unless it has a link or the page sets ownFlash: true (then the page shows it).
      flash: flash ? { type: flash.type, text: tr.t(flash.key, flash.vars), link: flash.link } : null,
      ...data
    })
  })

  // Decided by the matched route, never by request.url: the router decodes the path, so /%61dmin/team is /admin/team.
  // Who may call is checked on request, before the body is even read: a stranger's upload is never parsed.
  app.addHook('onRequest', async (request, reply) => {
    const access = request.routeOptions.config.access
    // Error pages (401, 403, 404, 500) speak the admin's language too.
    request.settledLocale = adminLocale(request, i18n)
    if (!access) return // cannot happen: onRoute refused such a route
    const session = await auth.sessionFromCookie(request.cookies[SESSION_COOKIE])
    if (session?.pending) request.pendingUser = session.user
    else request.user = session?.user ?? null
    const q = request.query as Record<string, unknown> | undefined
    if (typeof q?.lang === 'string' && i18n.adminLocales.includes(q.lang) && q.lang !== request.cookies[LANG_COOKIE]) {
      reply.setCookie(LANG_COOKIE, q.lang, { path: '/admin', httpOnly: true, sameSite: 'lax', secure, maxAge: 365 * 86_400 })
    }
    if (access === 'public') return
    if (!request.user) {
      if (request.method === 'GET' || request.method === 'HEAD') return reply.redirect(`/admin/login?next=${encodeURIComponent(request.url)}`, 303)
      return reply.sendError(401, 'admin.errors.signedOut', { back: { href: '/admin/login', labelKey: 'admin.login.title' } })
    }
    // A campaign the member may not see answers exactly as one that does not exist: 404, before any role check.
    const scope = request.campaignScope = await grants.scopeOf(request.user.id)
    let granted = false
    if (scope !== null && isCampaignRoute(request.routeOptions.url ?? '')) {
      const id = String((request.params as Record<string, unknown>).id ?? '').toLowerCase()
      if (!UUID_RE.test(id) || !scope.has(id)) return reply.sendError(404, 'errors.notFound.message', { back: { href: '/admin', labelKey: 'admin.nav.campaigns' } })
      granted = true
    }
    request.user = { ...request.user, role: effectiveRole(request.user.role, scope, granted) }
    if (!roleAtLeast(request.user.role, access)) return reply.sendError(403, 'admin.errors.forbidden', { back: { href: '/admin', labelKey: 'admin.nav.campaigns' } })
    if (!request.user.twoFactor && !request.routeOptions.config.twoFactorSetup && await twoFactor.required()) {
      if (request.method === 'GET' || request.method === 'HEAD') return reply.redirect('/admin/account', 303)
      return reply.sendError(403, 'admin.account.twoFactor.required', { back: { href: '/admin/account', labelKey: 'admin.account.title' } })
    }
    // An event stream stays open for hours: it is ended as soon as its session is (sign-out, revocation, role change).
    if (request.headers.accept?.includes('text/event-stream')) {
      const forget = watch.watch(request.user.sessionId, () => reply.raw.destroy())
      request.raw.once('close', forget)
    }
  })

  // The CSRF token travels in the body: checked once it is parsed, before any handler runs.
  app.addHook('preHandler', async (request, reply) => {
    if (request.method === 'GET' || request.method === 'HEAD') return
    const body = request.body as Record<string, unknown> | undefined
    // A multipart form (file upload) may carry its fields as { value } objects.
    const field = body?._csrf as unknown
    const token = (field && typeof field === 'object' && 'value' in field ? (field as { value: unknown }).value : field) ?? request.headers['x-csrf-token']
    if (!auth.csrfValid(binding(request), token)) return reply.sendError(403, 'admin.errors.csrf', { back: { href: formPage(request), labelKey: 'admin.errors.reload' } })
  })
}, { name: 'admin-scope', dependencies: ['admin-root'] })
