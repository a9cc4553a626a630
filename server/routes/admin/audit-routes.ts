import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Deps } from '../../deps.ts'
import { auditChanges, shorten, type AuditValue } from '../../domain/audit-diff.ts'
import type { Translator } from '../../i18n.ts'
import { formatDateTime, labelOr, UUID_RE } from './format.ts'

export const AUDIT_PAGE_SIZE = 50
const ISO_DATE = /^\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:\d\d)$/

function valueText (tr: Translator, field: string, v: AuditValue | null): string | null {
  if (v === null) return null
  if (typeof v === 'boolean') return tr.t(v ? 'admin.common.yes' : 'admin.common.no')
  if (typeof v === 'number') return tr.n(v)
  const leaf = field.split('.').pop()
  if (leaf === 'role') return labelOr(tr, `admin.roles.${v}`, v)
  if (leaf === 'status') return labelOr(tr, `admin.status.${v}`, v)
  if (ISO_DATE.test(v)) return formatDateTime(tr.locale, v)
  return shorten(v)
}

// What the entry is about, in a word a person recognises: an e-mail, a slug, a name.
function subject (before: unknown, after: unknown): string | null {
  for (const side of [after, before]) {
    if (side && typeof side === 'object' && !Array.isArray(side)) {
      const o = side as Record<string, unknown>
      for (const k of ['email', 'slug', 'name', 'title']) if (typeof o[k] === 'string' && o[k]) return shorten(o[k] as string, 80)
    }
  }
  return null
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
    const entries = rows.slice(0, AUDIT_PAGE_SIZE).map(({ entry: e, campaignSlug }) => ({
      id: e.id,
      when: { text: formatDateTime(tr.locale, e.createdAt), iso: e.createdAt.toISOString() },
      who: e.userId === null && (e.userEmail === 'system' || !e.userEmail) ? tr.t('admin.audit.system') : e.userEmail,
      action: labelOr(tr, `admin.audit.action.${e.action}`, e.action),
      entity: labelOr(tr, `admin.audit.entity.${e.entity}`, e.entity),
      subject: subject(e.before, e.after),
      campaign: e.campaignId ? { id: e.campaignId, slug: campaignSlug ?? e.campaignId.slice(0, 8) } : null,
      changes: auditChanges(e.before, e.after).map((c) => ({
        field: c.field,
        // texts.fr.title → "textes › fr › titre": each known segment named, the rest (a locale, a row number) as it is.
        label: c.field.split('.').map((part) => labelOr(tr, `admin.audit.field.${part}`, part)).join(' › '),
        kind: c.kind,
        before: valueText(tr, c.field, c.before),
        after: valueText(tr, c.field, c.after)
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
