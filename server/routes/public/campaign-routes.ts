import { randomUUID } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Deps } from '../../deps.ts'
import { ticked } from '../../domain/bottle-rules.ts'
import { previewTokenValid } from '../../domain/campaign-rules.ts'
import type { CampaignData } from '../../repos/campaign-repo.ts'
import type { ActInput } from '../../services/action-service.ts'
import { buildCampaignPage, campaignView, phaseOf, progressView, sanitizeRef, selectForPage, textsFor, type FormEcho, type PageQuery } from './campaign-page.ts'
import { KEY_MARK, NONCE_MARK, acceptsDeflate, createPageCache } from './page-cache.ts'
import type { HomePageView, ThanksPageView } from './view-models.ts'
import { openEventStream } from '../event-stream.ts'

type SlugRequest = FastifyRequest<{ Params: { slug: string }, Querystring: Record<string, string | undefined> }>

const SLUG_RE = /^[a-z0-9][a-z0-9-]{0,79}$/
const SHARE_BASES = {
  x: (text: string) => `https://x.com/intent/post?text=${encodeURIComponent(text)}`,
  bluesky: (text: string) => `https://bsky.app/intent/compose?text=${encodeURIComponent(text)}`,
  threads: (text: string) => `https://www.threads.net/intent/post?text=${encodeURIComponent(text)}`,
  facebook: (_text: string, link: string) => `https://www.facebook.com/sharer/sharer.php?u=${encodeURIComponent(link)}`,
  whatsapp: (text: string) => `https://wa.me/?text=${encodeURIComponent(text)}`,
  email: (text: string, _link: string, subject: string) => `mailto:?subject=${encodeURIComponent(subject)}&body=${encodeURIComponent(text)}`
} as const

/** The supporter's side: home, campaign page, the send, thanks, live progress. */
export async function campaignRoutes (app: FastifyInstance, { deps }: { deps: Deps }): Promise<void> {
  const { catalog, progressHub, actionService, rateLimiter, i18n } = deps

  /**
   * The campaign of :slug if the public may see it (a draft only with its preview token, where the caller allows
   * previews); otherwise replies 404 and returns null.
   */
  async function publicCampaign (request: SlugRequest, reply: FastifyReply, allowPreview = false): Promise<CampaignData | null> {
    const slug = request.params.slug
    const c = SLUG_RE.test(slug) ? await catalog.get(slug) : null
    if (!c || (c.status === 'draft' && !(allowPreview && previewTokenValid(deps.config.secret, c.id, request.query.preview)))) {
      await reply.sendError(404, 'errors.notFound.message', { back: { href: '/', labelKey: 'errors.home' } })
      return null
    }
    return c
  }

  let home: { at: number, list: CampaignData[] } | null = null
  app.get('/', async (request, reply) => {
    if (!home || Date.now() - home.at > 5_000) home = { at: Date.now(), list: await catalog.listPublic() }
    const tr = i18n.translator(request.locale())
    const live = home.list.filter((c) => c.status === 'live')
    const campaigns = await Promise.all(live.map(async (c) => {
      const texts = textsFor(c, tr.locale)
      return { slug: c.slug, title: texts.title, pitch: texts.pitch, hashtags: texts.hashtags, progress: progressView((await progressHub.get(c.id))?.progress, c) }
    }))
    const view: HomePageView = { ...reply.pageBase(tr, { title: tr.t('home.title'), description: tr.t('home.description'), canonicalUrl: `${deps.config.publicUrl}/` }), campaigns }
    return reply.type('text/html; charset=utf-8').view('public/home.eta', view)
  })

  const pages = createPageCache()

  async function renderPage (request: SlugRequest, reply: FastifyReply, c: CampaignData, echo?: FormEcho, error?: string | null, locale?: string): Promise<FastifyReply> {
    const tr = i18n.translator(locale ?? request.locale(c.defaultLocale))
    const texts = textsFor(c, tr.locale)
    const link = actionService.campaignLink(c)
    const progress = (await progressHub.get(c.id))?.progress
    const query = request.query as PageQuery
    const selection = selectForPage(c, progress, tr.locale, query, echo)
    // From the status and the clock: a page cached while open must not outlive the closing time.
    const phase = phaseOf(actionService.closedReason(c))
    const view = (nonce: string, key: string) => buildCampaignPage({
      base: reply.pageBase(tr, { title: texts.title, description: texts.pitch, canonicalUrl: link, nonce, path: echo ? `/c/${c.slug}` : undefined }),
      tr,
      campaign: c,
      progress,
      link,
      selection,
      key,
      ref: sanitizeRef(echo?.ref ?? query.ref),
      echo,
      error,
      phase
    })
    // The page holds a one-time idempotency key: never serve it from a shared cache.
    reply.header('cache-control', 'no-store').type('text/html; charset=utf-8')
    if (phase === 'preview') reply.header('x-robots-tag', 'noindex, nofollow')
    if (echo) {
      // A form shown again after an error is the supporter's own: rendered for them alone, with their key.
      const key = echo.key && /^[0-9a-f-]{36}$/i.test(echo.key) ? echo.key : randomUUID()
      return reply.view('public/campaign.eta', view(reply.pageNonce(), key))
    }
    const nonce = reply.pageNonce()
    const deflate = acceptsDeflate(request.headers['accept-encoding'])
    // An announced change gives the campaign a new object (deps); the phase can change with the clock alone (key).
    const page = await pages.render(`${c.id}|${phase}|${tr.locale}|${selection.messageId}|${request.url}`, [c, progress], () => app.view('public/campaign.eta', view(NONCE_MARK, KEY_MARK)), nonce, deflate)
    reply.header('vary', 'accept-encoding')
    if (page.deflated) reply.header('content-encoding', 'deflate')
    return reply.send(page.body)
  }

  app.get('/c/:slug', async (request: SlugRequest, reply) => {
    const c = await publicCampaign(request, reply, true)
    if (!c) return reply
    return renderPage(request, reply, c)
  })

  app.post('/c/:slug/act', { bodyLimit: 32 * 1024 }, async (request: SlugRequest, reply) => {
    const limit = await rateLimiter.hit('act', request.ip)
    if (!limit.allowed) {
      reply.header('retry-after', String(limit.retryAfterSeconds))
      return reply.sendError(429, 'errors.rateLimited.message', { back: { href: `/c/${request.params.slug}`, labelKey: 'errors.back' } })
    }
    const c = await publicCampaign(request, reply)
    if (!c) return reply
    const body = (request.body && typeof request.body === 'object' ? request.body : {}) as ActInput
    const result = await actionService.act(c, body)
    if (!result.ok) {
      if (result.status === 409 || request.wantsJson()) {
        return reply.sendError(result.status, result.error, {
          vars: localiseVars(result.vars, request.locale(c.defaultLocale)),
          fallbackLocale: c.defaultLocale,
          back: { href: `/c/${c.slug}`, labelKey: 'errors.back' }
        })
      }
      const locale = localeOfMessage(c, body.message) ?? request.locale(c.defaultLocale)
      const tr = i18n.translator(locale)
      reply.code(400)
      return renderPage(request, reply, c, echoOf(body), tr.t(result.error, localiseVars(result.vars, locale)), locale)
    }
    if (request.wantsJson()) {
      const known = progressHub.peekTotal(c.id) ?? 0
      // A network send with its copy in the bottle counts two actions (see README, "How a send is counted").
      return reply.code(201).send({ id: result.id, intentUrl: result.intentUrl, total: known + result.counted })
    }
    return reply.code(303).header('location', result.intentUrl).header('cache-control', 'no-store').send()
  })

  function localiseVars (vars: Record<string, string | number> | undefined, locale: string): Record<string, string | number> | undefined {
    if (!vars || typeof vars.network !== 'string') return vars
    return { ...vars, network: i18n.translator(locale).t(`networks.${vars.network}`) }
  }

  app.get('/c/:slug/thanks', async (request: SlugRequest, reply) => {
    const c = await publicCampaign(request, reply)
    if (!c) return reply
    const tr = i18n.translator(request.locale(c.defaultLocale))
    const texts = textsFor(c, tr.locale)
    const link = actionService.campaignLink(c)
    const shareText = `${texts.shareText || texts.title} ${texts.hashtags.map((h) => '#' + h).join(' ')} ${link}`.replace(/\s+/g, ' ').trim()
    const share: ThanksPageView['share'] = (['x', 'bluesky', 'threads', 'facebook', 'whatsapp', 'email'] as const).map((channel) => ({
      channel, label: tr.t(`share.${channel}`), href: SHARE_BASES[channel](shareText, link, texts.title)
    }))
    const via = typeof request.query.via === 'string' && c.channels.includes(request.query.via as never) ? request.query.via : ''
    const view: ThanksPageView = {
      ...reply.pageBase(tr, { title: texts.title, description: texts.pitch, canonicalUrl: link }),
      campaign: campaignView(c, tr.locale, link),
      progress: progressView((await progressHub.get(c.id))?.progress, c),
      share,
      via
    }
    return reply.type('text/html; charset=utf-8').view('public/thanks.eta', view)
  })

  app.get('/c/:slug/progress.json', async (request: SlugRequest, reply) => {
    const c = await publicCampaign(request, reply)
    if (!c) return reply
    const entry = await progressHub.get(c.id)
    if (!entry) return reply.sendError(404, 'errors.notFound.message')
    return reply.type('application/json; charset=utf-8').header('cache-control', 'no-cache').send(entry.json)
  })

  app.get('/c/:slug/events', async (request: SlugRequest, reply) => {
    const c = await publicCampaign(request, reply)
    if (!c) return reply
    const entry = await progressHub.get(c.id)
    if (!entry) return reply.sendError(404, 'errors.notFound.message')
    // Absolute totals in every event: a reader dropped for falling behind reconnects and loses nothing.
    const unsubscribe = progressHub.subscribe(c.id, openEventStream(reply, entry.frame))
    request.raw.once('close', unsubscribe)
  })
}

function echoOf (body: ActInput): FormEcho {
  const s = (v: unknown): string | undefined => typeof v === 'string' ? v.slice(0, 5000) : undefined
  return {
    target: s(body.target),
    message: s(body.message),
    text: s(body.text),
    instance: s(body.instance),
    channel: s(body.channel),
    ref: s(body.ref),
    key: s(body.key),
    signatureName: s(body.signature_name)?.slice(0, 200),
    signatureTown: s(body.signature_town)?.slice(0, 200),
    publishConsent: ticked(body.publish_consent),
    bottleCopy: ticked(body.bottle_copy)
  }
}

function localeOfMessage (c: CampaignData, message: unknown): string | undefined {
  return typeof message === 'string' ? c.messagesById.get(message)?.locale : undefined
}
