import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Deps } from '../../deps.ts'
import type { PartnerFields } from '../../domain/partner-rules.ts'
import { PARTNER_LINE_MAX, PARTNER_NAME_MAX } from '../../domain/partner-rules.ts'
import type { FieldError } from '../../domain/target-rules.ts'
import type { CampaignData } from '../../repos/campaign-repo.ts'
import type { PartnerRow } from '../../repos/partner-repo.ts'
import { roleAtLeast } from '../../services/auth-service.ts'
import { type Body, campaignOr404, campaignTitle, formErrors, notFound, str } from './content-helpers.ts'
import { campaignTabs } from './campaign-tabs.ts'
import { UUID_RE } from './format.ts'

type CampaignRequest = FastifyRequest<{ Params: { id: string } }>
type PartnerRequest = FastifyRequest<{ Params: { id: string, partnerId: string } }>

/** Partners ("têtes de réseaux") of a campaign: list with their results, add, edit, remove, their private stats link. */
export async function partnerRoutes (app: FastifyInstance, { deps }: { deps: Deps }): Promise<void> {
  const { partners } = deps
  const base = (c: { id: string }) => `/admin/campaigns/${c.id}/partners`
  const locales = (c: CampaignData) => [c.defaultLocale, ...Object.keys(c.texts).filter((l) => l !== c.defaultLocale).sort()]

  function fieldsFrom (body: Body, c: CampaignData): PartnerFields {
    return {
      name: str(body.name),
      code: str(body.code),
      email: str(body.email),
      lines: Object.fromEntries(locales(c).map((l) => [l, str(body[`line_${l}`])])),
      onLeaderboard: body.on_leaderboard === 'on' || body.on_leaderboard === 'true'
    }
  }

  const formOf = (p: PartnerRow | PartnerFields | null, c: CampaignData): Record<string, string | boolean> => ({
    name: p?.name ?? '',
    code: p?.code ?? '',
    email: p?.email ?? '',
    ...Object.fromEntries(locales(c).map((l) => [`line_${l}`, p?.lines[l] ?? ''])),
    onLeaderboard: p?.onLeaderboard ?? false
  })

  async function renderList (request: FastifyRequest, reply: FastifyReply, c: CampaignData, form?: { values: Record<string, string | boolean>, errors: FieldError[] }) {
    const tr = reply.adminTranslator()
    const [list, ranking] = await Promise.all([partners.list(c.id), partners.ranking(c)])
    const byId = new Map(ranking.map((r) => [r.id, r]))
    const { byField, list: errorList } = formErrors(tr, form?.errors ?? [])
    if (form?.errors.length) reply.code(400)
    const dateFormat = new Intl.DateTimeFormat(tr.locale, { dateStyle: 'medium', timeStyle: 'short', timeZone: c.timeZone })
    return reply.adminView('admin/partners.eta', {
      title: tr.t('admin.partners.heading'),
      campaign: { id: c.id, title: campaignTitle(c, tr.locale), url: `/admin/campaigns/${c.id}` },
      tabs: campaignTabs(tr, c, 'partners'),
      canEdit: roleAtLeast(request.user!.role, 'editor'),
      action: base(c),
      partners: list.map((p) => ({
        id: p.id,
        name: p.name,
        code: p.code,
        email: p.email ?? '',
        onLeaderboard: p.onLeaderboard,
        count: byId.get(p.id)?.count ?? 0,
        rank: byId.get(p.id)?.rank ?? 0,
        linkIssued: p.tokenIssuedAt ? dateFormat.format(p.tokenIssuedAt) : null,
        editUrl: `${base(c)}/${p.id}/edit`,
        linkAction: `${base(c)}/${p.id}/link`,
        revokeAction: `${base(c)}/${p.id}/revoke`,
        deleteAction: `${base(c)}/${p.id}/delete`
      })),
      form: form?.values ?? formOf(null, c),
      errors: byField,
      errorList,
      locales: locales(c).map((code) => ({ code, label: tr.t(`lang.${code}`) })),
      nameMax: PARTNER_NAME_MAX,
      lineMax: PARTNER_LINE_MAX
    })
  }

  async function partnerOr404 (request: PartnerRequest, reply: FastifyReply): Promise<{ c: CampaignData, p: PartnerRow } | null> {
    const c = await campaignOr404(deps, request.params.id, reply)
    if (!c) return null
    const p = UUID_RE.test(request.params.partnerId) ? await partners.find(c.id, request.params.partnerId) : null
    if (!p) {
      await notFound(reply, c.id)
      return null
    }
    return { c, p }
  }

  app.get('/admin/campaigns/:id/partners', { config: { access: 'viewer' } }, async (request: CampaignRequest, reply) => {
    const c = await campaignOr404(deps, request.params.id, reply)
    if (!c) return reply
    return renderList(request, reply, c)
  })

  app.post('/admin/campaigns/:id/partners', { config: { access: 'editor' } }, async (request: CampaignRequest, reply) => {
    const c = await campaignOr404(deps, request.params.id, reply)
    if (!c) return reply
    const fields = fieldsFrom((request.body ?? {}) as Body, c)
    const result = await partners.create(request.user!, c, fields)
    if (!result.ok) return renderList(request, reply, c, { values: formOf(fields, c), errors: result.errors })
    reply.flash({ type: 'success', key: 'admin.partners.flash.created', vars: { name: result.partner.name } })
    return reply.code(303).header('location', base(c)).send()
  })

  app.get('/admin/campaigns/:id/partners/:partnerId/edit', { config: { access: 'editor' } }, async (request: PartnerRequest, reply) => {
    const found = await partnerOr404(request, reply)
    if (!found) return reply
    return renderForm(reply, found.c, found.p, formOf(found.p, found.c), [])
  })

  function renderForm (reply: FastifyReply, c: CampaignData, p: PartnerRow, values: Record<string, string | boolean>, errors: FieldError[]) {
    const tr = reply.adminTranslator()
    const { byField, list } = formErrors(tr, errors)
    if (errors.length) reply.code(400)
    return reply.adminView('admin/partner-form.eta', {
      title: tr.t('admin.partners.editTitle', { name: p.name }),
      campaign: { id: c.id, title: campaignTitle(c, tr.locale), url: `/admin/campaigns/${c.id}` },
      tabs: campaignTabs(tr, c, 'partners'),
      listUrl: base(c),
      action: `${base(c)}/${p.id}`,
      form: values,
      errors: byField,
      errorList: list,
      locales: locales(c).map((code) => ({ code, label: tr.t(`lang.${code}`) })),
      nameMax: PARTNER_NAME_MAX,
      lineMax: PARTNER_LINE_MAX
    })
  }

  app.post('/admin/campaigns/:id/partners/:partnerId', { config: { access: 'editor' } }, async (request: PartnerRequest, reply) => {
    const found = await partnerOr404(request, reply)
    if (!found) return reply
    const fields = fieldsFrom((request.body ?? {}) as Body, found.c)
    const result = await partners.update(request.user!, found.c, found.p, fields)
    if (!result.ok) return renderForm(reply, found.c, found.p, formOf(fields, found.c), result.errors)
    reply.flash({ type: 'success', key: 'admin.partners.flash.updated', vars: { name: result.partner.name } })
    return reply.code(303).header('location', base(found.c)).send()
  })

  app.post('/admin/campaigns/:id/partners/:partnerId/delete', { config: { access: 'editor' } }, async (request: PartnerRequest, reply) => {
    const found = await partnerOr404(request, reply)
    if (!found) return reply
    await partners.remove(request.user!, found.c, found.p)
    reply.flash({ type: 'success', key: 'admin.partners.flash.deleted', vars: { name: found.p.name } })
    return reply.code(303).header('location', base(found.c)).send()
  })

  // A new private link (the previous one stops working), shown once for copying; only its hash is kept.
  app.post('/admin/campaigns/:id/partners/:partnerId/link', { config: { access: 'editor' } }, async (request: PartnerRequest, reply) => {
    const found = await partnerOr404(request, reply)
    if (!found) return reply
    const token = await partners.issueLink(request.user!, found.c, found.p)
    if (!token) return notFound(reply, found.c.id)
    reply.flash({ type: 'success', key: 'admin.partners.flash.link', vars: { name: found.p.name }, link: `${deps.config.publicUrl}/p/${token}` })
    return reply.code(303).header('location', base(found.c)).send()
  })

  app.post('/admin/campaigns/:id/partners/:partnerId/revoke', { config: { access: 'editor' } }, async (request: PartnerRequest, reply) => {
    const found = await partnerOr404(request, reply)
    if (!found) return reply
    await partners.revokeLink(request.user!, found.c, found.p)
    reply.flash({ type: 'success', key: 'admin.partners.flash.revoked', vars: { name: found.p.name } })
    return reply.code(303).header('location', base(found.c)).send()
  })
}
