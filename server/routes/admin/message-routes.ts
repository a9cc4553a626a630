import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { languageName, textDirection } from '../../domain/languages.ts'
import type { Deps } from '../../deps.ts'
import { bottleText } from '../../domain/bottle-rules.ts'
import { PLACEHOLDERS, TEMPLATE_MAX, previewTemplate, tagProblems, type PreviewLine } from '../../domain/message-rules.ts'
import { SUBJECT_MAX, variantChannels } from '../../domain/variant-channels.ts'
import type { FieldError } from '../../domain/target-rules.ts'
import type { CampaignData } from '../../repos/campaign-repo.ts'
import { createMessageRepo, type MessageRow } from '../../repos/message-repo.ts'
import { createTargetRepo, type TargetRow } from '../../repos/target-repo.ts'
import { roleAtLeast } from '../../services/auth-service.ts'
import { campaignLocales, createMessageService, templateWarnings, type MessageFields, type MessageSaveResult } from '../../services/message-service.ts'
import { type Body, campaignOr404, campaignTitle, formErrors, notFound, str, translateError } from './content-helpers.ts'
import { UUID_RE } from './format.ts'
import { campaignTabs } from './campaign-tabs.ts'

type CampaignRequest = FastifyRequest<{ Params: { id: string }, Querystring: { locale?: string, target?: string } }>
type MessageRequest = FastifyRequest<{ Params: { id: string, messageId: string }, Querystring: { target?: string } }>

/** Message variants: list, add, edit with a per-network preview, (de)activate. */
export async function messageRoutes (app: FastifyInstance, { deps }: { deps: Deps }): Promise<void> {
  const repo = createMessageRepo(deps.db)
  const targetRepo = createTargetRepo(deps.db)
  const link = (c: CampaignData) => deps.actionService.campaignLink(c)
  const service = createMessageService({ db: deps.db, repo, targetRepo, audit: deps.audit, announce: (slug) => deps.announceCampaign(slug).catch((err: Error) => deps.log.warn(`message change not announced: ${err.message}`)), campaignLink: link })

  const base = (c: { id: string }) => `/admin/campaigns/${c.id}/messages`

  function fieldsFrom (body: Body): MessageFields {
    const ticked = Array.isArray(body.channels) ? body.channels : [body.channels]
    return { locale: str(body.locale), targetId: str(body.targetId), body: str(body.body), channels: ticked.map(str).filter(Boolean), subject: str(body.subject) }
  }

  /** The form's values for a stored variant: no channel named means every channel of the campaign. */
  function fieldsOf (c: CampaignData, m: MessageRow): MessageFields {
    return { locale: m.locale, targetId: m.targetId ?? '', body: m.body, channels: variantChannels(m, c.channels), subject: m.subject }
  }

  /** The target a preview is shown for: the one chosen, else the variant's own, else the first active one. */
  function previewTarget (targets: readonly TargetRow[], chosen: string, own: string | null): TargetRow | null {
    const usable = targets.filter((t) => t.active || t.id === own)
    return usable.find((t) => t.id === chosen) ?? usable.find((t) => t.id === own) ?? usable[0] ?? null
  }

  async function renderForm (reply: FastifyReply, c: CampaignData, opts: { message: MessageRow | null, form: MessageFields, previewFor?: string, errors?: FieldError[], status?: number }) {
    const tr = reply.adminTranslator()
    const { byField, list } = formErrors(tr, opts.errors ?? [])
    const targets = await targetRepo.list(c.id)
    const m = opts.message
    const chosen = previewTarget(targets, opts.previewFor ?? '', opts.form.targetId || null)
    const locales = campaignLocales(c)
    const locale = locales.includes(opts.form.locale) ? opts.form.locale : c.defaultLocale
    const hashtags = c.texts[locale]?.hashtags ?? []
    const sentOn = c.channels.filter((ch) => opts.form.channels.length === 0 || opts.form.channels.includes(ch))
    const previewed = { name: chosen?.name ?? '', handles: chosen?.handles ?? {}, email: chosen?.email ?? null }
    const lines: PreviewLine[] = chosen && opts.form.body.trim()
      // The bottle keeps the message without the link and names the target (bottleText): its preview shows that.
      ? previewTemplate(opts.form.body, previewed, sentOn, hashtags, link(c)).map((l) => l.channel === 'bottle' ? { ...l, text: bottleText(l.text, previewed, link(c)) } : l)
      : []
    // Hashtags a network reads differently: said on every showing of the form, never blocking.
    const warnings = templateWarnings(tagProblems(opts.form.body, sentOn, hashtags)).map((w) => translateError(tr, w))
    reply.code(opts.status ?? 200)
    return reply.adminView('admin/message-form.eta', {
      title: m ? tr.t('admin.messages.form.editTitle') : tr.t('admin.messages.form.newTitle'),
      campaign: { id: c.id, title: campaignTitle(c, tr.locale), url: `/admin/campaigns/${c.id}` },
      listUrl: base(c),
      action: m ? `${base(c)}/${m.id}` : base(c),
      message: m ? { id: m.id, active: m.active, toggleAction: `${base(c)}/${m.id}/${m.active ? 'deactivate' : 'activate'}` } : null,
      form: opts.form,
      errors: byField,
      errorList: list,
      warnings,
      locales: locales.map((code) => ({ code, label: languageName(code, tr.locale) })),
      // The variant's language and direction: an Arabic variant is typed and previewed right to left.
      variantLocale: locale,
      variantDir: textDirection(locale),
      channels: c.channels.map((code) => ({ code, label: tr.t(`admin.messages.channels.${code}`), checked: opts.form.channels.length === 0 || opts.form.channels.includes(code) })),
      subjectMax: SUBJECT_MAX,
      subjectPlaceholder: campaignTitle(c, locale),
      // Inactive targets stay in the list only for a variant already written for one.
      targets: targets.filter((t) => t.active || t.id === opts.form.targetId).map((t) => ({ id: t.id, name: t.name, active: t.active })),
      placeholders: PLACEHOLDERS.map((p) => ({ code: `{${p}}`, hint: tr.t(`admin.messages.placeholders.${p}`) })),
      templateMax: TEMPLATE_MAX,
      hashtags: hashtags.map((h) => '#' + h.replace(/^#/, '')).join(' '),
      link: link(c),
      preview: chosen
        ? {
            targetId: chosen.id,
            targetName: chosen.name,
            lines: lines.map((l) => ({
              channel: l.channel,
              network: tr.t(`admin.messages.channels.${l.channel}`),
              text: l.text,
              length: l.length,
              limit: l.limit,
              over: l.over,
              usable: l.usable,
              byHandle: l.byHandle,
              rule: tr.t(`admin.messages.rules.${l.channel}`)
            }))
          }
        : null
    })
  }

  /** Back to the list; or, when a network reads a hashtag differently, to the variant's form that says which and how. */
  function afterSave (reply: FastifyReply, c: CampaignData, result: MessageSaveResult & { ok: true }, done: 'created' | 'saved'): FastifyReply {
    if (result.warnings.length > 0) {
      reply.flash({ type: 'warning', key: 'admin.messages.flash.savedWithWarnings' })
      return reply.redirect(`${base(c)}/${result.message.id}/edit`, 303)
    }
    reply.flash({ type: 'success', key: `admin.messages.flash.${done}` })
    return reply.redirect(base(c), 303)
  }

  async function messageOr404 (request: MessageRequest, reply: FastifyReply): Promise<{ c: CampaignData, m: MessageRow } | null> {
    const c = await campaignOr404(deps, request.params.id, reply)
    if (!c) return null
    const m = UUID_RE.test(request.params.messageId) ? await repo.find(c.id, request.params.messageId) : null
    if (!m) {
      await notFound(reply, c.id)
      return null
    }
    return { c, m }
  }

  app.get('/admin/campaigns/:id/messages', { config: { access: 'viewer' } }, async (request: CampaignRequest, reply) => {
    const c = await campaignOr404(deps, request.params.id, reply)
    if (!c) return reply
    const tr = reply.adminTranslator()
    const [rows, targets] = await Promise.all([repo.list(c.id), targetRepo.list(c.id)])
    const targetName = new Map(targets.map((t) => [t.id, t.name]))
    const locales = [...new Set([...campaignLocales(c), ...rows.map((m) => m.locale)])]
    return reply.adminView('admin/messages.eta', {
      tabs: campaignTabs(tr, c, 'messages'),
      title: tr.t('admin.messages.title', { campaign: campaignTitle(c, tr.locale) }),
      campaign: { id: c.id, title: campaignTitle(c, tr.locale), url: `/admin/campaigns/${c.id}`, targetsUrl: `/admin/campaigns/${c.id}/targets` },
      canEdit: roleAtLeast(request.user!.role, 'editor'),
      newUrl: `${base(c)}/new`,
      count: rows.length,
      groups: locales.map((code) => ({
        code,
        label: languageName(code, tr.locale),
        dir: textDirection(code),
        newUrl: `${base(c)}/new?locale=${encodeURIComponent(code)}`,
        hashtags: (c.texts[code]?.hashtags ?? []).map((h) => '#' + h.replace(/^#/, '')).join(' '),
        messages: rows.filter((m) => m.locale === code).map((m) => ({
          id: m.id,
          body: m.body,
          active: m.active,
          target: m.targetId ? (targetName.get(m.targetId) ?? '') : null,
          channels: m.channels.length ? variantChannels(m, c.channels).map((ch) => tr.t(`admin.messages.channels.${ch}`)).join(', ') : null,
          editUrl: `${base(c)}/${m.id}/edit`,
          toggleAction: `${base(c)}/${m.id}/${m.active ? 'deactivate' : 'activate'}`
        }))
      }))
    })
  })

  app.get('/admin/campaigns/:id/messages/new', { config: { access: 'editor' } }, async (request: CampaignRequest, reply) => {
    const c = await campaignOr404(deps, request.params.id, reply)
    if (!c) return reply
    const locale = campaignLocales(c).includes(str(request.query.locale)) ? str(request.query.locale) : c.defaultLocale
    return renderForm(reply, c, { message: null, form: { locale, targetId: '', body: '{target} {hashtags} {link}', channels: [...c.channels], subject: '' }, previewFor: str(request.query.target) })
  })

  // "Preview" and "Save" are two buttons of one form (op=preview | save): the preview works without JavaScript.
  app.post('/admin/campaigns/:id/messages', { config: { access: 'editor' } }, async (request: CampaignRequest, reply) => {
    const c = await campaignOr404(deps, request.params.id, reply)
    if (!c) return reply
    const body = (request.body ?? {}) as Body
    const fields = fieldsFrom(body)
    if (str(body.op) === 'preview') return renderForm(reply, c, { message: null, form: fields, previewFor: str(body.previewTarget), errors: (await service.check(c, fields)).errors })
    const result = await service.save(request.user!, c, null, fields)
    if (!result.ok) return renderForm(reply, c, { message: null, form: fields, previewFor: str(body.previewTarget), errors: result.errors, status: 400 })
    return afterSave(reply, c, result, 'created')
  })

  app.get('/admin/campaigns/:id/messages/:messageId/edit', { config: { access: 'editor' } }, async (request: MessageRequest, reply) => {
    const found = await messageOr404(request, reply)
    if (!found) return reply
    const { m } = found
    return renderForm(reply, found.c, { message: m, form: fieldsOf(found.c, m), previewFor: str(request.query.target) })
  })

  app.post('/admin/campaigns/:id/messages/:messageId', { config: { access: 'editor' } }, async (request: MessageRequest, reply) => {
    const found = await messageOr404(request, reply)
    if (!found) return reply
    const { c, m } = found
    const body = (request.body ?? {}) as Body
    const fields = fieldsFrom(body)
    if (str(body.op) === 'preview') return renderForm(reply, c, { message: m, form: fields, previewFor: str(body.previewTarget), errors: (await service.check(c, fields)).errors })
    const result = await service.save(request.user!, c, m, fields)
    if (!result.ok) return renderForm(reply, c, { message: m, form: fields, previewFor: str(body.previewTarget), errors: result.errors, status: 400 })
    return afterSave(reply, c, result, 'saved')
  })

  for (const [verb, active] of [['deactivate', false], ['activate', true]] as const) {
    app.post(`/admin/campaigns/:id/messages/:messageId/${verb}`, { config: { access: 'editor' } }, async (request: MessageRequest, reply) => {
      const found = await messageOr404(request, reply)
      if (!found) return reply
      const { c, m } = found
      const result = await service.setActive(request.user!, c, m, active)
      if (!result.ok) return renderForm(reply, c, { message: m, form: fieldsOf(c, m), errors: result.errors, status: 400 })
      reply.flash({ type: 'success', key: `admin.messages.flash.${verb}d` })
      return reply.redirect(base(c), 303)
    })
  }
}
