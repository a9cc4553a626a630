import type { Handles } from '../db/schema.ts'
import { HANDLE_NETWORKS, handleEntries, handleKey, normalizeHandle, type HandleNetwork } from './handles.ts'
import { isEmail } from './intents.ts'

/** What a campaigner typed for a target (a form or a CSV row): plain strings, any of them possibly empty. */
export interface TargetFields {
  name: string
  /** per locale */
  role: Record<string, string>
  organisation: string
  country: string
  handles: Partial<Record<HandleNetwork, string>>
  email: string
  /** comma-separated */
  groups: string
  /** the preferred language, a BCP 47 tag; empty: the campaign's default (absent in callers that do not ask) */
  language?: string
}

/** A target ready to store. */
export interface TargetValues {
  name: string
  role: Record<string, string>
  organisation: string
  country: string
  handles: Handles
  email: string | null
  groups: string[]
  /** canonical BCP 47 tag, or null for the campaign's default language */
  language: string | null
}

/** A problem with one field: the i18n key that explains it, with its variables. */
export interface FieldError { field: string, key: string, vars?: Record<string, string | number> }

export const TARGET_LIMITS = { name: 120, role: 200, organisation: 200, email: 254, group: 40, groups: 20 } as const

// Codes that are in ISO 3166 but name no country (exceptionally reserved, user-assigned); Kosovo's XK is kept, as everyone uses it.
const NOT_COUNTRIES = new Set(['AA', 'AC', 'CP', 'CQ', 'DG', 'EA', 'EU', 'EZ', 'FX', 'IC', 'TA', 'UN', 'ZZ'])
const regionNames = new Intl.DisplayNames('en', { type: 'region', fallback: 'none' })

/** Whether a code is an ISO 3166-1 alpha-2 country code (upper case), as the platform's Intl data knows it. */
export function isCountryCode (code: string): boolean {
  if (!/^[A-Z]{2}$/.test(code) || NOT_COUNTRIES.has(code)) return false
  if (/^(?:Q[M-Z]|X[A-JL-Z])$/.test(code)) return false
  if (canonicalCountry(code) !== code) return false
  try {
    return regionNames.of(code) !== undefined
  } catch {
    return false
  }
}

/** The current code for a retired or alias one ('UK' → 'GB', 'SU' → 'RU'), or the code itself. */
export function canonicalCountry (code: string): string {
  try {
    return Intl.getCanonicalLocales(`und-${code}`)[0]?.slice(4) ?? code
  } catch {
    return code
  }
}

let allCodes: string[] | null = null
/** Every ISO 3166-1 alpha-2 country code the platform's Intl data knows (isCountryCode), in code order. */
export function countryCodes (): readonly string[] {
  if (!allCodes) {
    const letters = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZ']
    allCodes = letters.flatMap((a) => letters.map((b) => a + b)).filter(isCountryCode)
  }
  return allCodes
}

// Names compared without case, accents or punctuation: "cote d'ivoire" finds "Côte d’Ivoire".
const countryKey = (s: string) => s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim()
const codesByName = new Map<string, Map<string, string>>()

/**
 * What a form's country field names, as a code: '' when empty, the field itself upper-cased when it is two letters
 * (validateTarget checks it), the code of a country named in one of the locales ('Allemagne' → 'DE'), or null.
 */
export function countryFromInput (input: string, locales: readonly string[]): string | null {
  const typed = cleanText(input)
  if (!typed) return ''
  if (/^[A-Za-z]{2}$/.test(typed)) return typed.toUpperCase()
  const key = countryKey(typed)
  for (const locale of locales) {
    let names = codesByName.get(locale)
    if (!names) {
      const display = new Intl.DisplayNames([locale], { type: 'region', fallback: 'none' })
      names = new Map(countryCodes().map((code) => [countryKey(display.of(code) ?? code), code]))
      codesByName.set(locale, names)
    }
    const code = names.get(key)
    if (code) return code
  }
  return null
}

/** One line of text as it will be stored: NFC, no control characters, single spaces. */
export function cleanText (s: string): string {
  return s.normalize('NFC').replace(/\p{Cc}+/gu, ' ').replace(/\s+/g, ' ').trim()
}

/** Groups typed as 'eu, g7,  major emitters' → ['eu', 'g7', 'major emitters'], without repeats. */
export function parseGroups (s: string): string[] {
  const seen = new Set<string>()
  const out: string[] = []
  for (const part of s.split(',')) {
    const g = cleanText(part)
    if (!g || seen.has(g.toLowerCase())) continue
    seen.add(g.toLowerCase())
    out.push(g)
  }
  return out
}

/** Checks and normalises a target's fields; the locales are those a role is asked for. */
export function validateTarget (input: TargetFields, locales: readonly string[]): { values: TargetValues, errors: FieldError[] } {
  const errors: FieldError[] = []
  const name = cleanText(input.name)
  if (!name) errors.push({ field: 'name', key: 'admin.targets.errors.nameMissing' })
  else if ([...name].length > TARGET_LIMITS.name) errors.push({ field: 'name', key: 'admin.targets.errors.tooLong', vars: { max: TARGET_LIMITS.name } })

  const role: Record<string, string> = {}
  for (const locale of locales) {
    const r = cleanText(input.role[locale] ?? '')
    if ([...r].length > TARGET_LIMITS.role) errors.push({ field: `role_${locale}`, key: 'admin.targets.errors.tooLong', vars: { max: TARGET_LIMITS.role } })
    if (r) role[locale] = r
  }

  const organisation = cleanText(input.organisation)
  if ([...organisation].length > TARGET_LIMITS.organisation) errors.push({ field: 'organisation', key: 'admin.targets.errors.tooLong', vars: { max: TARGET_LIMITS.organisation } })

  const country = cleanText(input.country).toUpperCase()
  if (country && !isCountryCode(country)) {
    const better = /^[A-Z]{2}$/.test(country) ? canonicalCountry(country) : country
    errors.push(better !== country && isCountryCode(better)
      ? { field: 'country', key: 'admin.targets.errors.countryAlias', vars: { code: country, better } }
      : { field: 'country', key: 'admin.targets.errors.country', vars: { code: country } })
  }

  const handles: Handles = {}
  for (const network of HANDLE_NETWORKS) {
    const raw = cleanText(input.handles[network] ?? '')
    if (!raw) continue
    const h = normalizeHandle(network, raw)
    if (h) handles[network] = h
    else errors.push({ field: network, key: `admin.targets.errors.handle.${network}`, vars: { value: raw } })
  }

  const emailRaw = cleanText(input.email)
  if (emailRaw && !isEmail(emailRaw)) errors.push({ field: 'email', key: 'admin.targets.errors.email', vars: { value: emailRaw } })

  const groups = parseGroups(input.groups)
  const longGroup = groups.find((g) => [...g].length > TARGET_LIMITS.group)
  if (longGroup) errors.push({ field: 'groups', key: 'admin.targets.errors.groupTooLong', vars: { max: TARGET_LIMITS.group } })
  else if (groups.length > TARGET_LIMITS.groups) errors.push({ field: 'groups', key: 'admin.targets.errors.tooManyGroups', vars: { max: TARGET_LIMITS.groups } })

  const languageRaw = cleanText(input.language ?? '')
  const language = languageRaw ? canonicalLanguage(languageRaw) : null
  if (languageRaw && !language) errors.push({ field: 'language', key: 'admin.targets.errors.language', vars: { value: languageRaw } })

  return { values: { name, role, organisation, country, handles, email: emailRaw || null, groups, language }, errors }
}

/**
 * A language tag in its canonical BCP 47 form ('PT-br' → 'pt-BR', 'iw' → 'he'), or null when it is not one.
 * Intl.getCanonicalLocales follows UTS #35 / BCP 47 (https://tc39.es/ecma402/#sec-intl.getcanonicallocales, checked 2026-12-04);
 * the private-use and grandfathered forms it also accepts are refused: a dossier needs a real language.
 */
export function canonicalLanguage (input: string): string | null {
  const tag = input.trim().replace(/_/g, '-')
  if (!/^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$/.test(tag) || tag.length > 35) return null
  try {
    const [canonical] = Intl.getCanonicalLocales(tag)
    return canonical ?? null
  } catch {
    return null
  }
}

/** The key under which two names are the same person: case, accents' encoding and spacing aside. */
export function nameKey (name: string): string {
  return cleanText(name).toLowerCase()
}

/** An existing target, as far as duplicates go. */
export interface KnownTarget { id?: string, name: string, handles: Handles, active?: boolean }

/** Indexes targets by name and by handle, to find a duplicate of a new one. */
export function createDuplicateIndex (known: readonly KnownTarget[] = []) {
  const byKey = new Map<string, KnownTarget[]>()
  const put = (key: string, t: KnownTarget) => {
    const list = byKey.get(key)
    if (list) list.push(t)
    else byKey.set(key, [t])
  }
  const add = (t: KnownTarget) => {
    put(`name:${nameKey(t.name)}`, t)
    for (const [n, h] of handleEntries(t.handles)) put(handleKey(n, h), t)
  }
  for (const t of known) add(t)
  return {
    add,
    /** The first other target that has this one's name or one of its handles (a target is not its own duplicate: same id). */
    find (t: KnownTarget): { by: 'name' | HandleNetwork, other: KnownTarget } | null {
      const other = (key: string) => byKey.get(key)?.find((o) => o !== t && (t.id === undefined || o.id !== t.id))
      const sameName = other(`name:${nameKey(t.name)}`)
      if (sameName) return { by: 'name', other: sameName }
      for (const [n, h] of handleEntries(t.handles)) {
        const o = other(handleKey(n, h))
        if (o) return { by: n, other: o }
      }
      return null
    }
  }
}
