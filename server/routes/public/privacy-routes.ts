import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Deps } from '../../deps.ts'
import { originAllowed } from '../../domain/network-address.ts'
import { paragraphs, processingRecord } from '../../domain/privacy-rules.ts'
import type { CampaignData } from '../../repos/campaign-repo.ts'
import { textsFor } from './campaign-page.ts'

interface WithdrawRoute { Params: { slug: string, token: string }, Querystring: Record<string, string | undefined> }
type WithdrawRequest = FastifyRequest<WithdrawRoute>

const SLUG_RE = /^[a-z0-9][a-z0-9-]{0,79}$/

/**
 * A page holding a private link: no Referer leaves it (the link is in its address). Runs after the security
 * plugin's onSend (route hooks come last), which sets the site-wide policy. Under no-referrer a form's POST carries
 * `Origin: null` (Fetch, "append a request Origin header"), so the withdrawal's origin check relies on
 * Sec-Fetch-Site there: https://fetch.spec.whatwg.org/#origin-header, https://www.w3.org/TR/referrer-policy/,
 * checked 2026-12-04.
 */
export function noReferrer (_request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (err: null, payload: unknown) => void): void {
  reply.header('referrer-policy', 'no-referrer').header('x-robots-tag', 'noindex, nofollow').header('cache-control', 'no-store')
  done(null, payload)
}

/** The supporter's rights without an account (the withdrawal link) and the legal pages built from the settings. */
export async function privacyRoutes (app: FastifyInstance, { deps }: { deps: Deps }): Promise<void> {
  const { catalog, i18n, withdrawals, legalTexts, config } = deps
  const ownOrigin = new Set([new URL(config.publicUrl).origin.toLowerCase()])

  async function campaignOf (request: WithdrawRequest): Promise<CampaignData | null> {
    const c = SLUG_RE.test(request.params.slug) ? await catalog.get(request.params.slug) : null
    return c && c.status !== 'draft' ? c : null
  }

  const gone = (reply: FastifyReply, c: CampaignData | null) => reply.sendError(404, 'withdraw.gone.message', {
    fallbackLocale: c?.defaultLocale, back: { href: c ? `/c/${c.slug}` : '/', labelKey: c ? 'errors.back' : 'errors.home' }
  })

  app.get<WithdrawRoute>('/c/:slug/withdraw/:token', { onSend: noReferrer }, async (request, reply) => {
    const c = await campaignOf(request)
    const own = c ? await withdrawals.find(c.id, request.params.token) : null
    if (!c || !own) return gone(reply, c)
    const tr = i18n.translator(request.locale(own.locale))
    const title = tr.t('withdraw.title')
    return reply.type('text/html; charset=utf-8').view('public/withdraw.eta', {
      ...reply.pageBase(tr, { title }),
      campaign: { slug: c.slug, title: textsFor(c, tr.locale).title },
      action: `/c/${c.slug}/withdraw/${request.params.token}?lang=${tr.locale}`,
      message: { text: own.text, targetName: own.targetName, signature: [own.signatureName, own.signatureTown].filter(Boolean).join(', ') }
    })
  })

  // No CSRF cookie on public pages: the token in the address is the capability; another site may not post it.
  app.post<WithdrawRoute>('/c/:slug/withdraw/:token', { onSend: noReferrer, bodyLimit: 1024 }, async (request, reply) => {
    const headers = request.headers
    const site = typeof headers['sec-fetch-site'] === 'string' ? headers['sec-fetch-site'] : undefined
    const c = await campaignOf(request)
    if (!originAllowed({ site, origin: typeof headers.origin === 'string' ? headers.origin : undefined }, ownOrigin)) {
      return reply.sendError(403, 'errors.crossSite.message', { fallbackLocale: c?.defaultLocale, back: { href: c ? `/c/${c.slug}` : '/', labelKey: 'errors.back' } })
    }
    if (!c || !await withdrawals.withdraw(c.id, request.params.token)) return gone(reply, c)
    return reply.code(303).header('location', `/c/${c.slug}/withdrawn?lang=${request.locale(c.defaultLocale)}`).send()
  })

  app.get('/c/:slug/withdrawn', async (request: WithdrawRequest, reply) => {
    const c = await campaignOf(request)
    if (!c) return reply.sendError(404, 'errors.notFound.message', { back: { href: '/', labelKey: 'errors.home' } })
    const tr = i18n.translator(request.locale(c.defaultLocale))
    return reply.type('text/html; charset=utf-8').view('public/withdrawn.eta', {
      ...reply.pageBase(tr, { title: tr.t('withdraw.done.title') }),
      campaign: { slug: c.slug, title: textsFor(c, tr.locale).title }
    })
  })

  const legalPage = (page: 'privacy' | 'legal') => async (request: FastifyRequest, reply: FastifyReply) => {
    const tr = i18n.translator(request.locale('fr'))
    const own = await legalTexts.get(tr.locale)
    const title = tr.t(`${page}.title`)
    return reply.type('text/html; charset=utf-8').view(`public/${page}.eta`, {
      ...reply.pageBase(tr, { title, description: tr.t(`${page}.description`), canonicalUrl: `${config.publicUrl}/${page}` }),
      legal: config.legal,
      retention: config.retention,
      listening: config.listening ? { networkPostsRetentionDays: config.networkPostsRetentionDays } : null,
      own: paragraphs(own[page])
    })
  }
  app.get('/privacy', legalPage('privacy'))
  app.get('/legal', legalPage('legal'))

  // The record of processing for the data-protection officer (GDPR Art. 30), from the same settings as the pages.
  const record = JSON.stringify(processingRecord(config.legal, config.retention, config.publicUrl, config.listening ? { networkPostsRetentionDays: config.networkPostsRetentionDays } : null), null, 2)
  app.get('/privacy.json', async (_request, reply) => reply.type('application/json; charset=utf-8').header('cache-control', 'no-cache').send(record))
}
