import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { lookupLanguage, negotiateLanguage, textDirection } from './domain/languages.ts'

type Entry = string | Partial<Record<Intl.LDMLPluralRule, string>>
type Catalog = Record<string, Entry>

export interface Translator {
  /** the page's language (BCP 47): numbers, dates and plurals follow it, whatever catalog the words come from */
  locale: string
  /** the catalog the words come from: the locale's own, its parent's ('pt' for 'pt-BR'), else English */
  chrome: string
  /** the locale's writing direction */
  dir: 'ltr' | 'rtl'
  /** The text for a key, with {name} placeholders filled; a plural entry picks its form by vars.count. */
  t: (key: string, vars?: Record<string, string | number>) => string
  /** A number in the locale's formatting (French: U+202F thousands separator). */
  n: (value: number) => string
}

export interface I18n {
  /** every language with a catalog: the chrome's languages on pages that are not a campaign's */
  locales: readonly string[]
  /** the languages with admin catalogs (`<locale>.admin….json`): the admin speaks only those (fr, en) */
  adminLocales: readonly string[]
  translator: (locale: string) => Translator
  /** Picks one of the available languages (the catalogs' by default): explicit choice, then Accept-Language, then the fallback (see domain/languages.ts). */
  negotiate: (explicit: string | undefined, acceptLanguage: string | undefined, fallback: string, available?: readonly string[]) => string
}

/**
 * Loads every `<locale>.json` (and `<locale>.<part>.json`) in dir: dropping a file in adds a language. A translator
 * exists for any BCP 47 tag: its words come from the closest catalog (RFC 4647 lookup: 'pt-BR' → 'pt'), key by key
 * falling back to English, then to the key; its numbers, dates and plurals follow the tag itself.
 */
export function createI18n (dir: string): I18n {
  const catalogs = new Map<string, Catalog>()
  const admin = new Set<string>()
  // `fr.json` holds a language; `fr.<part>.json` files (one per area, e.g. fr.admin.json) add to it.
  for (const file of readdirSync(dir).sort()) {
    const m = /^([a-z]{2,3}(?:-[A-Z][a-z]{3})?(?:-[A-Z]{2}|-\d{3})?)(?:\.([a-z0-9-]+))?\.json$/.exec(file)
    if (!m) continue
    if (m[2]?.startsWith('admin')) admin.add(m[1]!)
    const entries = flatten(JSON.parse(readFileSync(join(dir, file), 'utf8')) as Record<string, unknown>)
    catalogs.set(m[1]!, { ...catalogs.get(m[1]!), ...entries })
  }
  const locales = [...catalogs.keys()]
  const translators = new Map<string, Translator>()

  const build = (locale: string): Translator => {
    const chrome = lookupLanguage(locales, [locale]) ?? 'en'
    // pt-BR's own catalog, then pt's, then English: each key from the closest one that has it.
    const chain: string[] = []
    for (const parts = locale.split('-'); parts.length > 0; parts.pop()) {
      const tag = lookupLanguage(locales, [parts.join('-')])
      if (tag && !chain.includes(tag) && locale.toLowerCase().startsWith(tag.toLowerCase())) chain.push(tag)
    }
    const own: Catalog = Object.assign({}, ...chain.reverse().map((tag) => catalogs.get(tag)))
    const en = catalogs.get('en') ?? {}
    const plural = new Intl.PluralRules(locale)
    // An English entry standing in for a missing one picks its form by English rules ("1 action" on a Japanese page).
    const englishPlural = new Intl.PluralRules('en')
    const numbers = new Intl.NumberFormat(locale)
    const n = (value: number): string => numbers.format(value)
    const t = (key: string, vars?: Record<string, string | number>): string => {
      const ownEntry = own[key]
      const entry = ownEntry ?? en[key]
      if (entry === undefined) return key
      let text: string
      if (typeof entry === 'string') {
        text = entry
      } else {
        const count = Number(vars?.count ?? 0)
        text = entry[(ownEntry ? plural : englishPlural).select(count)] ?? entry.other ?? key
      }
      if (!vars) return text
      return text.replace(/\{(\w+)\}/g, (all, name: string) => {
        const v = vars[name]
        if (v === undefined) return all
        return typeof v === 'number' ? n(v) : v
      })
    }
    return { locale, chrome, dir: textDirection(locale), t, n }
  }

  const translator = (locale: string): Translator => {
    let tr = translators.get(locale)
    if (!tr) {
      let tag = 'en'
      try { tag = Intl.getCanonicalLocales(locale)[0] ?? 'en' } catch {}
      tr = translators.get(tag) ?? build(tag)
      // Tags come from campaigns and catalogs (a bounded set); the bound guards against anything else.
      if (translators.size >= 500) translators.clear()
      translators.set(locale, tr)
    }
    return tr
  }

  // Browsers send a few distinct Accept-Language headers: each is parsed once (bounded, for made-up ones).
  const negotiated = new Map<string, string>()
  const negotiate = (explicit: string | undefined, acceptLanguage: string | undefined, fallback: string, available: readonly string[] = locales): string => {
    const memo = `${available.join(',')}\u0000${explicit ?? ''}\u0000${acceptLanguage ?? ''}\u0000${fallback}`
    let found = negotiated.get(memo)
    if (found === undefined) {
      const fb = available.includes(fallback) ? fallback : (available[0] ?? 'en')
      found = negotiateLanguage(available, explicit, acceptLanguage, fb)
      if (negotiated.size >= 500) negotiated.clear()
      negotiated.set(memo, found)
    }
    return found
  }

  return { locales, adminLocales: locales.filter((l) => admin.has(l)), translator, negotiate }
}

function flatten (obj: Record<string, unknown>, prefix = '', out: Catalog = {}): Catalog {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k
    if (typeof v === 'string') {
      out[key] = v
    } else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>
      if (typeof o.other === 'string') out[key] = o as Entry
      else flatten(o, key, out)
    }
  }
  return out
}

const regionNames = new Map<string, Intl.DisplayNames>()
/** A country's name in a language ('FR' → 'France'), or the code when unknown; '' for no code. */
export function countryName (locale: string, code: string): string {
  if (!code) return ''
  let names = regionNames.get(locale)
  if (!names) {
    names = new Intl.DisplayNames([locale], { type: 'region' })
    regionNames.set(locale, names)
  }
  try { return names.of(code.toUpperCase()) ?? code } catch { return code }
}
