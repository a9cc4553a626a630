import { fileURLToPath } from 'node:url'
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import formbody from '@fastify/formbody'
import type { Deps } from './deps.ts'
import { isDatabaseUnavailable } from './db/client.ts'
import { networksBundle } from './infra/networks-bundle.ts'
import { loadAssets } from './infra/assets.ts'
import { adminRoot, adminScope } from './plugins/admin.ts'
import compression from './plugins/compression.ts'
import errors from './plugins/errors.ts'
import { lazyChildLogger } from './plugins/lazy-logger.ts'
import pages from './plugins/pages.ts'
import security from './plugins/security.ts'
import views from './plugins/views.ts'
import { auditRoutes } from './routes/admin/audit-routes.ts'
import { accountRoutes } from './routes/admin/account-routes.ts'
import { authRoutes } from './routes/admin/auth-routes.ts'
import { exportRoutes } from './routes/admin/export-routes.ts'
import { queueRoutes } from './routes/admin/queue-routes.ts'
import { teamRoutes } from './routes/admin/team-routes.ts'
import { adminCampaignRoutes } from './routes/admin/campaign-routes.ts'
import { deliveryRoutes } from './routes/admin/delivery-routes.ts'
import { dashboardRoutes } from './routes/admin/dashboard-routes.ts'
import { defenceRoutes } from './routes/admin/defence-routes.ts'
import { messageRoutes } from './routes/admin/message-routes.ts'
import { targetRoutes } from './routes/admin/target-routes.ts'
import { limitEventStreams } from './routes/event-stream.ts'
import { healthRoutes } from './routes/health-routes.ts'
import { assetRoutes } from './routes/asset-routes.ts'
import { campaignRoutes } from './routes/public/campaign-routes.ts'
import { mediaRoutes } from './routes/public/media-routes.ts'
import { wallRoutes } from './routes/public/wall-routes.ts'
import { cardRoutes } from './routes/public/card-routes.ts'
import { bottleRoutes } from './routes/admin/bottle-routes.ts'
import { listeningRoutes } from './routes/admin/listening-routes.ts'
import { reachRoutes } from './routes/public/reach-routes.ts'
import { partnerRoutes } from './routes/admin/partner-routes.ts'
import { shareKitRoutes } from './routes/admin/share-kit-routes.ts'
import { privacyRoutes } from './routes/public/privacy-routes.ts'
import { retentionRoutes } from './routes/admin/retention-routes.ts'

const PUBLIC = fileURLToPath(new URL('../public', import.meta.url))

/** Builds the web application over the dependency graph; it does not listen (main.ts does). */
export interface AppOptions { loggerInstance?: FastifyBaseLogger, disableRequestLogging?: boolean }

export async function buildApp (deps: Deps, opts: AppOptions = {}): Promise<FastifyInstance> {
  const { trustProxy } = deps.config
  const app = Fastify({
    loggerInstance: opts.loggerInstance,
    logController: new LogController({ disableRequestLogging: opts.disableRequestLogging ?? false }),
    childLoggerFactory: lazyChildLogger,
    // Behind a load balancer the client address comes from X-Forwarded-For (rate limits are per address): read
    // through a known number of proxies or from known ones only, never the left-most entry a client can write.
    // Fastify 5.12 ignores a plain number (it trusts nothing, so every client would share the proxy's address):
    // a hop count is given as its function, entry 0 being the socket's peer.
    trustProxy: typeof trustProxy === 'number' ? (_address: string, hop: number) => hop < trustProxy : trustProxy,
    bodyLimit: 64 * 1024,
    // A request (headers and body) must arrive within the timeout: a body trickled a byte at a time is cut. Node checks
    // open requests every connectionsCheckingInterval, so that interval is a fraction of the timeout.
    requestTimeout: deps.config.requestTimeoutMs,
    http: {
      headersTimeout: Math.min(60_000, deps.config.requestTimeoutMs),
      connectionsCheckingInterval: Math.min(30_000, Math.max(50, Math.floor(deps.config.requestTimeoutMs / 4)))
    },
    // While stopping, the errors plugin answers in the page's language and format, with Retry-After.
    return503OnClosing: false
  })

  // Static files, named by their content's hash and compressed once here; templates get their hashed URLs. The
  // networks' rules for the page's counter are the server's own module, bundled once at start (not per request).
  const bundle = await networksBundle()
  const assets = await loadAssets(PUBLIC, [{ path: 'js/networks.js', body: Buffer.from(bundle.code) }])

  // External and cross-cutting plugins, in order.
  await app.register(security)
  await app.register(compression)
  await app.register(formbody, { bodyLimit: 32 * 1024 })
  await app.register(views, { assets })
  await app.register(pages, { i18n: deps.i18n, publicUrl: deps.config.publicUrl })
  await app.register(errors)
  await app.register(adminRoot, { i18n: deps.i18n })
  await app.register(assetRoutes, { assets })

  app.setErrorHandler(async (error: Error & { statusCode?: number, validation?: unknown }, request, reply) => {
    if (isDatabaseUnavailable(error)) {
      // The database is away: the request may be tried again, and one log line per interval says so.
      deps.outageLog('postgres-request', `PostgreSQL unavailable, answering 503: ${error.message}`)
      return reply.sendUnavailable()
    }
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500
    if (status === 500) request.log.error({ err: error }, 'unhandled error')
    if (status === 413) return reply.sendError(413, 'errors.tooLarge')
    if (status === 415) return reply.sendError(415, 'errors.badRequest.message')
    if (status === 404) return reply.sendError(404, 'errors.notFound.message', { back: { href: '/', labelKey: 'errors.home' } })
    if (status === 500) return reply.sendError(500, 'errors.server.message')
    return reply.sendError(status, 'errors.badRequest.message')
  })
  app.setNotFoundHandler(async (request, reply) => {
    // An unknown /admin address answers in the admin's language too (it ran none of the admin's hooks).
    request.settledLocale ??= app.adminLocaleOf(request)
    return reply.sendError(404, 'errors.notFound.message', { back: { href: '/', labelKey: 'errors.home' } })
  })

  // Application routes.
  limitEventStreams(app, deps.streamLimiter)
  await app.register(healthRoutes, { deps })
  await app.register(campaignRoutes, { deps })
  await app.register(mediaRoutes, { deps })
  await app.register(wallRoutes, { deps })
  await app.register(cardRoutes, { deps })
  await app.register(reachRoutes, { deps })
  await app.register(privacyRoutes, { deps })

  // The admin in its own context: its cookies, guard and CSRF hooks run for /admin routes only.
  await app.register(async (admin) => {
    await admin.register(adminScope, { auth: deps.auth, access: deps.access, twoFactor: deps.twoFactor, watch: deps.sessionWatch, i18n: deps.i18n, secure: deps.config.publicUrl.startsWith('https:') })
    for (const routes of [authRoutes, accountRoutes, teamRoutes, auditRoutes, adminCampaignRoutes, dashboardRoutes, targetRoutes, messageRoutes, deliveryRoutes, exportRoutes, queueRoutes, bottleRoutes, listeningRoutes, partnerRoutes, shareKitRoutes, defenceRoutes, retentionRoutes]) {
      await admin.register(routes, { deps })
    }
  })

  return app
}
