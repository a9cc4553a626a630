import { createHash } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import QRCode from 'qrcode'
import type { Deps } from '../../deps.ts'
import { campaignUrl, isAttributionCode } from '../../domain/reach-links.ts'
import { cardFormatOf } from '../../domain/share-card.ts'
import type { CampaignData } from '../../repos/campaign-repo.ts'
import type { Card } from '../../services/card-service.ts'
import { securityHeaderList } from '../../plugins/security.ts'

type SlugRequest = FastifyRequest<{ Params: { slug: string }, Querystring: Record<string, string | string[] | undefined> }>

const SLUG_RE = /^[a-z0-9][a-z0-9-]{0,79}$/
const IMMUTABLE = 'public, max-age=31536000, immutable'
// An unversioned card changes with the count: networks and browsers may keep it a few minutes.
const SHORT = 'public, max-age=300'

/** Whether an If-None-Match header names this ETag (weak or strong, or *). */
function matches (header: string | undefined, etag: string): boolean {
  if (!header) return false
  return header.split(',').some((t) => {
    const tag = t.trim().replace(/^W\//, '')
    return tag === '*' || tag === etag
  })
}

/** The live share cards and the QR codes of the campaign link. */
export async function cardRoutes (app: FastifyInstance, { deps }: { deps: Deps }): Promise<void> {
  const { catalog, progressHub, cards, i18n } = deps

  async function campaignOf (request: SlugRequest, reply: FastifyReply): Promise<CampaignData | null> {
    const slug = request.params.slug
    const c = SLUG_RE.test(slug) ? (catalog.peek(slug) ?? await catalog.get(slug)) : null
    if (!c || c.status === 'draft') {
      await reply.sendError(404, 'errors.notFound.message', { back: { href: '/', labelKey: 'errors.home' } })
      return null
    }
    return c
  }

  const one = (v: string | string[] | undefined): string | undefined => Array.isArray(v) ? undefined : v

  /**
   * Sends a card straight to Node with its headers as a flat list (the security plugin's, then the image's), as the
   * campaign page does: a cached card costs about a static file.
   */
  function sendCard (request: SlugRequest, reply: FastifyReply, card: Card): FastifyReply {
    const headers = securityHeaderList()
    // Long-lived only under the URL of this very version; any other (none, an old one) is today's card, short-lived.
    headers.push('etag', card.etag, 'cache-control', one(request.query.v) === card.version ? IMMUTABLE : SHORT, 'vary', 'accept-language')
    reply.hijack()
    if (matches(request.headers['if-none-match'], card.etag)) {
      reply.raw.writeHead(304, headers)
      reply.raw.end()
    } else {
      headers.push('content-type', 'image/png', 'content-length', String(card.png.length))
      reply.raw.writeHead(200, headers)
      reply.raw.end(card.png)
    }
    return reply
  }

  // The hot path: a card in memory is sent with no await; no hook runs before it, so it makes the stopping and URL checks itself.
  app.get('/c/:slug/card.png', { config: { guardsItself: true } }, (request: SlugRequest, reply) => {
    if (app.refused(request, reply)) return reply
    const slug = request.params.slug
    const c = SLUG_RE.test(slug) ? catalog.peek(slug) : undefined
    const progress = c && c.status !== 'draft' ? progressHub.peek(c.id)?.progress : undefined
    if (c && progress) {
      const format = cardFormatOf(request.query.format)
      const targetId = one(request.query.target)
      const target = targetId === undefined ? undefined : c.targetsById.get(targetId)
      const card = format && (targetId === undefined || target) ? cards.peek(c, progress, { locale: request.locale(c.defaultLocale), format, target }) : undefined
      if (card) return sendCard(request, reply, card)
    }
    return cardSlowly(request, reply)
  })

  /** A card not in memory yet (or a request to refuse): the campaign and progress read if need be, the card drawn or taken from Redis. */
  async function cardSlowly (request: SlugRequest, reply: FastifyReply): Promise<FastifyReply> {
    const c = await campaignOf(request, reply)
    if (!c) return reply
    const q = request.query
    const format = cardFormatOf(q.format)
    if (!format) return reply.sendError(400, 'errors.badRequest.message', { fallbackLocale: c.defaultLocale })
    const targetId = one(q.target)
    const target = targetId !== undefined ? c.targetsById.get(targetId) : undefined
    if (targetId !== undefined && !target) return reply.sendError(404, 'errors.notFound.message', { fallbackLocale: c.defaultLocale })
    const progress = (progressHub.peek(c.id) ?? await progressHub.get(c.id))?.progress
    return sendCard(request, reply, await cards.card(c, progress, { locale: request.locale(c.defaultLocale), format, target }))
  }

  // QR codes are drawn once per link and type; the links are few (a campaign, its languages, its flyers' codes).
  const qrCache = new Map<string, { body: Buffer, etag: string }>()
  async function qr (url: string, type: 'svg' | 'png'): Promise<{ body: Buffer, etag: string }> {
    const key = `${type} ${url}`
    let hit = qrCache.get(key)
    if (!hit) {
      // Level M (15 % of the code may be lost: a creased flyer), the standard 4-module quiet zone, dark sea on white.
      const options = { errorCorrectionLevel: 'M' as const, margin: 4, color: { dark: '#062a30', light: '#ffffff' } }
      const body = type === 'svg'
        ? Buffer.from(await QRCode.toString(url, { ...options, type: 'svg', width: 512 }))
        : await QRCode.toBuffer(url, { ...options, type: 'png', width: 1024 })
      hit = { body, etag: `"${createHash('sha256').update(key).digest('base64url').slice(0, 16)}"` }
      if (qrCache.size >= 1000) qrCache.delete(qrCache.keys().next().value!)
      qrCache.set(key, hit)
    }
    return hit
  }

  for (const type of ['svg', 'png'] as const) {
    app.get(`/c/:slug/qr.${type}`, async (request: SlugRequest, reply) => {
      const c = await campaignOf(request, reply)
      if (!c) return reply
      const ref = one(request.query.ref)
      const lang = one(request.query.lang)
      // The code goes on paper: a link that would not work is refused rather than printed.
      if ((ref !== undefined && !isAttributionCode(ref)) || (lang !== undefined && !(lang in c.texts) && !i18n.locales.includes(lang))) {
        return reply.sendError(400, 'errors.badRequest.message', { fallbackLocale: c.defaultLocale })
      }
      const code = await qr(campaignUrl(deps.config.publicUrl, c.slug, { lang, ref }), type)
      reply.header('etag', code.etag)
        .header('cache-control', 'public, max-age=86400')
        .header('content-type', type === 'svg' ? 'image/svg+xml; charset=utf-8' : 'image/png')
      if (type === 'svg') reply.header('content-disposition', `inline; filename="${c.slug}-qr.svg"`)
      if (matches(request.headers['if-none-match'], code.etag)) return reply.code(304).send()
      return reply.send(code.body)
    })
  }
}
