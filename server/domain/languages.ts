// Pure rules about languages: BCP 47 tags, the supporter's language among a campaign's, writing direction, names.

/** The longest tag accepted (BCP 47 allows more; nobody needs more to name a campaign's language). */
export const TAG_MAX = 35
/** At most this many languages per campaign, and this many ranges read from one Accept-Language header. */
export const LANGUAGES_MAX = 20
const RANGES_MAX = 20

/** A BCP 47 tag in its canonical form ('PT-br' → 'pt-BR'), or null when it is not one. */
export function canonicalLanguage (input: string): string | null {
  const s = input.trim()
  if (s === '' || s.length > TAG_MAX || !/^[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*$/.test(s)) return null
  try {
    const [tag] = Intl.getCanonicalLocales(s)
    return tag && tag !== 'und' ? tag : null
  } catch {
    return null
  }
}

export type LanguageListResult = { ok: true, tags: string[] } | { ok: false, error: 'languageTag', tag: string } | { ok: false, error: 'languageCount', count: number }

/** Reads a list of tags typed as "es, ar ja" (comma or space separated): canonical, in order, no repeats, at most LANGUAGES_MAX. */
export function parseLanguageList (input: string): LanguageListResult {
  const tags: string[] = []
  for (const raw of input.split(/[\s,;]+/)) {
    if (raw === '') continue
    const tag = canonicalLanguage(raw)
    if (!tag) return { ok: false, error: 'languageTag', tag: raw.slice(0, TAG_MAX + 5) }
    if (!tags.includes(tag)) tags.push(tag)
  }
  if (tags.length > LANGUAGES_MAX) return { ok: false, error: 'languageCount', count: tags.length }
  return { ok: true, tags }
}

/**
 * The language ranges of an Accept-Language header, most wanted first (q-values, then their order); q=0 and '*'
 * dropped. RFC 9110 §12.5.4 (https://www.rfc-editor.org/rfc/rfc9110#section-12.5.4, checked 2026-12-04).
 */
export function parseAcceptLanguage (header: string | undefined): string[] {
  if (!header) return []
  const ranked: Array<{ range: string, q: number, i: number }> = []
  const parts = header.slice(0, 1000).split(',')
  for (let i = 0; i < parts.length && ranked.length < RANGES_MAX; i++) {
    const [range = '', ...params] = parts[i]!.trim().split(';')
    const r = range.trim()
    if (r === '' || r === '*' || !/^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*$/.test(r)) continue
    let q = 1
    for (const p of params) {
      if (!/^\s*q\s*=/i.test(p)) continue
      // A q-value out of its grammar (q=2, q=) makes the range unreadable: it is left out.
      const m = /^\s*q\s*=\s*([01](?:\.\d{0,3})?)\s*$/i.exec(p)
      q = m ? Number(m[1]) : -1
    }
    if (q > 0 && q <= 1) ranked.push({ range: r, q, i })
  }
  return ranked.sort((a, b) => b.q - a.q || a.i - b.i).map((x) => x.range)
}

/**
 * RFC 4647 §3.4 "Lookup" (https://www.rfc-editor.org/rfc/rfc4647#section-3.4, checked 2026-12-04): for each range in
 * turn, the available tag equal to it, else to it truncated subtag by subtag from the end (a single-character subtag
 * left at the end goes too): 'pt-BR' → 'pt'. One deliberate addition, after a range's truncations fail: an available
 * tag of the same primary language ('pt-PT' finds 'pt-BR' before the next range), since a Portuguese reader prefers
 * either Portuguese to the next language they listed. Comparison ignores case. Returns null when nothing matches.
 */
export function lookupLanguage (available: readonly string[], ranges: readonly string[]): string | null {
  if (available.length === 0) return null
  const lower = available.map((a) => a.toLowerCase())
  for (const range of ranges) {
    const subtags = range.toLowerCase().split('-')
    while (subtags.length > 0) {
      const i = lower.indexOf(subtags.join('-'))
      if (i >= 0) return available[i]!
      subtags.pop()
      if (subtags.length > 0 && subtags[subtags.length - 1]!.length === 1) subtags.pop()
    }
    const primary = range.toLowerCase().split('-')[0]!
    const j = lower.findIndex((a) => a.split('-')[0] === primary)
    if (j >= 0) return available[j]!
  }
  return null
}

/**
 * The supporter's language among a campaign's: an explicit choice (?lang=) first, then Accept-Language by q-value,
 * each with lookup's fallbacks; else the campaign's default. An explicit tag the campaign lacks falls back the same way.
 */
export function negotiateLanguage (available: readonly string[], explicit: string | undefined, acceptLanguage: string | undefined, fallback: string): string {
  const ranges = parseAcceptLanguage(acceptLanguage)
  if (explicit && /^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*$/.test(explicit) && explicit.length <= TAG_MAX) ranges.unshift(explicit)
  return lookupLanguage(available, ranges) ?? fallback
}

// Scripts written right to left, for runtimes without Intl.Locale's text info: Unicode's list of RTL scripts
// (https://www.unicode.org/reports/tr9/ and CLDR's characterOrder, checked 2026-12-04), and the languages whose
// default script is one of them.
const RTL_SCRIPTS = new Set(['Adlm', 'Arab', 'Hebr', 'Mand', 'Mend', 'Nkoo', 'Rohg', 'Samr', 'Syrc', 'Thaa', 'Yezi'])
const RTL_LANGUAGES = new Set(['ar', 'arc', 'ckb', 'dv', 'fa', 'he', 'iw', 'ks', 'ku-Arab', 'lrc', 'mzn', 'nqo', 'ps', 'sd', 'syr', 'ug', 'ur', 'yi'])

/**
 * The writing direction of a language: Intl.Locale's textInfo (getTextInfo() in newer engines) — the TC39 Intl Locale
 * Info proposal (https://tc39.es/proposal-intl-locale-info/, checked 2026-12-04) — else the script lists above.
 */
export function textDirection (tag: string): 'ltr' | 'rtl' {
  try {
    const locale = new Intl.Locale(tag) as Intl.Locale & { textInfo?: { direction?: string }, getTextInfo?: () => { direction?: string } }
    const info = typeof locale.getTextInfo === 'function' ? locale.getTextInfo() : locale.textInfo
    if (info?.direction === 'rtl' || info?.direction === 'ltr') return info.direction
    const script = locale.maximize().script
    if (script) return RTL_SCRIPTS.has(script) ? 'rtl' : 'ltr'
  } catch {}
  const lang = tag.split('-')[0]!.toLowerCase()
  return RTL_LANGUAGES.has(lang) ? 'rtl' : 'ltr'
}

const names = new Map<string, Intl.DisplayNames>()
function displayNames (locale: string): Intl.DisplayNames {
  let d = names.get(locale)
  if (!d) {
    d = new Intl.DisplayNames([locale], { type: 'language', fallback: 'code' })
    names.set(locale, d)
  }
  return d
}

/** A language's name in another language ('ar' in French → 'Arabe'), capitalised as a label; the tag when unknown. */
export function languageName (tag: string, inLocale: string): string {
  let name: string
  try { name = displayNames(inLocale).of(tag) ?? tag } catch { return tag }
  return name.charAt(0).toLocaleUpperCase(inLocale) + name.slice(1)
}

/** A language's own name, as a switch lists it ('es' → 'Español', 'ar' → 'العربية', 'ja' → '日本語'). */
export function endonym (tag: string): string {
  return languageName(tag, tag)
}

/** A campaign's languages: the stored list (the default added when missing), or for an older campaign, its texts' languages, the default first. */
export function campaignLanguages (stored: readonly string[], defaultLocale: string, textLocales: readonly string[]): string[] {
  const list = stored.length > 0 ? [...stored] : [defaultLocale, ...[...textLocales].sort()]
  if (!list.includes(defaultLocale)) list.unshift(defaultLocale)
  return [...new Set(list)]
}

/** The texts a language needs before its campaign may open (share text and call: optional, neutral ones stand in). */
export const REQUIRED_TEXTS = ['title', 'pitch', 'callToAction'] as const
export type MissingPart = (typeof REQUIRED_TEXTS)[number] | 'hashtags' | 'messages'
export type MissingByLanguage = Record<string, MissingPart[]>

/**
 * What each language still lacks, only for those that lack something: the required texts, hashtags when another
 * language has some (a campaign's tag travels with it), and at least one active message variant.
 */
export function missingByLanguage (languages: readonly string[], texts: Record<string, { title: string, pitch: string, callToAction: string, hashtags: readonly string[] } | undefined>, messageLocales: readonly string[]): MissingByLanguage {
  const out: MissingByLanguage = {}
  const tagged = languages.some((l) => (texts[l]?.hashtags.length ?? 0) > 0)
  const withMessages = new Set(messageLocales)
  for (const lang of languages) {
    const t = texts[lang]
    const missing: MissingPart[] = REQUIRED_TEXTS.filter((f) => !t || t[f].trim() === '')
    if (tagged && (t?.hashtags.length ?? 0) === 0) missing.push('hashtags')
    if (!withMessages.has(lang)) missing.push('messages')
    if (missing.length > 0) out[lang] = missing
  }
  return out
}
