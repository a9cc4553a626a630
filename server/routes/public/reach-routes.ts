import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Deps } from '../../deps.ts'
import { originAllowed } from '../../domain/network-address.ts'
import { parseInstance } from '../../domain/intents.ts'
import { campaignUrl, isAttributionCode, queryOf } from '../../domain/reach-links.ts'
import { newLinkCode } from '../../services/action-service.ts'
import { isShareNetwork, shareText, shareUrl, shareVariant } from '../../domain/share-links.ts'
import { buildShareKit } from '../../domain/share-kit.ts'
import type { CampaignData } from '../../repos/campaign-repo.ts'
import { campaignView, textsFor } from './campaign-page.ts'
import type { PartnerPageView, ReachView, ThanksPageView } from './view-models.ts'

type SlugRequest = FastifyRequest<{ Params: { slug: string, code?: string, network?: string }, Querystring: Record<string, string | undefined> }>

const SLUG_RE = /^[a-z0-9][a-z0-9-]{0,79}$/

/** Reach on the supporter's side: a supporter link's count, share clicks (beacon and redirect), a partner's private page. */
export async function reachRoutes (app: FastifyInstance, { deps }: { deps: Deps }): Promise<void> {
  const { catalog, i18n, rateLimiter, reach, partners } = deps
  const publicUrl = deps.config.publicUrl
  const ownOrigins = new Set([new URL(publicUrl).origin.toLowerCase()])

  async function visible (request: SlugRequest, reply: FastifyReply): Promise<CampaignData | null> {
    const slug = request.params.slug
    const c = SLUG_RE.test(slug) ? await catalog.get(slug) : null
    if (!c || c.status === 'draft') {
      await reply.sendError(404, 'errors.notFound.message', { back: { href: '/', labelKey: 'errors.home' } })
      return null
    }
    return c
  }

  // "N people joined through your link": the counters' from dimension (exact once tallied; the page polls it).
  app.get('/c/:slug/from/:code.json', async (request: SlugRequest, reply) => {
    const c = await visible(request, reply)
    if (!c) return reply
    const code = request.params.code ?? ''
    if (!isAttributionCode(code)) return reply.code(400).send({ error: i18n.translator(request.locale(c.defaultLocale)).t('errors.ref') })
    const count = await reach.fromCount(c.id, code)
    return reply.header('cache-control', 'no-cache').send({ code, count })
  })

  // A share click, told by the thank-you page's script (sendBeacon): the network and the wording sent, nothing else.
  app.post('/c/:slug/shared', { bodyLimit: 1024 }, async (request: SlugRequest, reply) => {
    const c = await visible(request, reply)
    if (!c) return reply
    const site = request.headers['sec-fetch-site']
    if (!originAllowed({ site: Array.isArray(site) ? site[0] : site, origin: request.headers.origin }, ownOrigins)) {
      return reply.code(403).send({ error: i18n.translator(request.locale(c.defaultLocale)).t('errors.crossSite.message') })
    }
    const body = (request.body && typeof request.body === 'object' ? request.body : {}) as Record<string, unknown>
    if (!isShareNetwork(body.network)) return reply.code(400).send({ error: i18n.translator(request.locale(c.defaultLocale)).t('errors.badRequest.message') })
    const limit = await rateLimiter.hit('shared', request.ip, c.actionRateLimit)
    if (!limit.allowed) return reply.code(429).header('retry-after', String(limit.retryAfterSeconds)).send({ error: i18n.translator(request.locale(c.defaultLocale)).t('errors.rateLimited.message') })
    await reach.recordShare(c.id, body.network, shareVariant(body.m))
    return reply.code(204).header('cache-control', 'no-store').send()
  })

  // A share button without JavaScript: counts the click, then 303 to the network's share address built here from
  // fixed bases (nothing from the query but the attribution codes, the language and a checked Mastodon instance).
  app.get('/c/:slug/share/:network', async (request: SlugRequest, reply) => {
    const c = await visible(request, reply)
    if (!c) return reply
    const network = request.params.network
    const q = request.query
    const locale = q.lang && c.texts[q.lang] ? q.lang : request.locale(c.defaultLocale)
    const back = { href: `/c/${c.slug}/thanks?lang=${locale}`, labelKey: 'errors.back' }
    if (!isShareNetwork(network) || network === 'copy') return reply.sendError(404, 'errors.notFound.message', { fallbackLocale: c.defaultLocale, back })
    const code = (v: string | undefined): string | undefined => v && isAttributionCode(v) ? v : undefined
    const instance = network === 'mastodon' ? parseInstance(q.instance) : null
    if (network === 'mastodon' && !instance) return reply.sendError(400, 'errors.instance', { fallbackLocale: c.defaultLocale, back })
    const texts = textsFor(c, locale)
    const link = campaignUrl(publicUrl, c.slug, { lang: locale, ref: code(q.ref), from: code(q.from) })
    const url = shareUrl(network, { text: shareText(texts.shareText || texts.title, texts.hashtags, link), link, subject: texts.title, instance })!
    // Past the limit the supporter still goes to the network; the click is just not counted.
    const limit = await rateLimiter.hit('shared', request.ip, c.actionRateLimit)
    if (limit.allowed) await reach.recordShare(c.id, network, shareVariant(q.m))
    return reply.code(303).header('location', url).header('cache-control', 'no-store').send()
  })

  // A partner's private stats: reached only by its random link (revoked or guessed: 404), never indexed, never
  // passing its address on to another site, no cookie.
  // Its referrer policy is set after the security plugin's (route hooks run after the app's): the token never leaves.
  const noReferrer = (_request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (err: null, payload: unknown) => void) => {
    reply.header('referrer-policy', 'no-referrer')
    done(null, payload)
  }
  app.get<{ Params: { token: string } }>('/p/:token', { onSend: noReferrer }, async (request, reply) => {
    const partner = await partners.byToken(request.params.token)
    const c = partner ? await deps.campaignRepo.findById(partner.campaignId) : null
    reply.header('x-robots-tag', 'noindex, nofollow').header('cache-control', 'no-store')
    if (!partner || !c) return reply.sendError(404, 'errors.notFound.message', { back: { href: '/', labelKey: 'errors.home' } })
    const tr = i18n.translator(request.locale(c.defaultLocale))
    const texts = textsFor(c, tr.locale)
    const stats = await partners.stats(partner)
    const days = new Map<string, number>()
    const dayOf = new Intl.DateTimeFormat('en-CA', { timeZone: c.timeZone, year: 'numeric', month: '2-digit', day: '2-digit' })
    for (const h of stats.hours) {
      const day = dayOf.format(new Date(h.key))
      days.set(day, (days.get(day) ?? 0) + h.count)
    }
    const hourFormat = new Intl.DateTimeFormat(tr.locale, { timeZone: c.timeZone, day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' })
    const dayFormat = new Intl.DateTimeFormat(tr.locale, { timeZone: 'UTC', weekday: 'short', day: 'numeric', month: 'long' })
    const max = (list: Array<{ count: number }>) => Math.max(1, ...list.map((x) => x.count))
    const dayList = [...days].map(([key, count]) => ({ key, label: dayFormat.format(new Date(key + 'T00:00:00Z')), count }))
    const hourList = stats.hours.slice(-48).map((h) => ({ key: h.key, label: hourFormat.format(new Date(h.key)), count: h.count }))
    const view: PartnerPageView = {
      ...reply.pageBase(tr, { title: tr.t('partner.title', { name: partner.name, campaign: texts.title }) }),
      campaign: campaignView(c, tr.locale, campaignUrl(publicUrl, c.slug, { lang: tr.locale, ref: partner.code })),
      partner: { name: partner.name, code: partner.code, logo: partner.logo },
      stats: {
        total: stats.total,
        rank: stats.rank,
        partners: stats.partners,
        days: { max: max(dayList), list: dayList },
        hours: { max: max(hourList), list: hourList },
        targets: stats.targets.map((t) => ({ label: c.targetsById.get(t.key)?.name ?? tr.t('partner.formerTarget'), count: t.count })),
        channels: stats.channels.map((ch) => ({ label: tr.t(`networks.${ch.key}`), count: ch.count }))
      },
      kit: buildShareKit(publicUrl, c, partner.code)
    }
    return reply.type('text/html; charset=utf-8').view('public/partner.eta', view)
  })
}

/**
 * The thank-you page's reach: the supporter's own link (their code from the send's redirect, else one made now for a
 * browser without JavaScript; the page's script puts the browser's own code in its place), the partner code they
 * came with, and share buttons that go through the counting redirect with both.
 */
export async function thanksReach (deps: Pick<Deps, 'config' | 'reach'>, c: CampaignData, tr: { locale: string, t: (key: string) => string }, query: Record<string, string | undefined>): Promise<{ reach: ReachView, share: ThanksPageView['share'] }> {
  const given = query.link && isAttributionCode(query.link) ? query.link : null
  const code = given ?? newLinkCode()
  const ref = query.ref && isAttributionCode(query.ref) ? query.ref : ''
  const variant = shareVariant(query.m)
  const slug = encodeURIComponent(c.slug)
  const href = (network: string) => `/c/${slug}/share/${network}${queryOf({ lang: tr.locale, ref, from: code, m: variant })}`
  const share: ThanksPageView['share'] = (['x', 'bluesky', 'threads', 'whatsapp', 'telegram', 'facebook', 'email'] as const)
    .map((channel) => ({ channel, label: tr.t(`share.${channel}`), href: href(channel) }))
  return {
    reach: {
      code,
      ref,
      variant,
      link: campaignUrl(deps.config.publicUrl, c.slug, { lang: tr.locale, ref: ref || undefined, from: code }),
      count: given ? await deps.reach.fromCount(c.id, code) : 0,
      mastodonAction: `/c/${slug}/share/mastodon`
    },
    share
  }
}
