// Small presentation helpers shared by admin pages.
import type { Translator } from '../../i18n.ts'

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

const formats = new Map<string, Intl.DateTimeFormat>()

/**
 * A date and time for people, labelled with its zone: a campaign's zone on its pages, else the installation's (the
 * server's TZ): "3 mars 2026, 14:05 UTC+1". One clock for every admin page, never an unlabelled UTC.
 */
export function formatDateTime (locale: string, date: Date | string, timeZone?: string): string {
  const key = `${locale}|${timeZone ?? ''}`
  let f = formats.get(key)
  if (!f) {
    // dateStyle cannot be combined with timeZoneName: the same medium date and short time, spelled out.
    f = new Intl.DateTimeFormat(locale, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short', timeZone })
    formats.set(key, f)
  }
  const d = typeof date === 'string' ? new Date(date) : date
  return Number.isNaN(d.getTime()) ? String(date) : f.format(d)
}

const zoned = new Map<string, Intl.DateTimeFormat>()

/** A date and time for people on a campaign's clock: the locale's medium date and short time in that time zone. */
export function formatInZone (date: Date, locale: string, timeZone: string): string {
  const key = `${locale}|${timeZone}`
  let f = zoned.get(key)
  if (!f) {
    f = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short', timeZone })
    zoned.set(key, f)
  }
  return f.format(date)
}

/** A translation when there is one, else the raw word (an area may log an action, or add a queue, this page has no label for). */
export function labelOr (tr: Translator, key: string, raw: string): string {
  const text = tr.t(key)
  return text === key ? raw : text
}
