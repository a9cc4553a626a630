import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Deps } from '../../deps.ts'
import { auditChanges, shorten, type AuditValue } from '../../domain/audit-diff.ts'
import type { Translator } from '../../i18n.ts'
import { formatDateTime, labelOr, UUID_RE } from './format.ts'

export const AUDIT_PAGE_SIZE = 50
const ISO_DATE = /^\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:\d\d)$/

const UUID_ANY = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
// Fields that only say where a row lives (its own id, its campaign, its order): never shown, the sentence says it.
const HIDDEN_FIELDS = new Set(['id', 'campaignId', 'photoBytes', 'position', 'createdAt', 'updatedAt', 'text'])
// A moderation's sentence names the message's target; elsewhere (an export's filter) the target is a field to show.
const shownField = (entity: string, field: string): boolean => {
  const leaf = field.split('.').pop() ?? ''
  return !HIDDEN_FIELDS.has(leaf) && !(leaf === 'target' && entity === 'bottle_message')
}
// A byte count written by older entries for a photo: "a photo", never a number of bytes.
const BYTES = /^<\d+ bytes>$/

function valueText (tr: Translator, field: string, v: AuditValue | null, names: Map<string, string>, timeZone?: string): string | null {
  if (v === null) return null
  if (typeof v === 'string' && UUID_ANY.test(v)) return shorten(names.get(v.toLowerCase()) ?? tr.t('admin.audit.gone'), 80)
  if (typeof v === 'string' && (BYTES.test(v) || field.split('.').pop() === 'photoUrl')) return tr.t('admin.audit.photoValue')
  if (typeof v === 'boolean') return tr.t(v ? 'admin.common.yes' : 'admin.common.no')
  if (typeof v === 'number') return tr.n(v)
  const leaf = field.split('.').pop()
  if (leaf === 'role') return labelOr(tr, `admin.roles.${v}`, v)
  if (leaf === 'status') return labelOr(tr, `admin.status.${v}`, v)
  if (ISO_DATE.test(v)) return formatDateTime(tr.locale, v, timeZone)
  return shorten(v)
}

// What the entry is about, in a word a person recognises: an e-mail, a slug, a name.
function subject (before: unknown, after: unknown): string | null {
  for (const side of [after, before]) {
    if (side && typeof side === 'object' && !Array.isArray(side)) {
      const o = side as Record<string, unknown>
      for (const k of ['email', 'slug', 'name', 'title', 'text', 'body']) if (typeof o[k] === 'string' && o[k]) return shorten(o[k] as string, 80)
    }
  }
  return null
}

/** What happened, in words: "approved the message “…” to Claudia Reyes"; an entry this page has no sentence for keeps "entity action". */
function sentence (tr: Translator, entity: string, action: string, before: unknown, after: unknown, names: Map<string, string>): string {
  const side = (after ?? before ?? {}) as Record<string, unknown>
  const targetId = typeof side.targetId === 'string' ? side.targetId.toLowerCase() : ''
  const vars = {
    subject: subject(before, after) ?? '',
    target: typeof side.target === 'string' ? side.target : (names.get(targetId) ?? '')
  }
  const key = `admin.audit.says.${entity}.${action}`
  const said = tr.t(key, vars)
  if (said !== key) return said
  return `${labelOr(tr, `admin.audit.entity.${entity}`, entity)} ${labelOr(tr, `admin.audit.action.${action}`, action)}${vars.subject ? ` “${vars.subject}”` : ''}`
}

/** The audit log (owner only): every admin change, newest first, with before → after per field; filter by campaign. */
export async function auditRoutes (app: FastifyInstance, { deps }: { deps: Deps }): Promise<void> {
  const { audit } = deps

  app.get('/admin/audit', { config: { access: 'owner' } }, async (request: FastifyRequest<{ Querystring: { campaign?: string, page?: string } }>, reply) => {
    const tr = reply.adminTranslator()
    const campaignId = typeof request.query.campaign === 'string' && request.query.campaign !== '' ? request.query.campaign : undefined
    const choices = await audit.campaignChoices()
    if (campaignId && (!UUID_RE.test(campaignId) || !choices.some((c) => c.id === campaignId))) {
      return reply.sendError(404, 'errors.notFound.message', { back: { href: '/admin/audit', labelKey: 'admin.nav.audit' } })
    }
    const page = Math.min(Math.max(1, Number.parseInt(String(request.query.page ?? '1'), 10) || 1), 100_000)
    // One row more than shown tells whether there is an older page.
    const rows = await audit.list({ limit: AUDIT_PAGE_SIZE + 1, offset: (page - 1) * AUDIT_PAGE_SIZE, campaignId })
    const href = (p: number) => {
      const q = new URLSearchParams()
      if (campaignId) q.set('campaign', campaignId)
      if (p > 1) q.set('page', String(p))
      const s = q.toString()
      return s ? `/admin/audit?${s}` : '/admin/audit'
    }
    const shown = rows.slice(0, AUDIT_PAGE_SIZE)
    // Every id a change mentions, named in one query per kind.
    const ids = new Set<string>()
    const collect = (v: unknown): void => {
      if (typeof v === 'string' && UUID_ANY.test(v)) ids.add(v.toLowerCase())
      else if (v && typeof v === 'object') for (const x of Object.values(v)) collect(x)
    }
    for (const { entry } of shown) { collect(entry.before); collect(entry.after) }
    const names = await audit.names([...ids])
    const entries = shown.map(({ entry: e, campaignSlug, campaignTimeZone, userName }) => ({
      id: e.id,
      // A campaign's entries on its clock; the others on the installation's. Always labelled with the zone.
      when: { text: formatDateTime(tr.locale, e.createdAt, campaignTimeZone ?? undefined), iso: e.createdAt.toISOString() },
      who: e.userId === null && (e.userEmail === 'system' || !e.userEmail) ? { name: tr.t('admin.audit.system'), email: '' } : { name: userName || e.userEmail, email: userName ? e.userEmail : '' },
      sentence: sentence(tr, e.entity, e.action, e.before, e.after, names),
      campaign: e.campaignId ? { id: e.campaignId, slug: campaignSlug ?? tr.t('admin.audit.gone') } : null,
      changes: auditChanges(e.before, e.after).filter((c) => shownField(e.entity, c.field)).map((c) => ({
        field: c.field,
        // texts.fr.title → "textes › fr › titre": each known segment named, the rest (a locale, a row number) as it is.
        label: c.field.split('.').map((part) => labelOr(tr, `admin.audit.field.${part}`, part)).join(' › '),
        kind: c.kind,
        before: valueText(tr, c.field, c.before, names, campaignTimeZone ?? undefined),
        after: valueText(tr, c.field, c.after, names, campaignTimeZone ?? undefined)
      }))
    }))
    return reply.adminView('admin/audit.eta', {
      title: tr.t('admin.audit.title'),
      entries,
      campaigns: choices,
      campaignId: campaignId ?? '',
      page,
      newer: page > 1 ? href(page - 1) : null,
      older: rows.length > AUDIT_PAGE_SIZE ? href(page + 1) : null
    })
  })
}
