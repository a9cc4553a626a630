import { createHash } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Deps } from '../../deps.ts'
import { DOSSIER_MESSAGE_CAP } from '../../domain/dossier.ts'
import { toLocalDateTime } from '../../domain/campaign-rules.ts'
import type { Translator } from '../../i18n.ts'
import { roleAtLeast } from '../../services/auth-service.ts'
import { fileSlug } from '../../services/delivery-service.ts'
import { type Body, campaignOr404, campaignTitle, notFound, str } from './content-helpers.ts'
import { UUID_RE, formatInZone } from './format.ts'
import { campaignTabs } from './campaign-tabs.ts'

type CampaignRequest = FastifyRequest<{ Params: { id: string } }>
type FileRequest = FastifyRequest<{ Params: { id: string, file: string }, Querystring: { preview?: string } }>

const FILE_RE = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.(pdf|html)$/i

/** The delivery of the bottle: per target its dossier and last delivery, deliver / send again, the delivery time, the downloads. */
export async function deliveryRoutes (app: FastifyInstance, { deps }: { deps: Deps }): Promise<void> {
  const service = deps.delivery
  const base = (id: string) => `/admin/campaigns/${id}/delivery`

  const moment = formatInZone

  async function render (request: CampaignRequest, reply: FastifyReply, opts: { scheduleValue?: string, scheduleError?: string | null, status?: number } = {}) {
    const c = await campaignOr404(deps, request.params.id, reply)
    if (!c) return reply
    const overview = await service.overview(c.id)
    if (!overview) return notFound(reply, c.id)
    const tr = reply.adminTranslator()
    const tz = c.timeZone
    const when = (d: Date) => moment(d, tr.locale, tz)
    const names = new Map(overview.targets.map((t) => [t.id, t.name]))
    const sent = overview.targets.filter((t) => t.lastSentAt)
    const firstSent = sent.map((t) => t.lastSentAt!.getTime()).sort((a, b) => a - b)[0]
    reply.code(opts.status ?? 200)
    return reply.adminView('admin/delivery.eta', {
      tabs: campaignTabs(tr, c, 'delivery'),
      title: tr.t('admin.delivery.title', { campaign: campaignTitle(c, tr.locale) }),
      campaign: { id: c.id, title: campaignTitle(c, tr.locale), url: `/admin/campaigns/${c.id}/edit`, targetsUrl: `/admin/campaigns/${c.id}/targets`, messagesUrl: `/admin/campaigns/${c.id}/messages` },
      path: base(c.id),
      canEdit: roleAtLeast(request.user!.role, 'editor'),
      mailOff: !deps.mailer.enabled,
      cap: DOSSIER_MESSAGE_CAP,
      // Named before "deliver to every decision-maker": their dossier would go with counts and no message.
      empty: (() => {
        const names = overview.targets.filter((t) => t.active && t.selected === 0 && (!t.latest || t.latest.status === 'failed')).map((t) => t.name)
        return names.length ? tr.t('admin.delivery.emptyWarning', { count: names.length, names: new Intl.ListFormat(tr.locale, { type: 'conjunction' }).format(names) }) : null
      })(),
      summary: firstSent !== undefined ? tr.t('admin.delivery.summary.some', { sent: sent.length, count: overview.targets.length, date: when(new Date(firstSent)) }) : tr.t('admin.delivery.summary.none'),
      zone: tz,
      schedule: overview.schedule
        ? { text: tr.t(overview.schedule.firedAt ? 'admin.delivery.schedule.fired' : 'admin.delivery.schedule.planned', { date: when(overview.schedule.deliverAt), zone: tz }), fired: Boolean(overview.schedule.firedAt) }
        : null,
      scheduleValue: opts.scheduleValue ?? (overview.schedule && !overview.schedule.firedAt ? toLocalDateTime(overview.schedule.deliverAt, tz) : ''),
      scheduleError: opts.scheduleError ?? null,
      targets: overview.targets.map((t) => {
        const d = t.latest
        const status = !d ? 'none' : d.status === 'queued' && d.reason ? 'retrying' : d.status
        const file = (ext: 'pdf' | 'html') => `/admin/campaigns/${c.id}/dossiers/${t.id}.${ext}`
        return {
          id: t.id,
          name: t.name,
          email: t.email,
          active: t.active,
          selected: tr.t('admin.delivery.selected', { count: t.selected, approved: t.approved }),
          status,
          badge: { none: 'draft', queued: 'scheduled', retrying: 'paused', sending: 'scheduled', sent: 'live', failed: 'failed' }[status],
          statusText: tr.t(`admin.delivery.status.${status}`),
          details: d
            ? [
                d.sentAt && d.status === 'sent' ? tr.t('admin.delivery.sentAt', { date: when(d.sentAt) }) : when(d.updatedAt),
                d.toAddress ? tr.t('admin.delivery.to', { address: d.toAddress }) : '',
                d.round > 1 ? tr.t('admin.delivery.round', { round: d.round }) : '',
                d.attempts > 0 ? tr.t('admin.delivery.attempts', { count: d.attempts }) : '',
                d.origin === 'schedule' ? tr.t('admin.delivery.bySchedule') : tr.t('admin.delivery.by', { who: d.requestedByEmail })
              ].filter(Boolean)
            : [],
          reason: d?.reason && d.status !== 'sent' ? reasonText(tr, d.reason, d.lastError) : null,
          // Nothing yet or failed: deliver (again, same round); sent: only an explicit, confirmed "send again".
          canDeliver: !d || d.status === 'failed',
          canResend: Boolean(d && d.status === 'sent'),
          version: t.lastSentAt ? tr.t('admin.delivery.sentVersion') : tr.t('admin.delivery.previewVersion'),
          pdfUrl: file('pdf'),
          htmlUrl: file('html')
        }
      }),
      log: overview.log.map((l) => ({
        at: when(l.at),
        target: names.get(l.targetId) ?? '',
        attempt: tr.t('admin.delivery.log.attemptOf', { attempt: l.attempt, round: l.round }),
        outcome: l.outcome,
        outcomeText: tr.t(`admin.delivery.log.${l.outcome === 'sent' ? 'sent' : 'failed'}`),
        detail: l.reason ? reasonText(tr, l.reason, l.detail) : ''
      }))
    })
  }

  app.get('/admin/campaigns/:id/delivery', { config: { access: 'viewer' } }, async (request: CampaignRequest, reply) => render(request, reply))

  app.post('/admin/campaigns/:id/delivery/deliver', { config: { access: 'editor' } }, async (request: CampaignRequest, reply) => {
    const target = str((request.body as Body | undefined)?.target)
    if (target !== 'all' && !UUID_RE.test(target)) return reply.sendError(400, 'errors.badRequest.message', { back: { href: base(request.params.id), labelKey: 'admin.delivery.heading' } })
    const result = await service.request(request.user, request.params.id, target === 'all' ? {} : { targetId: target })
    if (!result.ok) return notFoundOf(reply, request.params.id)
    flashResult(reply, result)
    return reply.redirect(base(request.params.id), 303)
  })

  app.post('/admin/campaigns/:id/delivery/resend', { config: { access: 'editor' } }, async (request: CampaignRequest, reply) => {
    const target = str((request.body as Body | undefined)?.target)
    if (!UUID_RE.test(target)) return reply.sendError(400, 'errors.badRequest.message', { back: { href: base(request.params.id), labelKey: 'admin.delivery.heading' } })
    const result = await service.request(request.user, request.params.id, { targetId: target, force: true })
    if (!result.ok) return notFoundOf(reply, request.params.id)
    if (result.busy > 0) reply.flash({ type: 'warning', key: 'admin.delivery.flash.busy' })
    else flashResult(reply, result)
    return reply.redirect(base(request.params.id), 303)
  })

  app.post('/admin/campaigns/:id/delivery/schedule', { config: { access: 'editor' } }, async (request: CampaignRequest, reply) => {
    const body = (request.body ?? {}) as Body
    if (str(body.action) === 'clear') {
      const result = await service.clearSchedule(request.user, request.params.id)
      if (!result.ok) return notFoundOf(reply, request.params.id)
      reply.flash({ type: 'success', key: 'admin.delivery.flash.cleared' })
      return reply.redirect(base(request.params.id), 303)
    }
    const value = str(body.deliverAt).slice(0, 40)
    const result = await service.setSchedule(request.user, request.params.id, value)
    if (!result.ok) {
      if ('notFound' in result) return notFoundOf(reply, request.params.id)
      return render(request, reply, { scheduleValue: value, scheduleError: reply.adminTranslator().t(`admin.delivery.schedule.errors.${result.error}`), status: 400 })
    }
    const c = await deps.campaignRepo.findById(request.params.id)
    reply.flash({ type: 'success', key: 'admin.delivery.flash.scheduled', vars: { date: moment(result.at, reply.adminTranslator().locale, c?.timeZone ?? 'UTC') } })
    return reply.redirect(base(request.params.id), 303)
  })

  // The dossier as last sent to the target; before any, or with ?preview=1, the one that would be sent now.
  app.get('/admin/campaigns/:id/dossiers/:file', { config: { access: 'viewer' } }, async (request: FileRequest, reply) => {
    const c = await campaignOr404(deps, request.params.id, reply)
    if (!c) return reply
    const m = FILE_RE.exec(request.params.file)
    if (!m) return notFound(reply, c.id)
    const targetId = m[1]!.toLowerCase()
    const ext = m[2]!.toLowerCase() as 'pdf' | 'html'
    const [target] = (await service.overview(c.id))?.targets.filter((t) => t.id === targetId) ?? []
    if (!target) return notFound(reply, c.id)
    const stored = request.query.preview === undefined ? await service.storedDossier(c.id, targetId) : null
    const dossier = stored ?? await deps.dossiers.build(c.id, targetId)
    if (!dossier) return notFound(reply, c.id)
    const name = `${c.slug}-${fileSlug(target.name)}${stored ? '' : '-preview'}.${ext}`
    reply.header('cache-control', 'private, no-store').header('x-content-type-options', 'nosniff')
    if (ext === 'pdf') {
      return reply.type('application/pdf').header('content-disposition', `attachment; filename="${name}"`).send(dossier.pdf)
    }
    // A page of its own, made to be saved and printed: its one inline style is allowed by hash, nothing else runs.
    const style = /<style>([\s\S]*?)<\/style>/.exec(dossier.html)?.[1] ?? ''
    const hash = createHash('sha256').update(style).digest('base64')
    reply.header('content-security-policy', `default-src 'none'; style-src 'sha256-${hash}'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`)
    return reply.type('text/html; charset=utf-8').header('content-disposition', `inline; filename="${name}"`).send(dossier.html)
  })

  function flashResult (reply: FastifyReply, result: { queued: number }) {
    if (result.queued > 0) reply.flash({ type: 'success', key: 'admin.delivery.flash.queued', vars: { count: result.queued } })
    else reply.flash({ type: 'info', key: 'admin.delivery.flash.nothing' })
  }

  function notFoundOf (reply: FastifyReply, campaignId: string) {
    return UUID_RE.test(campaignId) ? notFound(reply, campaignId) : reply.sendError(404, 'errors.notFound.message', { back: { href: '/admin', labelKey: 'admin.nav.campaigns' } })
  }
}

function reasonText (tr: Translator, reason: string, detail: string | null): string {
  const known = ['noAddress', 'mailOff', 'smtpTemporary', 'smtpRejected', 'error', 'gone'].includes(reason)
  const text = known ? tr.t(`admin.delivery.reasons.${reason}`) : reason
  return detail && reason !== 'mailOff' ? `${text} (${detail})` : text
}
