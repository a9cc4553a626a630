// The filters of the campaign exports: dates on the campaign's clocks, one target, one channel.
import type { Channel } from '../db/schema.ts'
import { CHANNEL_ORDER, parseLocalDateTime } from './campaign-rules.ts'

export type ExportField = 'from' | 'to' | 'target' | 'channel'
export const EXPORT_FIELDS: readonly ExportField[] = ['from', 'to', 'target', 'channel']

/** What the export covers. since is inclusive, until exclusive (the day after `to` starts); null means no bound. */
export interface ExportFilter {
  /** the days as typed (YYYY-MM-DD, on the campaign's clocks), for the form, file names and the audit log */
  from: string | null
  to: string | null
  since: Date | null
  until: Date | null
  targetId: string | null
  channel: Channel | null
}

/** A filter value to fix: the field, the i18n key of the message and its variables. */
export interface FilterError { field: ExportField, key: string, vars?: Record<string, string | number> }

export type FilterResult =
  | { ok: true, filter: ExportFilter }
  | { ok: false, errors: FilterError[], values: Record<ExportField, string> }

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/

/** The first instant of a day on a zone's clocks (just after midnight when a daylight-saving change skips it); null if not a real day. */
export function dayStart (day: string, timeZone: string): Date | null {
  if (!DATE_RE.test(day)) return null
  return parseLocalDateTime(`${day}T00:00`, timeZone)
}

/** The day after a YYYY-MM-DD day, as YYYY-MM-DD. */
function nextDay (day: string): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number]
  return new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10)
}

/** A single query value: a repeated parameter (?channel=x&channel=email) is refused rather than guessed. */
function single (v: unknown): { value: string } | { repeated: true } {
  if (Array.isArray(v)) return v.length <= 1 ? { value: typeof v[0] === 'string' ? v[0].trim() : '' } : { repeated: true }
  return { value: typeof v === 'string' ? v.trim() : '' }
}

/**
 * Reads the export filters of a query string against the campaign: `from` and `to` are days (YYYY-MM-DD) on the
 * campaign's clocks, both included; `target` one of its targets' ids; `channel` one of the channels. Empty means all.
 */
export function parseExportFilter (query: Partial<Record<ExportField, unknown>>, campaign: { timeZone: string, targetIds: ReadonlySet<string> }): FilterResult {
  const errors: FilterError[] = []
  const values = {} as Record<ExportField, string>
  for (const field of EXPORT_FIELDS) {
    const v = single(query[field])
    if ('repeated' in v) {
      errors.push({ field, key: 'admin.exports.errors.repeated', vars: { field } })
      values[field] = ''
    } else {
      values[field] = v.value.slice(0, 100)
    }
  }
  const filter: ExportFilter = { from: null, to: null, since: null, until: null, targetId: null, channel: null }

  for (const field of ['from', 'to'] as const) {
    const day = values[field]
    if (!day || errors.some((e) => e.field === field)) continue
    const start = dayStart(day, campaign.timeZone)
    if (!start) {
      errors.push({ field, key: 'admin.exports.errors.date', vars: { field, value: day } })
      continue
    }
    if (field === 'from') {
      filter.from = day
      filter.since = start
    } else {
      filter.to = day
      filter.until = dayStart(nextDay(day), campaign.timeZone)
    }
  }
  if (filter.from && filter.to && filter.from > filter.to) {
    errors.push({ field: 'to', key: 'admin.exports.errors.order', vars: { from: filter.from, to: filter.to } })
  }

  const target = values.target.toLowerCase()
  if (target && !errors.some((e) => e.field === 'target')) {
    if (campaign.targetIds.has(target)) filter.targetId = target
    else errors.push({ field: 'target', key: 'admin.exports.errors.target', vars: { value: values.target } })
  }

  const channel = values.channel.toLowerCase()
  if (channel && !errors.some((e) => e.field === 'channel')) {
    if ((CHANNEL_ORDER as readonly string[]).includes(channel)) filter.channel = channel as Channel
    else errors.push({ field: 'channel', key: 'admin.exports.errors.channel', vars: { value: values.channel, channels: CHANNEL_ORDER.join(', ') } })
  }

  return errors.length ? { ok: false, errors, values } : { ok: true, filter }
}

/** Whether the filter narrows anything. */
export function isFiltered (f: ExportFilter): boolean {
  return Boolean(f.from || f.to || f.targetId || f.channel)
}

/** The filter as query parameters (only those set), to link to a download with the same filter. */
export function filterQuery (f: ExportFilter): string {
  const q = new URLSearchParams()
  if (f.from) q.set('from', f.from)
  if (f.to) q.set('to', f.to)
  if (f.targetId) q.set('target', f.targetId)
  if (f.channel) q.set('channel', f.channel)
  const s = q.toString()
  return s ? `?${s}` : ''
}

/** A download's file name: slug, what, the filter and the day it was made ("cop16-actions-from-2026-03-01-x-2026-03-05.csv"). */
export function exportFileName (slug: string, kind: 'actions' | 'counts' | 'osdi', f: ExportFilter, now: Date, ext: 'csv' | 'json'): string {
  const parts = [slug, kind]
  if (f.from) parts.push(`from-${f.from}`)
  if (f.to) parts.push(`to-${f.to}`)
  if (f.channel) parts.push(f.channel)
  if (f.targetId) parts.push(`target-${f.targetId.slice(0, 8)}`)
  parts.push(now.toISOString().slice(0, 10))
  return `${parts.join('-')}.${ext}`
}
