// Small presentation helpers shared by admin pages.
import type { Translator } from '../../i18n.ts'

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

const formats = new Map<string, Intl.DateTimeFormat>()

/** A date and time for people, in the locale and the server's time zone: "3 mars 2026, 14:05". */
export function formatDateTime (locale: string, date: Date | string): string {
  let f = formats.get(locale)
  if (!f) {
    f = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' })
    formats.set(locale, f)
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
