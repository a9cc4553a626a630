import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Deps } from '../../deps.ts'
import { CHANNEL_ORDER } from '../../domain/campaign-rules.ts'
import {
  exportFileName, filterQuery, isFiltered, parseExportFilter, type ExportField, type ExportFilter, type FilterError
} from '../../domain/export-filter.ts'
import type { Translator } from '../../i18n.ts'
import type { CampaignData } from '../../repos/campaign-repo.ts'
import { createExportRepo, type ExportTarget } from '../../repos/export-repo.ts'
import { roleAtLeast } from '../../services/auth-service.ts'
import { ACTION_COLUMNS, COUNT_COLUMNS, createExportService, type ExportKind } from '../../services/export-service.ts'
import { campaignOr404, campaignTitle } from './content-helpers.ts'
import { formatInZone } from './format.ts'
import { campaignTabs } from './campaign-tabs.ts'

type ExportRequest = FastifyRequest<{ Params: { id: string }, Querystring: Partial<Record<ExportField, unknown>> }>

// Who may download what. The action rows carry what supporters typed, unmoderated (bottle messages included), so
// they go to editors, who curate that text anyway; counts are what viewers already see on the dashboard.
const ACCESS = { actions: 'editor', counts: 'viewer', osdi: 'editor' } as const
const CSV = 'text/csv; charset=utf-8'
const HAL_JSON = 'application/hal+json; charset=utf-8'

/** The campaign's exports: the page with its filter form, actions.csv, counts.csv and osdi.json. */
export async function exportRoutes (app: FastifyInstance, { deps }: { deps: Deps }): Promise<void> {
  const service = createExportService({
    repo: createExportRepo(deps.pool),
    audit: deps.audit,
    publicUrl: deps.config.publicUrl,
    // Each running download holds one pooled connection for its whole length: at most a quarter of the pool.
    maxConcurrent: Math.max(1, Math.floor(deps.config.dbPoolSize / 4))
  })
  const base = (c: { id: string }) => `/admin/campaigns/${c.id}/exports`

  const moment = formatInZone

  const fieldMessage = (tr: Translator, e: FilterError) => {
    const vars = { ...e.vars }
    if (typeof vars.field === 'string') vars.field = tr.t(`admin.exports.filter.${vars.field}`)
    return tr.t(e.key, vars)
  }

  async function renderPage (reply: FastifyReply, c: CampaignData, targets: readonly ExportTarget[], opts: { filter?: ExportFilter, values?: Record<ExportField, string>, errors?: FilterError[] } = {}) {
    const tr = reply.adminTranslator()
    const errors = opts.errors ?? []
    const filter = opts.filter ?? null
    const values = opts.values ?? {
      from: filter?.from ?? '',
      to: filter?.to ?? '',
      target: filter?.targetId ?? '',
      channel: filter?.channel ?? ''
    }
    // The numbers shown are those the downloads will hold: counted from the rows with the same filter.
    const everything = await service.summary(c.id, { from: null, to: null, since: null, until: null, targetId: null, channel: null })
    const matching = filter && isFiltered(filter) ? await service.summary(c.id, filter) : null
    const byField: Partial<Record<ExportField, string>> = {}
    const errorList = errors.map((e) => {
      const message = fieldMessage(tr, e)
      if (!(e.field in byField)) byField[e.field] = message
      return { field: e.field, message }
    })
    const role = reply.request.user!.role
    const when = (d: Date | null) => d ? { text: moment(d, tr.locale, c.timeZone), iso: d.toISOString() } : null
    reply.code(errors.length ? 400 : 200)
    return reply.adminView('admin/exports.eta', {
      tabs: campaignTabs(tr, c, 'exports'),
      title: tr.t('admin.exports.title', { campaign: campaignTitle(c, tr.locale) }),
      campaign: {
        id: c.id,
        title: campaignTitle(c, tr.locale),
        url: `/admin/campaigns/${c.id}/edit`,
        targetsUrl: `/admin/campaigns/${c.id}/targets`,
        messagesUrl: `/admin/campaigns/${c.id}/messages`,
        timeZone: c.timeZone
      },
      pageUrl: base(c),
      values,
      errors: byField,
      errorList,
      targets: targets.map((t) => ({ id: t.id, name: t.name, active: t.active })),
      channels: CHANNEL_ORDER.map((value) => ({ value, label: tr.t(`admin.campaigns.channels.${value}`) })),
      total: { count: everything.count, first: when(everything.first), last: when(everything.last) },
      matching: matching ? { count: matching.count, first: when(matching.first), last: when(matching.last) } : null,
      downloads: (['actions', 'counts', 'osdi'] as const).map((kind) => ({
        kind,
        url: `${base(c)}/${kind === 'osdi' ? 'osdi.json' : `${kind}.csv`}`,
        allowed: roleAtLeast(role, ACCESS[kind]),
        needs: tr.t(`admin.roles.${ACCESS[kind]}`),
        columns: kind === 'actions' ? ACTION_COLUMNS : kind === 'counts' ? COUNT_COLUMNS : null
      }))
    })
  }

  /** The campaign, its targets and the filter of the query; replies (404, or 400 with the form and what to fix) and returns null otherwise. */
  async function prepare (request: ExportRequest, reply: FastifyReply): Promise<{ c: CampaignData, targets: ExportTarget[], filter: ExportFilter } | null> {
    const c = await campaignOr404(deps, request.params.id, reply)
    if (!c) return null
    const targets = await service.targets(c.id)
    const parsed = parseExportFilter(request.query ?? {}, { timeZone: c.timeZone, targetIds: new Set(targets.map((t) => t.id)) })
    if (parsed.ok) return { c, targets, filter: parsed.filter }
    if (request.wantsJson()) {
      const tr = reply.adminTranslator()
      await reply.code(400).send({ error: parsed.errors.map((e) => fieldMessage(tr, e)).join(' ') })
    } else {
      await renderPage(reply, c, targets, { values: parsed.values, errors: parsed.errors })
    }
    return null
  }

  function attachment (reply: FastifyReply, c: CampaignData, kind: ExportKind, f: ExportFilter, contentType: string, ext: 'csv' | 'json') {
    return reply.header('content-type', contentType)
      .header('content-disposition', `attachment; filename="${exportFileName(c.slug, kind, f, new Date(), ext)}"`)
      .header('cache-control', 'no-store')
  }

  const busy = (reply: FastifyReply, c: CampaignData) => reply.header('retry-after', '30').sendError(503, 'admin.exports.busy.message', { back: { href: base(c), labelKey: 'admin.exports.heading' } })

  app.get('/admin/campaigns/:id/exports', { config: { access: 'viewer' } }, async (request: ExportRequest, reply) => {
    const ready = await prepare(request, reply)
    if (!ready) return reply
    return renderPage(reply, ready.c, ready.targets, { filter: ready.filter })
  })

  app.get('/admin/campaigns/:id/exports/actions.csv', { config: { access: ACCESS.actions } }, async (request: ExportRequest, reply) => {
    const ready = await prepare(request, reply)
    if (!ready) return reply
    const { c, targets, filter } = ready
    // A HEAD asks for the headers only: it neither runs nor logs an export.
    if (request.method === 'HEAD') return attachment(reply, c, 'actions', filter, CSV, 'csv').send()
    const stream = await service.actionsCsv(request.user!, c, filter, targets)
    if (!stream) return busy(reply, c)
    return attachment(reply, c, 'actions', filter, CSV, 'csv').send(stream)
  })

  app.get('/admin/campaigns/:id/exports/counts.csv', { config: { access: ACCESS.counts } }, async (request: ExportRequest, reply) => {
    const ready = await prepare(request, reply)
    if (!ready) return reply
    const { c, targets, filter } = ready
    if (request.method === 'HEAD') return attachment(reply, c, 'counts', filter, CSV, 'csv').send()
    const csv = await service.countsCsv(request.user!, c, filter, targets)
    return attachment(reply, c, 'counts', filter, CSV, 'csv').send(csv)
  })

  app.get('/admin/campaigns/:id/exports/osdi.json', { config: { access: ACCESS.osdi } }, async (request: ExportRequest, reply) => {
    const ready = await prepare(request, reply)
    if (!ready) return reply
    const { c, targets, filter } = ready
    if (request.method === 'HEAD') return attachment(reply, c, 'osdi', filter, HAL_JSON, 'json').send()
    const selfUrl = `${deps.config.publicUrl}${base(c)}/osdi.json${filterQuery(filter)}`
    const stream = await service.osdiJson(request.user!, c, filter, targets, { selfUrl, locale: c.defaultLocale })
    if (!stream) return busy(reply, c)
    return attachment(reply, c, 'osdi', filter, HAL_JSON, 'json').send(stream)
  })
}
