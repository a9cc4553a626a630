import { defaultSummary, SUMMARY_MAX } from '../../domain/summary.ts'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { endonym, languageName, textDirection, type MissingByLanguage } from '../../domain/languages.ts'
import type { CampaignStatus } from '../../db/schema.ts'
import type { Deps } from '../../deps.ts'
import { CHANNEL_ORDER, HASHTAGS_MAX, SLUG_MAX, SLUG_MIN, nextStatuses, previewToken, timeZones } from '../../domain/campaign-rules.ts'
import { currentGoal } from '../../domain/goals.ts'
import type { Translator } from '../../i18n.ts'
import { roleAtLeast } from '../../services/auth-service.ts'
import {
  TEXT_LIMITS, campaignAdminFrom, formFromBody, formFromRecord, formLanguages, type CampaignForm, type CampaignRecord, type FieldError, type FieldErrors
} from '../../services/campaign-admin-service.ts'
import { formatInZone } from './format.ts'
import { campaignTabs } from './campaign-tabs.ts'

type IdRequest = FastifyRequest<{ Params: { id: string }, Querystring: { done?: string } }>
type Body = Record<string, unknown>

const FLASHES = ['created', 'saved', 'status'] as const
const SPARK_HOURS = 7 * 24

/** The campaigns: the list, the editor and the lifecycle (draft → scheduled → live ⇄ paused → closed). */
export async function adminCampaignRoutes (app: FastifyInstance, { deps }: { deps: Deps }): Promise<void> {
  const service = campaignAdminFrom(deps)
  // A new campaign starts in the admin's languages; the team adds any others.
  const locales = deps.i18n.adminLocales
  const zones = timeZones()

  const previewPath = (c: { id: string, slug: string }) => `/c/${c.slug}?preview=${previewToken(deps.config.secret, c.id)}`

  const moment = (date: Date | null, locale: string, timeZone: string): string | null => date ? formatInZone(date, locale, timeZone) : null

  const translate = (tr: Translator, e: FieldError): string => e.missing
    ? tr.t('admin.languages.errors.incomplete', { list: missingList(tr, e.missing) })
    : tr.t(`admin.campaigns.errors.${e.key}`, e.vars)

  // "Arabic (ar): pitch, a message variant; Japanese (ja): title" in the admin's language.
  const missingList = (tr: Translator, missing: MissingByLanguage): string => {
    const list = new Intl.ListFormat(tr.locale, { type: 'conjunction' })
    return Object.entries(missing).map(([code, parts]) => tr.t('admin.languages.missingIn', {
      language: `${languageName(code, tr.locale)} (${code})`,
      parts: list.format(parts.map((p) => tr.t(`admin.languages.parts.${p}`)))
    })).join(tr.t('admin.languages.separator'))
  }

  async function renderForm (reply: FastifyReply, opts: { campaign: CampaignRecord | null, form: CampaignForm, errors?: FieldErrors, statusError?: FieldError | null, flash?: string | null, status?: number }) {
    const tr = reply.adminTranslator()
    const c = opts.campaign
    const canEdit = roleAtLeast(reply.request.user!.role, 'editor')
    const errors = Object.fromEntries(Object.entries(opts.errors ?? {}).map(([field, e]) => [field, translate(tr, e)]))
    const language = (code: string) => languageName(code, tr.locale)
    // What each language still lacks before opening, as saved (the form being edited may differ until saved).
    const missing = c ? await service.missing(c) : {}
    const partsList = new Intl.ListFormat(tr.locale, { type: 'conjunction' })
    reply.code(opts.status ?? 200)
    const defaultTitle = c ? (c.texts[c.defaultLocale]?.title ?? c.slug) : ''
    return reply.adminView('admin/campaign-form.eta', {
      title: c ? tr.t('admin.campaigns.form.editTitle', { title: defaultTitle }) : tr.t('admin.campaigns.form.newTitle'),
      mode: c ? 'edit' : 'new',
      tabs: c ? campaignTabs(tr, c, 'edit') : null,
      action: c ? `/admin/campaigns/${c.id}` : '/admin/campaigns',
      canEdit,
      flash: opts.flash ?? null,
      campaign: c
        ? {
            id: c.id,
            slug: c.slug,
            status: c.status,
            publicUrl: `/c/${c.slug}`,
            previewUrl: c.status === 'draft' ? `${deps.config.publicUrl}${previewPath(c)}` : null,
            targetsUrl: `/admin/campaigns/${c.id}/targets`,
            messagesUrl: `/admin/campaigns/${c.id}/messages`,
            opens: moment(c.opensAt, tr.locale, c.timeZone),
            closes: moment(c.closesAt, tr.locale, c.timeZone),
            timeZone: c.timeZone,
            next: nextStatuses(c.status).map((to) => ({
              to,
              label: tr.t(`admin.campaigns.status.to.${c.status}-${to}`),
              hint: tr.t(`admin.campaigns.status.hint.${c.status}-${to}`),
              confirm: to === 'closed' ? tr.t('admin.campaigns.status.closeConfirm') : null,
              danger: to === 'closed'
            }))
          }
        : null,
      form: opts.form,
      errors,
      errorList: Object.entries(errors).map(([field, message]) => ({ field, message })),
      statusError: opts.statusError ? translate(tr, opts.statusError) : null,
      locales: formLanguages(opts.form).map((code) => ({
        code,
        label: language(code),
        endonym: endonym(code),
        dir: textDirection(code),
        missing: missing[code] ? partsList.format(missing[code].map((p) => tr.t(`admin.languages.parts.${p}`))) : null
      })),
      incomplete: Object.keys(missing).length > 0 ? missingList(tr, missing) : null,
      channels: CHANNEL_ORDER.map((value) => ({ value, label: tr.t(`admin.campaigns.channels.${value}`) })),
      timeZones: zones.includes(opts.form.timeZone) ? zones : [opts.form.timeZone, ...zones],
      defaultSendLimit: deps.config.actionRateLimit,
      // The editor shows each language's default preview text as the summary field's placeholder.
      summaryDefaults: Object.fromEntries(Object.entries(opts.form.texts).map(([code, t]) => [code, defaultSummary(t.pitch)])),
      summaryMax: SUMMARY_MAX,
      limits: { ...TEXT_LIMITS, slugMin: SLUG_MIN, slugMax: SLUG_MAX, hashtagCount: HASHTAGS_MAX }
    })
  }

  const flashOf = (tr: Translator, done: unknown, status?: CampaignStatus): string | null =>
    typeof done === 'string' && (FLASHES as readonly string[]).includes(done) ? tr.t(`admin.campaigns.flash.${done}`, { status: status ? tr.t(`admin.status.${status}`) : '' }) : null

  const notFound = (reply: FastifyReply) => reply.sendError(404, 'errors.notFound.message', { back: { href: '/admin', labelKey: 'admin.nav.campaigns' } })

  app.get('/admin', { config: { access: 'viewer' } }, async (request, reply) => {
    const tr = reply.adminTranslator()
    // A member granted chosen campaigns sees those only.
    const list = (await service.list()).filter((c) => request.campaignScope?.has(c.id) ?? true)
    // The sparklines: a week of hour buckets for every campaign, in one read of the counters.
    const lines = await deps.dashboardService.sparklines(list.map((c) => c.id), SPARK_HOURS)
    const campaigns = await Promise.all(list.map(async (c) => {
      // The live count comes from the counters the progress hub holds, never from counting actions.
      const total = (await deps.progressHub.get(c.id))?.progress.total ?? 0
      return {
        id: c.id,
        slug: c.slug,
        title: c.title,
        status: c.status,
        total,
        goal: currentGoal(total, c.goal),
        opens: moment(c.opensAt, tr.locale, c.timeZone),
        closes: moment(c.closesAt, tr.locale, c.timeZone),
        timeZone: c.timeZone,
        editUrl: `/admin/campaigns/${c.id}/edit`,
        dashboardUrl: `/admin/campaigns/${c.id}`,
        spark: sparkline(lines.get(c.id) ?? []),
        publicUrl: `/c/${c.slug}`,
        previewUrl: c.status === 'draft' ? previewPath(c) : null
      }
    }))
    return reply.adminView('admin/campaigns.eta', {
      title: tr.t('admin.campaigns.title'),
      campaigns,
      canEdit: roleAtLeast(reply.request.user!.role, 'editor')
    })
  })

  app.get('/admin/campaigns/new', { config: { access: 'editor' } }, async (_request, reply) => {
    return renderForm(reply, { campaign: null, form: formFromRecord(null, [...locales].sort(), reply.adminTranslator().locale) })
  })

  app.post('/admin/campaigns', { config: { access: 'editor' } }, async (request, reply) => {
    const form = formFromBody((request.body ?? {}) as Body)
    const result = await service.create(request.user, form)
    if (!result.ok) return renderForm(reply, { campaign: null, form, errors: result.errors, status: 400 })
    return reply.redirect(`/admin/campaigns/${result.id}/edit?done=created`, 303)
  })

  app.get('/admin/campaigns/:id/edit', { config: { access: 'viewer' } }, async (request: IdRequest, reply) => {
    const c = await service.load(request.params.id)
    if (!c) return notFound(reply)
    return renderForm(reply, { campaign: c, form: formFromRecord(c, locales), flash: flashOf(reply.adminTranslator(), request.query.done, c.status) })
  })

  app.post('/admin/campaigns/:id', { config: { access: 'editor' } }, async (request: IdRequest, reply) => {
    const form = formFromBody((request.body ?? {}) as Body)
    const result = await service.update(request.user, request.params.id, form)
    if (!result.ok) {
      if ('notFound' in result) return notFound(reply)
      const c = await service.load(request.params.id)
      if (!c) return notFound(reply)
      return renderForm(reply, { campaign: c, form, errors: result.errors, status: 400 })
    }
    return reply.redirect(`/admin/campaigns/${request.params.id}/edit?done=saved`, 303)
  })

  app.post('/admin/campaigns/:id/status', { config: { access: 'editor' } }, async (request: IdRequest, reply) => {
    const to = (request.body as Body | undefined)?.to
    const result = await service.transition(request.user, request.params.id, typeof to === 'string' ? to : '')
    if (!result.ok) {
      if ('notFound' in result) return notFound(reply)
      const c = await service.load(request.params.id)
      if (!c) return notFound(reply)
      return renderForm(reply, { campaign: c, form: formFromRecord(c, locales), statusError: result.error, status: 400 })
    }
    return reply.redirect(`/admin/campaigns/${request.params.id}/edit?done=status`, 303)
  })
}

/** An inline SVG sparkline's path ("M0 20L1 18…") in a 0–SPARK_HOURS by 0–24 box, and the week's sum. */
function sparkline (values: number[]): { path: string, sum: number } {
  const max = Math.max(1, ...values)
  const path = values.map((v, i) => `${i === 0 ? 'M' : 'L'}${i} ${(23 - (v / max) * 22).toFixed(1)}`).join('')
  return { path, sum: values.reduce((s, v) => s + v, 0) }
}
