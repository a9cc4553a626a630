import { readFileSync } from 'node:fs'
import { languageName } from '../../domain/languages.ts'
import { INSTANCES_MAX, instanceState, parseInstances } from '../../domain/listening.ts'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Deps } from '../../deps.ts'
import { milestoneLabel, parsePlan, PLAN_LIMITS, type MilestonePlan, type PlanError } from '../../domain/milestones.ts'
import type { Translator } from '../../i18n.ts'
import { roleAtLeast } from '../../services/auth-service.ts'
import type { Dashboard } from '../../services/dashboard-service.ts'
import { formatInZone, UUID_RE } from './format.ts'
import { openEventStream } from '../event-stream.ts'
import { campaignTabs } from './campaign-tabs.ts'

type IdRequest = FastifyRequest<{ Params: { id: string } }>
type Body = Record<string, unknown>

const CHANNELS = ['x', 'bluesky', 'mastodon', 'threads', 'email', 'bottle']

// The JavaScript's words: it redraws milestones and verdicts live, in the page's language.
const CLIENT_KEYS = [
  'verdict.reached', 'verdict.onTrack', 'verdict.behind', 'verdict.stalled', 'verdict.noDeadline', 'verdict.notOpen', 'verdict.projected',
  'milestones.kind.percent', 'milestones.kind.step', 'milestones.kind.count', 'milestones.notice', 'milestones.mail.pending', 'milestones.mail.sent', 'milestones.mail.skipped',
  'rates.trendUp', 'rates.trendDown', 'rates.trendFlat', 'chart.actions', 'live.connected', 'live.reconnecting', 'next.none', 'next.label',
  'milestones.reachedAt', 'hero.percent', 'split.percent', 'split.none', 'split.variantInactive'
]

const LOCALES_DIR = fileURLToPath(new URL('../../../views/locales', import.meta.url))

type ClientEntry = string | Record<string, string>

/** The client's entries of this area's catalog, raw (plural forms kept whole, for Intl.PluralRules in the browser). */
function clientCatalog (locale: string): Record<string, ClientEntry> | null {
  let tree: unknown
  try {
    tree = JSON.parse(readFileSync(`${LOCALES_DIR}/${locale}.admin-dashboard.json`, 'utf8'))
  } catch {
    return null
  }
  const out: Record<string, ClientEntry> = {}
  for (const key of CLIENT_KEYS) {
    let node: unknown = (tree as { admin?: { dashboard?: unknown } }).admin?.dashboard
    for (const part of key.split('.')) node = (node as Record<string, unknown> | undefined)?.[part]
    if (typeof node === 'string' || (node && typeof node === 'object')) out[key] = node as ClientEntry
  }
  return out
}

/** The campaign dashboard: the page, its JSON, its live stream, and the milestone plan. */
export async function dashboardRoutes (app: FastifyInstance, { deps }: { deps: Deps }): Promise<void> {
  const { dashboardHub } = deps
  const english = clientCatalog('en') ?? {}
  const catalogs = new Map(deps.i18n.locales.map((l) => [l, { ...english, ...clientCatalog(l) }]))

  const notFound = (reply: FastifyReply) => reply.sendError(404, 'errors.notFound.message', { back: { href: '/admin', labelKey: 'admin.nav.campaigns' } })

  async function entryOf (request: IdRequest) {
    return UUID_RE.test(request.params.id) ? await dashboardHub.get(request.params.id.toLowerCase()) : null
  }

  const formatters = new Map<string, Intl.DateTimeFormat>()
  function when (iso: string | null, tr: Translator, timeZone: string, style: 'short' | 'time' = 'short'): string | null {
    if (!iso) return null
    const key = `${tr.locale}|${timeZone}|${style}`
    let f = formatters.get(key)
    if (!f) {
      f = new Intl.DateTimeFormat(tr.locale, style === 'time' ? { hour: '2-digit', minute: '2-digit', timeZone } : { dateStyle: 'medium', timeStyle: 'short', timeZone })
      formatters.set(key, f)
    }
    return f.format(new Date(iso))
  }

  function label (tr: Translator, m: { kind: Dashboard['milestones'][number]['kind'], percent: number | null, threshold: number, goal: number }): string {
    return milestoneLabel(tr.t, m)
  }

  /** How each watched Mastodon instance answers (its sources in PostgreSQL), shown beside the list the team edits. */
  async function instances (tr: Translator, d: Dashboard) {
    const rows = deps.config.listening ? await deps.networkPostRepo.cursors('mastodon:').catch(() => null) : null
    if (!rows) return null
    return d.networks.settings.instances.map((host) => {
      const s = instanceState(rows.filter((r) => r.source.startsWith(`mastodon:${host}:`)))
      return {
        host,
        state: s.state,
        text: tr.t(`admin.listening.settings.states.${s.state}`, { error: s.lastError ?? '', at: s.nextPollAt ? formatInZone(s.nextPollAt, tr.locale, d.campaign.timeZone) : '' }),
        seen: s.lastEventAt ? tr.t('admin.listening.settings.states.seen', { at: formatInZone(s.lastEventAt, tr.locale, d.campaign.timeZone) }) : null
      }
    })
  }

  async function render (reply: FastifyReply, d: Dashboard, opts: { status?: number, planForm?: { percents: string, counts: string, stepUps: boolean }, planErrors?: PlanError[], listeningForm?: { instances: string, error: string } } = {}) {
    const tr = reply.adminTranslator()
    const t = (key: string, vars?: Record<string, string | number>) => tr.t(`admin.dashboard.${key}`, vars)
    const id = d.campaign.id
    const plan: MilestonePlan = d.plan
    const planErrors = Object.fromEntries((opts.planErrors ?? []).map((e) => [e.field, t(`plan.errors.${e.key}`, { max: e.field === 'percents' ? PLAN_LIMITS.percentMax : PLAN_LIMITS.countMax, entries: PLAN_LIMITS.entries })]))
    const maxTarget = Math.max(1, ...d.targets.map((x) => x.count))
    const instanceStates = await instances(tr, d)
    reply.code(opts.status ?? 200)
    return reply.adminView('admin/dashboard.eta', {
      instanceStates,
      listeningForm: opts.listeningForm ?? null,
      tabs: campaignTabs(tr, d.campaign, 'dashboard'),
      title: t('title', { title: d.campaign.title }),
      d,
      canEdit: roleAtLeast(reply.request.user!.role, 'editor'),
      links: [
        ['edit', `/admin/campaigns/${id}/edit`], ['targets', `/admin/campaigns/${id}/targets`], ['messages', `/admin/campaigns/${id}/messages`],
        ['exports', `/admin/campaigns/${id}/exports`], ['bottle', `/admin/campaigns/${id}/bottle`], ['delivery', `/admin/campaigns/${id}/delivery`]
      ].map(([key, href]) => ({ href, label: t(`links.${key}`) })),
      publicUrl: `/c/${d.campaign.slug}`,
      closes: when(d.campaign.closesAt, tr, d.campaign.timeZone),
      projected: when(d.projectedAt, tr, d.campaign.timeZone),
      updated: when(d.updatedAt, tr, d.campaign.timeZone, 'time'),
      trend: d.rates.lastHour > d.rates.previousHour ? 'up' : d.rates.lastHour < d.rates.previousHour ? 'down' : 'flat',
      targets: d.targets.map((x) => ({ ...x, width: Math.round((x.count / maxTarget) * 100) })),
      channelLabel: (key: string) => CHANNELS.includes(key) ? tr.t(`admin.campaigns.channels.${key}`) : key,
      localeLabel: (key: string) => languageName(key, tr.locale),
      variantLabel: (key: string) => {
        const v = d.variants.find((x) => x.key === key)
        return v ? `${v.locale.toUpperCase()} · ${v.label}${v.active ? '' : ` (${t('split.variantInactive')})`}` : key
      },
      share: (n: number) => d.total > 0 ? Math.round((n / d.total) * 1000) / 10 : 0,
      milestones: d.milestones.map((m) => ({ ...m, label: label(tr, m), at: when(m.reachedAt, tr, d.campaign.timeZone) })),
      next: d.next ? label(tr, { ...d.next, goal: d.campaign.baseGoal }) : null,
      planForm: opts.planForm ?? { percents: plan.percents.join(', '), counts: plan.counts.join(', '), stepUps: plan.stepUps },
      planErrors,
      hourRows: d.hours.slice(-24).map((b) => ({ label: when(b.t, tr, d.campaign.timeZone), n: b.n })).reverse(),
      client: JSON.stringify({
        locale: tr.locale,
        timeZone: d.campaign.timeZone,
        events: `/admin/campaigns/${id}/events`,
        strings: catalogs.get(tr.locale) ?? english,
        channels: Object.fromEntries(CHANNELS.map((c) => [c, tr.t(`admin.campaigns.channels.${c}`)])),
        languages: Object.fromEntries(deps.i18n.locales.map((l) => [l, languageName(l, tr.locale)]))
      })
    })
  }

  app.get('/admin/campaigns/:id', { config: { access: 'viewer' } }, async (request: IdRequest, reply) => {
    const entry = await entryOf(request)
    if (!entry) return notFound(reply)
    return render(reply, entry.data)
  })

  app.get('/admin/campaigns/:id/dashboard.json', { config: { access: 'viewer' } }, async (request: IdRequest, reply) => {
    const entry = await entryOf(request)
    if (!entry) return notFound(reply)
    return reply.type('application/json; charset=utf-8').header('cache-control', 'no-store').send(entry.json)
  })

  app.get('/admin/campaigns/:id/events', { config: { access: 'viewer', eventStream: true } }, async (request: IdRequest, reply) => {
    const entry = await entryOf(request)
    if (!entry) return notFound(reply)
    const id = entry.data.campaign.id
    // The whole document in every event: a reader dropped for falling behind reconnects and gets it again.
    const sink = openEventStream(reply, entry.frame, { maxBuffer: 256 * 1024, cacheControl: 'no-store, no-transform' })
    const unsubscribe = dashboardHub.subscribe(id, sink)
    // The guard checked the grant once; a grant removed while the stream is open ends it.
    const unwatch = deps.access.watch(request.user!.id, id, () => sink.end())
    request.raw.once('close', () => { unsubscribe(); unwatch() })
  })

  // The Mastodon instances the campaign watches: a refused list comes back on the dashboard as typed, with what to do.
  app.post('/admin/campaigns/:id/listening', { config: { access: 'editor' } }, async (request: IdRequest, reply) => {
    const body = (request.body ?? {}) as Body
    const entry = await entryOf(request)
    if (!entry) return notFound(reply)
    const id = entry.data.campaign.id
    const raw = typeof body.instances === 'string' ? body.instances.slice(0, 5_000) : ''
    const parsed = parseInstances(raw)
    if (!parsed.ok) {
      const error = reply.adminTranslator().t(parsed.error === 'tooMany' ? 'admin.listening.settings.tooMany' : 'admin.listening.settings.invalid', { value: parsed.value ?? '', max: INSTANCES_MAX })
      return render(reply, entry.data, { status: 400, listeningForm: { instances: raw, error } })
    }
    if (!(await deps.listening.saveSettings(request.user!, id, { instances: parsed.instances }))) return notFound(reply)
    await dashboardHub.invalidate(id)
    reply.flash({ type: 'success', key: 'admin.listening.settings.saved' })
    return reply.redirect(`/admin/campaigns/${id}#listening-settings`, 303)
  })

  app.post('/admin/campaigns/:id/milestones', { config: { access: 'editor' } }, async (request: IdRequest, reply) => {
    const body = (request.body ?? {}) as Body
    const entry = await entryOf(request)
    if (!entry) return notFound(reply)
    const id = entry.data.campaign.id
    const parsed = parsePlan(body)
    if (!parsed.ok) {
      const form = { percents: typeof body.percents === 'string' ? body.percents.slice(0, 500) : '', counts: typeof body.counts === 'string' ? body.counts.slice(0, 500) : '', stepUps: body.stepUps === 'on' }
      return render(reply, entry.data, { status: 400, planForm: form, planErrors: parsed.errors })
    }
    const before = entry.data.plan
    await deps.milestoneRepo.savePlan(id, parsed.plan)
    await deps.audit.record(request.user, { action: 'update', entity: 'milestones', entityId: id, campaignId: id, before, after: parsed.plan })
    // The next read must show the new plan (the shared copy would for up to a couple of seconds).
    await dashboardHub.invalidate(id)
    reply.flash({ type: 'success', key: 'admin.dashboard.plan.saved' })
    return reply.redirect(`/admin/campaigns/${id}#milestones`, 303)
  })
}
