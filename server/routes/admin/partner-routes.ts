import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Deps } from '../../deps.ts'
import type { PartnerFields } from '../../domain/partner-rules.ts'
import { PARTNER_LINE_MAX, PARTNER_NAME_MAX } from '../../domain/partner-rules.ts'
import type { FieldError } from '../../domain/target-rules.ts'
import type { CampaignData } from '../../repos/campaign-repo.ts'
import type { PartnerRow } from '../../repos/partner-repo.ts'
import { roleAtLeast, type SessionUser } from '../../services/auth-service.ts'
import { type Body, campaignOr404, campaignTitle, formErrors, notFound, str } from './content-helpers.ts'
import { campaignTabs } from './campaign-tabs.ts'
import { UUID_RE } from './format.ts'
import { languageName } from '../../domain/languages.ts'
import { IMAGE_MAX_BYTES } from '../../services/image-upload.ts'
import { acceptUploads, uploaded } from './uploads.ts'

type CampaignRequest = FastifyRequest<{ Params: { id: string } }>
type PartnerRequest = FastifyRequest<{ Params: { id: string, partnerId: string } }>

/** Partners ("têtes de réseaux") of a campaign: list with their results, add, edit, remove, their private stats link. */
export async function partnerRoutes (app: FastifyInstance, { deps }: { deps: Deps }): Promise<void> {
  const { partners } = deps
  const base = (c: { id: string }) => `/admin/campaigns/${c.id}/partners`
  await acceptUploads(app, { fileSize: IMAGE_MAX_BYTES })
  const logoMaxMb = IMAGE_MAX_BYTES / 1024 / 1024
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
        logo: p.logo,
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
      locales: locales(c).map((code) => ({ code, label: languageName(code, tr.locale) })),
      nameMax: PARTNER_NAME_MAX,
      lineMax: PARTNER_LINE_MAX,
      logoMaxMb
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
    const body = (request.body ?? {}) as Body
    const fields = fieldsFrom(body, c)
    const result = await partners.create(request.user!, c, fields)
    if (!result.ok) return renderList(request, reply, c, { values: formOf(fields, c), errors: result.errors })
    // A logo chosen with the new partner: refused, the partner stays added and its edit form says why.
    const logoError = await storeLogo(request.user!, c, result.partner, body.logo)
    if (logoError) return renderForm(reply, c, logoError.partner, formOf(logoError.partner, c), [logoError.error], true)
    reply.flash({ type: 'success', key: 'admin.partners.flash.created', vars: { name: result.partner.name } })
    return reply.code(303).header('location', base(c)).send()
  })

  app.get('/admin/campaigns/:id/partners/:partnerId/edit', { config: { access: 'editor' } }, async (request: PartnerRequest, reply) => {
    const found = await partnerOr404(request, reply)
    if (!found) return reply
    return renderForm(reply, found.c, found.p, formOf(found.p, found.c), [])
  })

  /** Stores the logo sent with a form, if one was chosen; the partner and the logo field's error when it is refused. */
  async function storeLogo (user: SessionUser, c: CampaignData, p: PartnerRow, file: unknown): Promise<{ partner: PartnerRow, error: FieldError } | null> {
    if (!uploaded(file)) return null
    const result = file.truncated ? { ok: false as const, error: 'admin.partners.logo.errors.tooLarge' } : await partners.setLogo(user, c, p, file.data)
    return result.ok ? null : { partner: p, error: { field: 'logo', key: result.error, vars: { max: logoMaxMb } } }
  }

  function renderForm (reply: FastifyReply, c: CampaignData, p: PartnerRow, values: Record<string, string | boolean>, errors: FieldError[], createdWithoutLogo = false) {
    const tr = reply.adminTranslator()
    const { byField, list } = formErrors(tr, errors)
    if (errors.length) reply.code(400)
    return reply.adminView('admin/partner-form.eta', {
      title: tr.t('admin.partners.editTitle', { name: p.name }),
      campaign: { id: c.id, title: campaignTitle(c, tr.locale), url: `/admin/campaigns/${c.id}` },
      tabs: campaignTabs(tr, c, 'partners'),
      listUrl: base(c),
      action: `${base(c)}/${p.id}`,
      logo: p.logo,
      logoRemoveAction: `${base(c)}/${p.id}/logo/remove`,
      logoMaxMb,
      createdWithoutLogo: createdWithoutLogo ? tr.t('admin.partners.logo.createdWithout', { name: p.name }) : null,
      form: values,
      errors: byField,
      errorList: list,
      locales: locales(c).map((code) => ({ code, label: languageName(code, tr.locale) })),
      nameMax: PARTNER_NAME_MAX,
      lineMax: PARTNER_LINE_MAX
    })
  }

  app.post('/admin/campaigns/:id/partners/:partnerId', { config: { access: 'editor' } }, async (request: PartnerRequest, reply) => {
    const found = await partnerOr404(request, reply)
    if (!found) return reply
    const body = (request.body ?? {}) as Body
    const fields = fieldsFrom(body, found.c)
    const result = await partners.update(request.user!, found.c, found.p, fields)
    if (!result.ok) return renderForm(reply, found.c, found.p, formOf(fields, found.c), result.errors)
    // The other fields are saved; a refused logo keeps the form open to choose another one.
    const logoError = await storeLogo(request.user!, found.c, result.partner, body.logo)
    if (logoError) return renderForm(reply, found.c, logoError.partner, formOf(logoError.partner, found.c), [logoError.error])
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

  app.post('/admin/campaigns/:id/partners/:partnerId/logo/remove', { config: { access: 'editor' } }, async (request: PartnerRequest, reply) => {
    const found = await partnerOr404(request, reply)
    if (!found) return reply
    if (found.p.logo) await partners.removeLogo(request.user!, found.c, found.p)
    reply.flash({ type: 'success', key: 'admin.partners.flash.logoRemoved', vars: { name: found.p.name } })
    return reply.code(303).header('location', `${base(found.c)}/${found.p.id}/edit`).send()
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
