import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { languageName } from '../../domain/languages.ts'
import type { Deps } from '../../deps.ts'
import { BLOCKED_WORDS_MAX, WORD_MAX, parseBlockedWords } from '../../domain/bottle-rules.ts'
import type { CampaignData } from '../../repos/campaign-repo.ts'
import type { BottleFilter, ModerationOp } from '../../repos/bottle-repo.ts'
import { roleAtLeast } from '../../services/auth-service.ts'
import { type Body, campaignOr404, campaignTitle, str } from './content-helpers.ts'
import { UUID_RE, formatDateTime } from './format.ts'
import { campaignTabs } from './campaign-tabs.ts'

type BottleRequest = FastifyRequest<{ Params: { id: string }, Querystring: Record<string, string | undefined> }>

/** The queue's views: the two that need a decision, each status, the featured ones, everything. */
const VIEWS = ['review', 'held', 'pending', 'approved', 'featured', 'rejected', 'all'] as const
type QueueView = (typeof VIEWS)[number]
const OPS: readonly ModerationOp[] = ['approve', 'feature', 'unfeature', 'reject']
/** Messages per page of the queue; also the most one bulk action takes. */
export const QUEUE_PAGE = 50
const LOCALE_RE = /^[a-z]{2}(?:-[A-Z]{2})?$/

interface QueueQuery { view: QueueView, targetId: string, locale: string, before: number | null }

function filterOf (q: QueueQuery): BottleFilter {
  const status: Record<QueueView, BottleFilter['status']> = {
    review: ['held', 'pending'], held: 'held', pending: 'pending', approved: 'approved', featured: 'approved', rejected: 'rejected', all: undefined
  }
  return { status: status[q.view], featured: q.view === 'featured', targetId: q.targetId || undefined, locale: q.locale || undefined, before: q.before ?? undefined }
}

/** Reads the queue's filters from a query string or a form; null when one is not valid. */
function readQuery (q: Record<string, unknown>): QueueQuery | null {
  const view = str(q.status) || 'review'
  const targetId = str(q.target)
  const locale = str(q.locale)
  const before = str(q.before)
  if (!(VIEWS as readonly string[]).includes(view)) return null
  if (targetId && !UUID_RE.test(targetId)) return null
  if (locale && !LOCALE_RE.test(locale)) return null
  if (before && !/^[1-9]\d{0,15}$/.test(before)) return null
  return { view: view as QueueView, targetId: targetId.toLowerCase(), locale, before: before ? Number(before) : null }
}

function queryString (q: QueueQuery, before?: number | null): string {
  const p = new URLSearchParams()
  if (q.view !== 'review') p.set('status', q.view)
  if (q.targetId) p.set('target', q.targetId)
  if (q.locale) p.set('locale', q.locale)
  if (before) p.set('before', String(before))
  const s = p.toString()
  return s ? `?${s}` : ''
}

/** Curating the bottle: the moderation queue, one by one or in bulk, and the campaign's blocked words. */
export async function bottleRoutes (app: FastifyInstance, { deps }: { deps: Deps }): Promise<void> {
  const { bottleRepo, bottle } = deps
  const base = (c: { id: string }) => `/admin/campaigns/${c.id}/bottle`

  async function renderQueue (request: BottleRequest, reply: FastifyReply, c: CampaignData, q: QueueQuery, opts: { wordsInput?: string, wordsError?: string, status?: number } = {}) {
    const tr = reply.adminTranslator()
    const f = filterOf(q)
    const [rows, counts, locales] = await Promise.all([
      bottleRepo.queue(c.id, f, QUEUE_PAGE),
      bottleRepo.counts(c.id, { targetId: f.targetId, locale: f.locale }),
      bottleRepo.locales(c.id)
    ])
    const more = rows.length > QUEUE_PAGE
    const items = rows.slice(0, QUEUE_PAGE)
    const canEdit = roleAtLeast(request.user!.role, 'editor')
    const viewCount: Record<QueueView, number> = {
      review: counts.held + counts.pending, held: counts.held, pending: counts.pending, approved: counts.approved, featured: counts.featured, rejected: counts.rejected, all: counts.all
    }
    // Targets of the campaign, active or not: messages may be addressed to one deactivated since.
    const targets = await deps.targetRepo.names(c.id)
    reply.code(opts.status ?? 200)
    return reply.adminView('admin/bottle.eta', {
      tabs: campaignTabs(tr, c, 'bottle'),
      title: tr.t('admin.bottle.title', { campaign: campaignTitle(c, tr.locale) }),
      campaign: { id: c.id, title: campaignTitle(c, tr.locale), url: `/admin/campaigns/${c.id}`, targetsUrl: `/admin/campaigns/${c.id}/targets`, messagesUrl: `/admin/campaigns/${c.id}/messages`, wallUrl: `/c/${c.slug}/wall`, public: c.status !== 'draft' },
      canEdit,
      listUrl: base(c),
      moderateAction: `${base(c)}/moderate`,
      wordsAction: `${base(c)}/blocked-words`,
      query: { status: q.view, target: q.targetId, locale: q.locale, before: q.before ? String(q.before) : '' },
      views: VIEWS.map((v) => ({ code: v, label: tr.t(`admin.bottle.views.${v}`), count: viewCount[v], url: `${base(c)}${queryString({ ...q, view: v, before: null })}`, current: v === q.view })),
      targets,
      locales: [...new Set([...Object.keys(c.texts), ...locales])].sort().map((code) => ({ code, label: languageName(code, tr.locale) })),
      ops: OPS.map((op) => ({ code: op, label: tr.t(`admin.bottle.ops.${op}`) })),
      items: items.map((m) => ({
        id: m.id,
        text: m.text,
        locale: m.locale,
        localeLabel: languageName(m.locale, tr.locale),
        targetName: m.targetName,
        signature: [m.signatureName, m.signatureTown].filter(Boolean).join(', '),
        publishConsent: m.publishConsent,
        consentVersion: m.consentVersion,
        status: m.status,
        statusLabel: tr.t(`admin.bottle.status.${m.status}`),
        featured: m.featured,
        holdReasons: m.holdReasons.map((r) => tr.t(`admin.bottle.reasons.${r}`)),
        sentOn: m.sentOn ? tr.t(`admin.messages.channels.${m.sentOn}`) : null,
        createdAt: formatDateTime(tr.locale, m.createdAt, c.timeZone),
        reviewed: m.reviewedAt ? tr.t('admin.bottle.reviewed', { who: m.reviewedByEmail ?? tr.t('admin.bottle.someone'), when: formatDateTime(tr.locale, m.reviewedAt, c.timeZone) }) : null,
        ops: OPS.filter((op) => (op === 'approve' && m.status !== 'approved') || (op === 'reject' && m.status !== 'rejected') ||
          (op === 'feature' && !(m.status === 'approved' && m.featured)) || (op === 'unfeature' && m.featured))
          .map((op) => ({ code: op, label: tr.t(`admin.bottle.ops.${op}`) }))
      })),
      olderUrl: more ? `${base(c)}${queryString(q, items[items.length - 1]!.id)}` : null,
      newestUrl: q.before ? `${base(c)}${queryString(q)}` : null,
      words: c.blockedWords,
      wordsInput: opts.wordsInput ?? c.blockedWords.join('\n'),
      wordsError: opts.wordsError ?? null,
      wordsMax: BLOCKED_WORDS_MAX,
      wordMax: WORD_MAX
    })
  }

  app.get('/admin/campaigns/:id/bottle', { config: { access: 'viewer' } }, async (request: BottleRequest, reply) => {
    const c = await campaignOr404(deps, request.params.id, reply)
    if (!c) return reply
    const q = readQuery(request.query)
    if (!q) return reply.sendError(400, 'admin.bottle.errors.filter', { back: { href: base(c), labelKey: 'admin.bottle.heading' } })
    return renderQueue(request, reply, c, q)
  })

  // One form for the whole page: a row's own button sends one=<op>:<id>; the bulk bar sends op with the ticked ids.
  app.post('/admin/campaigns/:id/bottle/moderate', { config: { access: 'editor' } }, async (request: BottleRequest, reply) => {
    const c = await campaignOr404(deps, request.params.id, reply)
    if (!c) return reply
    const body = (request.body ?? {}) as Body
    const q = readQuery(body) ?? { view: 'review', targetId: '', locale: '', before: null }
    const back = `${base(c)}${queryString(q, q.before)}`
    let op: string
    let raw: unknown[]
    const one = str(body.one)
    if (one) {
      const m = /^([a-z]+):(\d{1,16})$/.exec(one)
      op = m?.[1] ?? ''
      raw = m ? [m[2]] : ['']
    } else {
      op = str(body.op)
      raw = Array.isArray(body.ids) ? body.ids : body.ids === undefined ? [] : [body.ids]
    }
    if (!(OPS as readonly string[]).includes(op)) return reply.sendError(400, 'admin.bottle.errors.op', { back: { href: back, labelKey: 'admin.bottle.heading' } })
    if (raw.length > QUEUE_PAGE || raw.some((v) => typeof v !== 'string' || !/^[1-9]\d{0,15}$/.test(v))) {
      return reply.sendError(400, 'admin.bottle.errors.ids', { back: { href: back, labelKey: 'admin.bottle.heading' } })
    }
    if (raw.length === 0) {
      reply.flash({ type: 'warning', key: 'admin.bottle.flash.none' })
      return reply.redirect(back, 303)
    }
    const ids = [...new Set(raw.map(Number))]
    const changed = await bottle.moderate(request.user!, c, ids, op as ModerationOp)
    reply.flash({ type: 'success', key: `admin.bottle.flash.${op}`, vars: { count: changed.length } })
    return reply.redirect(back, 303)
  })

  app.post('/admin/campaigns/:id/bottle/blocked-words', { config: { access: 'editor' } }, async (request: BottleRequest, reply) => {
    const c = await campaignOr404(deps, request.params.id, reply)
    if (!c) return reply
    const body = (request.body ?? {}) as Body
    const input = str(body.words)
    const q = readQuery(body) ?? { view: 'review', targetId: '', locale: '', before: null }
    const parsed = input.length > 100_000 ? { ok: false as const, error: 'tooMany' as const } : parseBlockedWords(input)
    if (!parsed.ok) {
      const tr = reply.adminTranslator()
      const error = tr.t(`admin.bottle.words.errors.${parsed.error}`, { max: parsed.error === 'tooMany' ? BLOCKED_WORDS_MAX : WORD_MAX, word: 'word' in parsed ? parsed.word ?? '' : '' })
      return renderQueue(request, reply, c, q, { wordsInput: input.slice(0, 100_000), wordsError: error, status: 400 })
    }
    await bottle.setBlockedWords(request.user!, c, parsed.words)
    reply.flash({ type: 'success', key: 'admin.bottle.flash.words', vars: { count: parsed.words.length } })
    return reply.redirect(`${base(c)}${queryString(q, q.before)}#blocked-words`, 303)
  })
}
