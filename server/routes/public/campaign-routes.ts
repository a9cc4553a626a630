import { randomUUID } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Deps } from '../../deps.ts'
import { ticked } from '../../domain/bottle-rules.ts'
import { withoutControlChars } from '../../domain/input-rules.ts'
import { isDatabaseUnavailable } from '../../db/client.ts'
import { previewTokenValid } from '../../domain/campaign-rules.ts'
import { originAllowed } from '../../domain/network-address.ts'
import type { CampaignData } from '../../repos/campaign-repo.ts'
import type { ActInput } from '../../services/action-service.ts'
import { ASKED_CHANNELS } from '../../services/post-answer-service.ts'
import type { Channel } from '../../db/schema.ts'
import { buildCampaignPage, campaignView, phaseOf, progressView, sanitizeRef, selectForPage, textsFor, type FormEcho, type PageQuery } from './campaign-page.ts'
import { KEY_MARK, NONCE_MARK, QUESTION_MARK, TOKEN_MARK, acceptsDeflate, createPageCache, type CachedPage } from './page-cache.ts'
import type { CampaignPhase, EmbedThanksView, HomePageView, ThanksPageView } from './view-models.ts'
import { previewMeta } from './previews.ts'
import { campaignUrl, embedPath } from '../../domain/reach-links.ts'
import { openEventStream } from '../event-stream.ts'
import { thanksReach } from './reach-routes.ts'
import { cspWithNonce, embedCsp, embedHeaderList, nextNonce, securityHeaderList } from '../../plugins/security.ts'
import { frameAncestors } from '../../domain/embed-rules.ts'
import { RETRY_AFTER_SECONDS } from '../../plugins/errors.ts'
import { WITHDRAW_TOKEN_RE } from '../../domain/privacy-rules.ts'
import { noReferrer } from './privacy-routes.ts'

type SlugRequest = FastifyRequest<{ Params: { slug: string }, Querystring: Record<string, string | undefined> }>

const SLUG_RE = /^[a-z0-9][a-z0-9-]{0,79}$/

/** The supporter's side: home, campaign page, the send, thanks, live progress. */
export async function campaignRoutes (app: FastifyInstance, { deps }: { deps: Deps }): Promise<void> {
  const { catalog, progressHub, actionService, rateLimiter, i18n, challenge } = deps

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

  // The query fields a campaign page reads; the rest of a URL (utm_…, fbclid…) changes nothing on the page.
  const pageQuery = (query: Record<string, string | undefined>, phase: CampaignPhase): PageQuery & { preview?: string } => ({
    country: typeof query.country === 'string' ? query.country : undefined,
    target: typeof query.target === 'string' ? query.target : undefined,
    message: typeof query.message === 'string' ? query.message : undefined,
    ref: sanitizeRef(query.ref) || undefined,
    from: sanitizeRef(query.from) || undefined,
    preview: phase === 'preview' && typeof query.preview === 'string' ? query.preview : undefined
  })

  // One cache slot per campaign, phase, language, page query and challenge (phase and challenge can change with the clock alone).
  const slotKey = (c: CampaignData, phase: CampaignPhase, locale: string, q: PageQuery): string =>
    `${c.id}|${phase}|${locale}|${q.country ?? ''}|${q.target ?? ''}|${q.message ?? ''}|${q.ref ?? ''}|${q.from ?? ''}|${challenge.active(c) ? 'challenge' : ''}`

  /**
   * Sends a cached page with a fresh nonce and idempotency key. The response is written straight to Node with its
   * headers as a flat list (the security plugin's, then the page's): on the hottest route that costs a fifth less
   * than Fastify's send, which hands Node an object of ~20 headers.
   */
  function sendPage (request: SlugRequest, reply: FastifyReply, page: CachedPage, phase: CampaignPhase, ancestors?: string): void {
    const nonce = nextNonce()
    const view = pages.serve(page, nonce, acceptsDeflate(request.headers['accept-encoding']), challenge.question)
    const headers = pageHeaders(nonce, view.body.length, view.deflated, phase === 'preview', ancestors)
    reply.hijack()
    reply.raw.writeHead(200, headers)
    reply.raw.end(view.body)
  }

  async function renderPage (request: SlugRequest, reply: FastifyReply, c: CampaignData, echo?: FormEcho, error?: string | null, locale?: string, embed = false): Promise<FastifyReply> {
    const tr = i18n.translator(locale ?? request.campaignLocale(c))
    const texts = textsFor(c, tr.locale)
    const link = actionService.campaignLink(c)
    const progress = (await progressHub.get(c.id))?.progress
    // From the status and the clock: a page cached while open must not outlive the closing time.
    const phase = phaseOf(actionService.closedReason(c))
    const query = pageQuery(request.query, phase)
    const selection = selectForPage(c, progress, tr.locale, query, echo)
    // The page's own links (language switch) carry only what the page reads, whatever else the URL held.
    const search = new URLSearchParams(Object.entries(query).filter((e): e is [string, string] => e[1] !== undefined)).toString()
    const path = `/c/${c.slug}${embed ? '/embed' : ''}${search ? `?${search}` : ''}`
    const ref = sanitizeRef(echo?.ref ?? query.ref)
    // In the widget a send moves the frame to its own short thanks (the thank-you page itself may not be framed).
    const embedThanks = embed ? `${embedPath(c.slug, { lang: tr.locale, ref: ref || undefined })}&sent=` : undefined
    // The live card's version follows `progress`, one of the cached page's deps: a page outlives no card.
    const preview = previewMeta({ publicUrl: deps.config.publicUrl, cards: deps.cards, campaign: c, progress, tr })
    // Read once per campaign object (a partner change is announced, which gives the campaign a new one): no query per view.
    const [partner, board] = await Promise.all([deps.partners.lineFor(c, ref, tr.locale), deps.partners.board(c)])
    // With the challenge on, the form asks a question too (for supporters without JavaScript), fresh in every view.
    const asks = phase === 'open' && challenge.active(c)
    const view = (nonce: string, key: string, messageId: string, question: { text: string, token: string } | null) => buildCampaignPage({
      base: reply.pageBase(tr, { title: texts.title, ...preview, nonce, path: echo ? `/c/${c.slug}` : path, languages: c.languages }),
      tr,
      campaign: c,
      progress,
      link,
      selection: { ...selection, messageId },
      key,
      ref,
      from: sanitizeRef(echo?.from ?? query.from),
      partner,
      board,
      echo,
      error,
      phase,
      embedThanks,
      challenge: question
    })
    if (echo) {
      // A form shown again after an error is the supporter's own: rendered for them alone, with their key.
      const key = echo.key && /^[0-9a-f-]{36}$/i.test(echo.key) ? echo.key : randomUUID()
      reply.header('cache-control', 'no-store').type('text/html; charset=utf-8')
      if (phase === 'preview') reply.header('x-robots-tag', 'noindex, nofollow')
      const nonce = embed ? reply.framableNonce(ancestorsOf(c)) : reply.pageNonce()
      return reply.view('public/campaign.eta', view(nonce, key, selection.messageId, asks ? challenge.question() : null))
    }
    // An announced change gives the campaign a new object (deps): its slots are rendered again.
    const page = await pages.take((embed ? 'embed|' : '') + slotKey(c, phase, tr.locale, query), [c, progress], () => selection.rotation,
      (messageId) => app.view('public/campaign.eta', view(NONCE_MARK, KEY_MARK, messageId, asks ? { text: QUESTION_MARK, token: TOKEN_MARK } : null)))
    sendPage(request, reply, page, phase, embed ? ancestorsOf(c) : undefined)
    return reply
  }

  // The hot path: a page already rendered for this campaign, phase, language and query is sent with no await.
  // The hot path: no hook runs before it (see plugins/errors.ts), so it makes the stopping and URL checks itself.
  app.get('/c/:slug', { config: { guardsItself: true } }, (request: SlugRequest, reply) => {
    if (app.refused(request, reply)) return reply
    const slug = request.params.slug
    const c = SLUG_RE.test(slug) ? catalog.peek(slug) : undefined
    const progress = c && c.status !== 'draft' ? progressHub.peek(c.id)?.progress : undefined
    if (c && progress) {
      const locale = request.campaignLocale(c)
      const phase = phaseOf(actionService.closedReason(c))
      const page = pages.next(slotKey(c, phase, locale, pageQuery(request.query, phase)), [c, progress])
      if (page) return sendPage(request, reply, page, phase)
    }
    return publicCampaign(request, reply, true).then((found) => found ? renderPage(request, reply, found) : reply)
  })

  // The widget: the campaign page in its compact form, the one page other sites may frame (see embedHeaderList).
  // Cached like the campaign page; `?sent=<channel>` is the frame's short thanks after a send.
  app.get('/c/:slug/embed', { config: { guardsItself: true } }, (request: SlugRequest, reply) => {
    if (app.refused(request, reply)) return reply
    const slug = request.params.slug
    const c = SLUG_RE.test(slug) ? catalog.peek(slug) : undefined
    const progress = c && c.status !== 'draft' ? progressHub.peek(c.id)?.progress : undefined
    if (c && progress && request.query.sent === undefined) {
      const locale = request.campaignLocale(c)
      const phase = phaseOf(actionService.closedReason(c))
      const page = pages.next('embed|' + slotKey(c, phase, locale, pageQuery(request.query, phase)), [c, progress])
      if (page) return sendPage(request, reply, page, phase, ancestorsOf(c))
    }
    return publicCampaign(request, reply).then((found) => {
      if (!found) return reply
      if (request.query.sent === undefined) return renderPage(request, reply, found, undefined, null, undefined, true)
      return embedThanks(request, reply, found)
    })
  })

  async function embedThanks (request: SlugRequest, reply: FastifyReply, c: CampaignData): Promise<FastifyReply> {
    const tr = i18n.translator(request.campaignLocale(c))
    const link = actionService.campaignLink(c)
    const ref = sanitizeRef(request.query.ref)
    const sent = c.channels.includes(request.query.sent as Channel) ? request.query.sent! : ''
    const nonce = reply.framableNonce(ancestorsOf(c))
    const view: EmbedThanksView = {
      ...reply.pageBase(tr, { title: textsFor(c, tr.locale).title, nonce, path: embedPath(c.slug, { lang: tr.locale, ref: ref || undefined }) }),
      campaign: campaignView(c, tr.locale, link),
      progress: progressView((await progressHub.get(c.id))?.progress, c),
      sent,
      again: embedPath(c.slug, { lang: tr.locale, ref: ref || undefined }),
      thanks: `/c/${c.slug}/thanks?lang=${tr.locale}${ref ? `&ref=${ref}` : ''}`
    }
    return reply.header('cache-control', 'no-store').type('text/html; charset=utf-8').view('public/embed-thanks.eta', view)
  }

  // Pages we serve, and sites allowed to embed a campaign, may post a send; any other site may not (an auto-submitted
  // form would count a send the visitor never chose and bounce them through the Mastodon instance field).
  const sendOrigins = new Set([new URL(deps.config.publicUrl).origin.toLowerCase(), ...deps.config.embedOrigins])

  // Refuses control characters in its body itself (the service does), to show the form again with the rest of the text.
  app.post('/c/:slug/act', { bodyLimit: 32 * 1024, config: { checksControlChars: true } }, async (request: SlugRequest, reply) => {
    const headers = request.headers
    if (!originAllowed({ site: headerValue(headers['sec-fetch-site']), origin: headerValue(headers.origin) }, sendOrigins)) {
      const fallbackLocale = SLUG_RE.test(request.params.slug) ? catalog.peek(request.params.slug)?.defaultLocale : undefined
      return reply.sendError(403, 'errors.crossSite.message', { fallbackLocale, back: { href: `/c/${encodeURIComponent(request.params.slug)}`, labelKey: 'errors.back' } })
    }
    const c = await publicCampaign(request, reply)
    if (!c) return reply
    // Per campaign: an event in a hall may raise its own limit (one shared address, many supporters).
    const limit = await rateLimiter.hit('act', request.ip, c.actionRateLimit)
    if (!limit.allowed) {
      deps.signalService.rateLimited(c.id, limit.firstRefusal === true)
      reply.header('retry-after', String(limit.retryAfterSeconds))
      if (request.wantsJson()) return reply.sendError(429, 'errors.rateLimited.message', { fallbackLocale: c.defaultLocale, back: { href: `/c/${c.slug}`, labelKey: 'errors.back' } })
      return showFormAgain(request, reply, c, 429, 'errors.rateLimited.wait', { count: limit.retryAfterSeconds })
    }
    const body = (request.body && typeof request.body === 'object' ? request.body : {}) as ActInput
    let result: Awaited<ReturnType<typeof actionService.act>>
    try {
      result = await actionService.act(c, body, { makeLink: !request.wantsJson() })
    } catch (err) {
      if (!isDatabaseUnavailable(err)) throw err
      // Not recorded: 503 with Retry-After, and the supporter's form with their text to send again.
      deps.outageLog('postgres-act', `PostgreSQL unavailable, a send answered 503: ${(err as Error).message}`)
      if (request.wantsJson()) return reply.sendUnavailable('errors.unavailable.act')
      const locale = localeOfMessage(c, body.message) ?? request.campaignLocale(c)
      reply.code(503).header('retry-after', String(RETRY_AFTER_SECONDS))
      return renderPage(request, reply, c, echoOf(body), i18n.translator(locale).t('errors.unavailable.act'), locale, fromWidget(body))
    }
    if (!result.ok) {
      if (request.wantsJson()) {
        return reply.sendError(result.status, result.error, {
          vars: localiseVars(result.vars, request.campaignLocale(c)),
          fallbackLocale: c.defaultLocale,
          back: { href: `/c/${c.slug}`, labelKey: 'errors.back' }
        })
      }
      return showFormAgain(request, reply, c, result.status, result.error, result.vars)
    }
    if (request.wantsJson()) {
      const known = progressHub.peekTotal(c.id) ?? 0
      // A network send with its copy in the bottle counts two actions (see README, "How a send is counted").
      // A message put in the bottle now: its private withdrawal link, given here once (and kept nowhere).
      const withdraw = result.withdrawToken ? { withdrawUrl: `${deps.config.publicUrl}/c/${c.slug}/withdraw/${result.withdrawToken}` } : {}
      return reply.code(201).send({ id: result.id, intentUrl: result.intentUrl, total: known + result.counted, ...withdraw })
    }
    // The bottle from the widget without JavaScript: the frame's own thanks (the thank-you page may not be framed).
    const fromEmbed = fromWidget(body) && result.channel === 'bottle'
    const location = fromEmbed ? `${embedPath(c.slug, { lang: result.locale, ref: sanitizeRef(body.ref) || undefined })}&sent=bottle` : result.intentUrl
    return reply.code(303).header('location', location).header('cache-control', 'no-store').send()
  })

  /**
   * The campaign page again after a refused send (400, 409, 429), in the language of the chosen message, with the
   * supporter's choices and text and a sentence saying what happened and what to do.
   */
  function showFormAgain (request: SlugRequest, reply: FastifyReply, c: CampaignData, status: number, error: string, vars?: Record<string, string | number>): Promise<FastifyReply> {
    const body = (request.body && typeof request.body === 'object' ? request.body : {}) as ActInput
    const locale = localeOfMessage(c, body.message) ?? request.campaignLocale(c)
    const tr = i18n.translator(locale)
    reply.code(status)
    return renderPage(request, reply, c, echoOf(body), tr.t(error, localiseVars(vars, locale)), locale, fromWidget(body))
  }

  function localiseVars (vars: Record<string, string | number> | undefined, locale: string): Record<string, string | number> | undefined {
    if (!vars || typeof vars.network !== 'string') return vars
    return { ...vars, network: i18n.translator(locale).t(`networks.${vars.network}`) }
  }

  // With a withdrawal link in its address, the page sends no Referer and is kept by nobody (noReferrer).
  const thanksOnSend = (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (err: null, payload: unknown) => void): void => {
    if ((request.query as Record<string, unknown>).withdraw) noReferrer(request, reply, payload, done)
    else done(null, payload)
  }
  app.get<{ Params: { slug: string }, Querystring: Record<string, string | undefined> }>('/c/:slug/thanks', { onSend: thanksOnSend }, async (request, reply) => {
    const c = await publicCampaign(request, reply)
    if (!c) return reply
    const tr = i18n.translator(request.campaignLocale(c))
    const texts = textsFor(c, tr.locale)
    // Shared in the page's language: the preview a friend sees is in the language the supporter read.
    const link = campaignUrl(deps.config.publicUrl, c.slug, { lang: tr.locale })
    const progress = (await progressHub.get(c.id))?.progress
    const via = typeof request.query.via === 'string' && c.channels.includes(request.query.via as never) ? request.query.via : ''
    const view: ThanksPageView = {
      ...reply.pageBase(tr, { title: texts.title, ...previewMeta({ publicUrl: deps.config.publicUrl, cards: deps.cards, campaign: c, progress, tr }), languages: c.languages }),
      campaign: campaignView(c, tr.locale, link),
      progress: progressView(progress, c),
      via,
      withdrawUrl: typeof request.query.withdraw === 'string' && WITHDRAW_TOKEN_RE.test(request.query.withdraw) ? `${deps.config.publicUrl}/c/${c.slug}/withdraw/${request.query.withdraw}` : null,
      ask: ASKED_CHANNELS.includes(via as Channel) ? { channel: via, answered: request.query.answered === 'yes' || request.query.answered === 'no' ? request.query.answered : '' } : null,
      // The share buttons (through the counting redirect, each tag once, in the page's language) and the supporter's own link.
      ...await thanksReach(deps, c, tr, request.query)
    }
    return reply.type('text/html; charset=utf-8').view('public/thanks.eta', view)
  })

  // "Did you post it?": optional and anonymous, counted per channel and answer (no key, no address kept).
  app.post('/c/:slug/posted', { bodyLimit: 1024 }, async (request: SlugRequest, reply) => {
    const c = await publicCampaign(request, reply)
    if (!c) return reply
    const body = (request.body && typeof request.body === 'object' ? request.body : {}) as Record<string, unknown>
    const channel = body.channel as Channel
    const locale = typeof body.lang === 'string' && c.languages.includes(body.lang) ? body.lang : request.campaignLocale(c)
    const back = { href: `/c/${c.slug}/thanks?lang=${locale}`, labelKey: 'errors.back' }
    if (!ASKED_CHANNELS.includes(channel) || !c.channels.includes(channel) || (body.answer !== 'yes' && body.answer !== 'no')) {
      return reply.sendError(400, 'errors.badRequest.message', { fallbackLocale: c.defaultLocale, back })
    }
    const limit = await rateLimiter.hit('posted', request.ip, c.actionRateLimit)
    if (!limit.allowed) {
      reply.header('retry-after', String(limit.retryAfterSeconds))
      return reply.sendError(429, 'errors.rateLimited.message', { fallbackLocale: c.defaultLocale, back })
    }
    await deps.postAnswers.record(c.id, channel, body.answer === 'yes')
    return reply.code(303).header('location', `/c/${c.slug}/thanks?lang=${locale}&via=${channel}&answered=${body.answer}`).header('cache-control', 'no-store').send()
  })

  // Bot defence: a fresh proof-of-work challenge, fetched by the page's script while the supporter reads (no cookie, no state).
  app.get('/c/:slug/challenge.json', async (request: SlugRequest, reply) => {
    const c = await publicCampaign(request, reply)
    if (!c) return reply
    return reply.type('application/json; charset=utf-8').header('cache-control', 'no-store').send(await challenge.issue())
  })

  app.get('/c/:slug/progress.json', async (request: SlugRequest, reply) => {
    const c = await publicCampaign(request, reply)
    if (!c) return reply
    const entry = await progressHub.get(c.id)
    if (!entry) return reply.sendError(404, 'errors.notFound.message')
    return reply.type('application/json; charset=utf-8').header('cache-control', 'no-cache').send(entry.json)
  })

  // A campaign paused, closed or opened again while pages are open: their streams say so (event: status), so a
  // supporter learns it before sending into a 409. Announcements are rare (a campaigner's action): one read each.
  const phases = new Map<string, CampaignPhase>()
  const statusFrame = (phase: CampaignPhase): string => `event: status\ndata: ${JSON.stringify({ phase })}\n\n`
  await deps.bus.on(deps.channels.campaigns, (message) => {
    const slug = (message as { slug?: unknown })?.slug
    if (typeof slug !== 'string') return
    // After the catalog's own handler has dropped its copy (handlers of one message run in a row).
    setImmediate(() => {
      catalog.get(slug).then((c) => {
        if (!c) return
        const phase = phaseOf(actionService.closedReason(c))
        if (phases.get(c.id) === phase) return
        phases.set(c.id, phase)
        progressHub.broadcast(c.id, statusFrame(phase))
      }).catch(() => {})
    })
  })

  app.get('/c/:slug/events', { config: { eventStream: true } }, async (request: SlugRequest, reply) => {
    const c = await publicCampaign(request, reply)
    if (!c) return reply
    const entry = await progressHub.get(c.id)
    if (!entry) return reply.sendError(404, 'errors.notFound.message')
    const phase = phaseOf(actionService.closedReason(c))
    if (!phases.has(c.id)) phases.set(c.id, phase)
    // Absolute totals in every event: a reader dropped for falling behind reconnects and loses nothing. A page that
    // connects to a campaign no longer open (it was served before the change) is told at once.
    const unsubscribe = progressHub.subscribe(c.id, openEventStream(reply, phase === 'open' ? entry.frame : entry.frame + statusFrame(phase)))
    request.raw.once('close', unsubscribe)
  })
}

// A campaign's frame-ancestors sources, made once per campaign object (a change announced makes a new one).
const ANCESTORS = new WeakMap<CampaignData, string>()
function ancestorsOf (c: CampaignData): string {
  let a = ANCESTORS.get(c)
  if (a === undefined) {
    a = frameAncestors(c.embedOrigins)
    ANCESTORS.set(c, a)
  }
  return a
}

/** Whether a send came from the widget (its form's `source` field). */
function fromWidget (body: ActInput): boolean {
  return (body as { source?: unknown }).source === 'embed'
}

function headerValue (v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v
}

function echoOf (body: ActInput): FormEcho {
  // Shown back into the form: without control characters (refused, and not for an HTML page).
  const s = (v: unknown): string | undefined => typeof v === 'string' ? withoutControlChars(v.slice(0, 5000)) : undefined
  return {
    target: s(body.target),
    message: s(body.message),
    text: s(body.text),
    instance: s(body.instance),
    channel: s(body.channel),
    ref: s(body.ref),
    from: s(body.from),
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

// The campaign page's headers as flat lists, one per kind of view, with the CSP and the length left to fill.
const PAGE_HEADERS = new Map<string, { list: string[], csp: number, length: number }>()

/** The headers of a campaign page view: the security plugin's, then the page's own (see sendPage). */
function pageHeaders (nonce: string, length: number, deflated: boolean, preview: boolean, ancestors?: string): string[] {
  const kind = `${deflated ? 'd' : 'p'}${preview ? 'v' : ''}${ancestors === undefined ? '' : 'e'}`
  let t = PAGE_HEADERS.get(kind)
  if (!t) {
    const list = ancestors === undefined ? securityHeaderList(nonce) : embedHeaderList(nonce, ancestors)
    // The page holds a one-time idempotency key: never serve it from a shared cache.
    list.push('cache-control', 'no-store', 'content-type', 'text/html; charset=utf-8', 'vary', 'accept-encoding', 'content-length', '')
    if (deflated) list.push('content-encoding', 'deflate')
    if (preview) list.push('x-robots-tag', 'noindex, nofollow')
    t = { list, csp: list.indexOf('content-security-policy') + 1, length: list.indexOf('content-length') + 1 }
    PAGE_HEADERS.set(kind, t)
  }
  const headers = t.list.slice()
  headers[t.csp] = ancestors === undefined ? cspWithNonce(nonce) : embedCsp(nonce, ancestors)
  headers[t.length] = String(length)
  return headers
}
