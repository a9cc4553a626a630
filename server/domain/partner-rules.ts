// What a partner ("tête de réseau") is made of, checked before it is stored, and the ranking of partners by actions.
import { isAttributionCode } from './reach-links.ts'
import type { FieldError } from './target-rules.ts'

export const PARTNER_NAME_MAX = 120
export const PARTNER_LINE_MAX = 140
// A pragmatic shape check (one @, a dot in the domain, no spaces): the mailer's server has the last word.
const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/

export interface PartnerFields { name: string, code: string, email: string, lines: Record<string, string>, onLeaderboard: boolean }
export interface PartnerValues { name: string, code: string, email: string | null, lines: Record<string, string>, onLeaderboard: boolean }

/** Checks a partner's form: name, code (an attribution code), optional e-mail, one optional line per campaign language. */
export function validatePartner (f: PartnerFields, locales: readonly string[]): { values: PartnerValues | null, errors: FieldError[] } {
  const errors: FieldError[] = []
  const name = f.name.replace(/\s+/g, ' ').trim()
  if (!name) errors.push({ field: 'name', key: 'admin.partners.errors.nameRequired' })
  else if ([...name].length > PARTNER_NAME_MAX) errors.push({ field: 'name', key: 'admin.partners.errors.nameTooLong', vars: { max: PARTNER_NAME_MAX } })
  const code = f.code.trim()
  if (!isAttributionCode(code)) errors.push({ field: 'code', key: 'admin.partners.errors.code' })
  const email = f.email.trim()
  if (email && (!EMAIL_RE.test(email) || email.length > 254)) errors.push({ field: 'email', key: 'admin.partners.errors.email' })
  const lines: Record<string, string> = {}
  for (const locale of locales) {
    const line = (f.lines[locale] ?? '').replace(/\s+/g, ' ').trim()
    if ([...line].length > PARTNER_LINE_MAX) errors.push({ field: `line_${locale}`, key: 'admin.partners.errors.lineTooLong', vars: { max: PARTNER_LINE_MAX } })
    else if (line) lines[locale] = line
  }
  return errors.length ? { values: null, errors } : { values: { name, code, email: email || null, lines, onLeaderboard: f.onLeaderboard }, errors }
}

/** Partners ranked by actions, most first (ties share a rank: 1, 2, 2, 4), then by name. */
export function rankPartners<T extends { name: string, count: number }> (list: readonly T[]): Array<T & { rank: number }> {
  const sorted = [...list].sort((a, b) => b.count - a.count || a.name.localeCompare(b.name))
  let rank = 0
  return sorted.map((p, i) => {
    if (i === 0 || p.count !== sorted[i - 1]!.count) rank = i + 1
    return { ...p, rank }
  })
}
