import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { preferredEncoding, type Asset, type AssetStore } from '../infra/assets.ts'

// A hashed name never changes content: kept a year and never asked again (RFC 8246, immutable; checked 2026-12-04).
const IMMUTABLE = 'public, max-age=31536000, immutable'
// An unhashed name (an old page's link, a returning visitor after an upgrade): short, then revalidated by ETag.
const SHORT = 'public, max-age=3600'

/** Sends an asset with its caching headers, in the best encoding the client takes; 304 when its ETag matches. */
function sendAsset (request: FastifyRequest, reply: FastifyReply, asset: Asset, cacheControl: string): FastifyReply {
  reply.header('cache-control', cacheControl).header('etag', asset.etag).header('vary', 'accept-encoding').type(asset.type)
  if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send()
  const encoding = preferredEncoding(request.headers['accept-encoding'])
  const body = encoding === 'br' ? asset.br : encoding === 'gzip' ? asset.gzip : null
  if (body) return reply.header('content-encoding', encoding!).send(body)
  return reply.send(asset.body)
}

/**
 * Static files from the asset store: /assets/<hashed name> for a year, the plain names for an hour; /favicon.ico,
 * /robots.txt, and /embed.js (the widget's loader, which other sites load: a cross-origin resource).
 */
export async function assetRoutes (app: FastifyInstance, { assets }: { assets: AssetStore }): Promise<void> {
  app.get('/assets/*', (request, reply) => {
    const path = (request.params as { '*': string })['*']
    const found = assets.find(path)
    if (!found) return reply.sendError(404, 'errors.notFound.message')
    return sendAsset(request, reply, found.asset, found.hashed ? IMMUTABLE : SHORT)
  })

  const favicon = assets.find('favicon.ico')!.asset
  app.get('/favicon.ico', (request, reply) => sendAsset(request, reply, favicon, 'public, max-age=86400'))

  // Partners' pages load it from their own site: it must be readable cross-origin (helmet's CORP says same-origin).
  const embed = assets.find('js/embed.js')!.asset
  app.get('/embed.js', (request, reply) => {
    reply.header('cross-origin-resource-policy', 'cross-origin')
    return sendAsset(request, reply, embed, SHORT)
  })

  // Robots Exclusion Protocol, RFC 9309 (`*` in a path; https://www.rfc-editor.org/rfc/rfc9309; checked 2026-12-04):
  // public pages open; the admin, partners' private pages and supporters' withdrawal links closed.
  const robots = ['User-agent: *', 'Allow: /', 'Disallow: /admin', 'Disallow: /p/', 'Disallow: /c/*/withdraw/', ''].join('\n')
  app.get('/robots.txt', (_request, reply) => reply.type('text/plain; charset=utf-8').header('cache-control', 'public, max-age=86400').send(robots))
}
