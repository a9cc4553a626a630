import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

type Entry = string | Partial<Record<Intl.LDMLPluralRule, string>>
type Catalog = Record<string, Entry>

export interface Translator {
  locale: string
  /** The text for a key, with {name} placeholders filled; a plural entry picks its form by vars.count. */
  t: (key: string, vars?: Record<string, string | number>) => string
  /** A number in the locale's formatting (French: U+202F thousands separator). */
  n: (value: number) => string
}

export interface I18n {
  locales: readonly string[]
  translator: (locale: string) => Translator
  /** Picks a supported locale: explicit choice, then Accept-Language, then the fallback. */
  negotiate: (explicit: string | undefined, acceptLanguage: string | undefined, fallback: string) => string
}

/** Loads every `<locale>.json` (and `<locale>.<part>.json`) in dir: dropping a file in adds a language. Missing keys fall back to English, then to the key. */
export function createI18n (dir: string): I18n {
  const catalogs = new Map<string, Catalog>()
  // `fr.json` holds a language; `fr.<part>.json` files (one per area, e.g. fr.admin.json) add to it.
  for (const file of readdirSync(dir).sort()) {
    const m = /^([a-z]{2}(?:-[A-Z]{2})?)(?:\.[a-z0-9-]+)?\.json$/.exec(file)
    if (!m) continue
    const entries = flatten(JSON.parse(readFileSync(join(dir, file), 'utf8')) as Record<string, unknown>)
    catalogs.set(m[1]!, { ...catalogs.get(m[1]!), ...entries })
  }
  const locales = [...catalogs.keys()]
  const translators = new Map<string, Translator>()

  const build = (locale: string): Translator => {
    const own = catalogs.get(locale) ?? {}
    const en = catalogs.get('en') ?? {}
    const plural = new Intl.PluralRules(locale)
    const numbers = new Intl.NumberFormat(locale)
    const n = (value: number): string => numbers.format(value)
    const t = (key: string, vars?: Record<string, string | number>): string => {
      const entry = own[key] ?? en[key]
      if (entry === undefined) return key
      let text: string
      if (typeof entry === 'string') {
        text = entry
      } else {
        const count = Number(vars?.count ?? 0)
        text = entry[plural.select(count)] ?? entry.other ?? key
      }
      if (!vars) return text
      return text.replace(/\{(\w+)\}/g, (all, name: string) => {
        const v = vars[name]
        if (v === undefined) return all
        return typeof v === 'number' ? n(v) : v
      })
    }
    return { locale, t, n }
  }

  const translator = (locale: string): Translator => {
    let tr = translators.get(locale)
    if (!tr) {
      tr = build(catalogs.has(locale) ? locale : 'en')
      translators.set(locale, tr)
    }
    return tr
  }

  // Browsers send a few distinct Accept-Language headers: each is parsed once (bounded, for made-up ones).
  const negotiated = new Map<string, string>()
  const negotiate = (explicit: string | undefined, acceptLanguage: string | undefined, fallback: string): string => {
    if (explicit && catalogs.has(explicit)) return explicit
    const memo = `${acceptLanguage ?? ''}\u0000${fallback}`
    let found = negotiated.get(memo)
    if (found === undefined) {
      found = parseAcceptLanguage(acceptLanguage, fallback)
      if (negotiated.size >= 500) negotiated.clear()
      negotiated.set(memo, found)
    }
    return found
  }

  const parseAcceptLanguage = (acceptLanguage: string | undefined, fallback: string): string => {
    if (acceptLanguage) {
      const ranked = acceptLanguage.split(',').map((part, i) => {
        const [tag = '', ...params] = part.trim().split(';')
        const q = params.map((p) => /^\s*q=([\d.]+)/.exec(p)?.[1]).find(Boolean)
        return { tag: tag.trim(), q: q === undefined ? 1 : Number(q), i }
      }).filter((x) => x.tag && x.q > 0).sort((a, b) => b.q - a.q || a.i - b.i)
      for (const { tag } of ranked) {
        if (catalogs.has(tag)) return tag
        const base = tag.split('-')[0]!.toLowerCase()
        if (catalogs.has(base)) return base
      }
    }
    return catalogs.has(fallback) ? fallback : (locales[0] ?? 'en')
  }

  return { locales, translator, negotiate }
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
