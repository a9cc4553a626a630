import { languageName } from '../../domain/languages.ts'
import { eq } from 'drizzle-orm'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Deps } from '../../deps.ts'
import { campaigns } from '../../db/schema.ts'
import { LEGAL_TEXT_MAX } from '../../domain/privacy-rules.ts'
import type { CampaignData } from '../../repos/campaign-repo.ts'
import { roleAtLeast } from '../../services/auth-service.ts'
import { campaignTabs } from './campaign-tabs.ts'
import { type Body, campaignOr404, campaignTitle, str } from './content-helpers.ts'
import { formatDateTime } from './format.ts'

type CampaignRequest = FastifyRequest<{ Params: { id: string } }>

/** A campaign's personal data (retention, withdrawals, keep-as-proof, purge) and the installation's legal texts. */
export async function retentionRoutes (app: FastifyInstance, { deps }: { deps: Deps }): Promise<void> {
  const { retention, withdrawals, legalTexts, audit, config, db } = deps
  const base = (c: { id: string }) => `/admin/campaigns/${c.id}/privacy`

  async function privacyPage (request: CampaignRequest, reply: FastifyReply, c: CampaignData, opts: { status?: number, confirmError?: string } = {}) {
    const tr = reply.adminTranslator()
    const [row] = await db.select({ keep: campaigns.keepDossiersAsProof, purgedAt: campaigns.purgedAt }).from(campaigns).where(eq(campaigns.id, c.id))
    reply.code(opts.status ?? 200)
    return reply.adminView('admin/privacy.eta', {
      tabs: campaignTabs(tr, c, 'privacy'),
      title: tr.t('admin.privacy.title', { campaign: campaignTitle(c, tr.locale) }),
      campaign: { id: c.id, slug: c.slug, title: campaignTitle(c, tr.locale), url: `/admin/campaigns/${c.id}`, closed: c.status === 'closed' },
      isOwner: roleAtLeast(request.user!.role, 'owner'),
      retention: config.retention,
      keepAsProof: row?.keep ?? false,
      purgedAt: row?.purgedAt ? formatDateTime(tr.locale, row.purgedAt, c.timeZone) : null,
      withdrawn: await withdrawals.count(c.id),
      proofAction: `${base(c)}/proof`,
      purgeAction: `${base(c)}/purge`,
      confirmError: opts.confirmError ?? null
    })
  }

  app.get('/admin/campaigns/:id/privacy', { config: { access: 'viewer' } }, async (request: CampaignRequest, reply) => {
    const c = await campaignOr404(deps, request.params.id, reply)
    return c ? privacyPage(request, reply, c) : reply
  })

  app.post('/admin/campaigns/:id/privacy/proof', { config: { access: 'owner' } }, async (request: CampaignRequest, reply) => {
    const c = await campaignOr404(deps, request.params.id, reply)
    if (!c) return reply
    const keep = str((request.body as Body | undefined)?.keep) === '1'
    await db.transaction(async (tx) => {
      const [before] = await tx.select({ keep: campaigns.keepDossiersAsProof }).from(campaigns).where(eq(campaigns.id, c.id)).for('update')
      await tx.update(campaigns).set({ keepDossiersAsProof: keep }).where(eq(campaigns.id, c.id))
      await audit.record(request.user!, { action: 'update', entity: 'campaign', entityId: c.id, campaignId: c.id, before: { keepDossiersAsProof: before?.keep ?? false }, after: { keepDossiersAsProof: keep } }, tx)
    })
    reply.flash({ type: 'success', key: keep ? 'admin.privacy.flash.proofOn' : 'admin.privacy.flash.proofOff' })
    return reply.redirect(base(c), 303)
  })

  // The owner types the campaign's address to confirm: a purge cannot be undone.
  app.post('/admin/campaigns/:id/privacy/purge', { config: { access: 'owner' } }, async (request: CampaignRequest, reply) => {
    const c = await campaignOr404(deps, request.params.id, reply)
    if (!c) return reply
    const tr = reply.adminTranslator()
    if (str((request.body as Body | undefined)?.confirm).trim() !== c.slug) {
      return privacyPage(request, reply, c, { status: 400, confirmError: tr.t('admin.privacy.purge.confirmError', { slug: c.slug }) })
    }
    const removed = await retention.purge(request.user!, c.id)
    if (removed === 'notClosed') return reply.sendError(409, 'admin.privacy.purge.notClosed', { back: { href: base(c), labelKey: 'admin.tabs.privacy' } })
    reply.flash({ type: 'success', key: 'admin.privacy.flash.purged', vars: { ...removed } })
    return reply.redirect(base(c), 303)
  })

  // The installation's own words on /privacy and /legal, per supporter language (owners).
  async function legalPage (request: FastifyRequest, reply: FastifyReply, opts: { status?: number, errors?: Record<string, string>, values?: Record<string, { privacy: string, legal: string }> } = {}) {
    const tr = reply.adminTranslator()
    const texts = await Promise.all(deps.i18n.locales.map(async (code) => ({ code, label: languageName(code, tr.locale), ...(opts.values?.[code] ?? await legalTexts.read(code)) })))
    reply.code(opts.status ?? 200)
    return reply.adminView('admin/legal-texts.eta', { title: tr.t('admin.legal.title'), texts, legal: config.legal, errors: opts.errors ?? {}, max: LEGAL_TEXT_MAX })
  }

  app.get('/admin/legal', { config: { access: 'owner' } }, async (request, reply) => legalPage(request, reply))

  app.post('/admin/legal', { config: { access: 'owner' } }, async (request, reply) => {
    const body = (request.body ?? {}) as Body
    const locale = str(body.locale)
    if (!deps.i18n.locales.includes(locale)) return reply.sendError(400, 'admin.legal.errors.locale', { back: { href: '/admin/legal', labelKey: 'admin.legal.title' } })
    const text = { privacy: str(body.privacy).replace(/\r\n?/g, '\n').trim(), legal: str(body.legal).replace(/\r\n?/g, '\n').trim() }
    // eslint-disable-next-line no-control-regex
    const bad = (s: string) => s.length > LEGAL_TEXT_MAX || /[\u0000-\u0008\u000b-\u001f\u007f]/.test(s)
    if (bad(text.privacy) || bad(text.legal)) {
      const tr = reply.adminTranslator()
      return legalPage(request, reply, { status: 400, errors: { [locale]: tr.t('admin.legal.errors.text', { max: LEGAL_TEXT_MAX }) }, values: { [locale]: { privacy: text.privacy.slice(0, LEGAL_TEXT_MAX), legal: text.legal.slice(0, LEGAL_TEXT_MAX) } } })
    }
    await legalTexts.set(request.user!, locale, text)
    reply.flash({ type: 'success', key: 'admin.legal.flash.saved', vars: { language: languageName(locale, reply.adminTranslator().locale) } })
    return reply.redirect('/admin/legal', 303)
  })
}
