import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'

// The catalog check run by `npm run lint` (`bouteille i18n-check`): for every catalog, the keys it lacks against
// English and the keys nothing uses. Supporter catalogs (`<locale>.json`, `<locale>.<part>.json` but the admin's)
// of a shipped language must be complete; the admin's (`<locale>.admin….json`) ship in French and English only.

/** Languages whose supporter chrome ships complete: a missing key there fails the check. */
export const SHIPPED_SUPPORTER = ['fr', 'en', 'es'] as const
/** Languages whose admin ships complete; other languages' admin falls back to English key by key. */
export const SHIPPED_ADMIN = ['fr', 'en'] as const

/**
 * Keys built at run time from a value, which no source names in full: each pattern stands for the keys it matches.
 * Prefixes written as `'a.b.' + x` or `` `a.b.${x}` `` are found in the sources by themselves; list the others here.
 */
export const DYNAMIC_KEYS: readonly RegExp[] = [
  // sendError derives the heading from the message's key (errors.notFound.message → errors.notFound.heading).
  /^errors\.[A-Za-z]+\.heading$/,
  /^errors\.notLive\.[a-z]+\.(heading|message)$/
]

type Kind = 'supporter' | 'admin'
interface Catalog { locale: string, kind: Kind, keys: Set<string> }

export interface CheckReport {
  ok: boolean
  /** missing keys (against English) per locale and kind; `fatal` for a shipped catalog */
  missing: Array<{ locale: string, kind: Kind, keys: string[], fatal: boolean }>
  /** keys of the English catalogs that no source uses */
  unused: string[]
  lines: string[]
}

function flattenKeys (obj: Record<string, unknown>, prefix: string, out: Set<string>): void {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k
    if (typeof v === 'string') out.add(key)
    else if (v && typeof v === 'object') {
      if (typeof (v as Record<string, unknown>).other === 'string') out.add(key)
      else flattenKeys(v as Record<string, unknown>, key, out)
    }
  }
}

function readCatalogs (dir: string): Catalog[] {
  const byName = new Map<string, Catalog>()
  for (const file of readdirSync(dir).sort()) {
    const m = /^([a-z]{2,3}(?:-[A-Z][a-z]{3})?(?:-[A-Z]{2}|-\d{3})?)(?:\.([a-z0-9-]+))?\.json$/.exec(file)
    if (!m) continue
    const kind: Kind = m[2]?.startsWith('admin') ? 'admin' : 'supporter'
    const name = `${m[1]}|${kind}`
    const catalog = byName.get(name) ?? { locale: m[1]!, kind, keys: new Set<string>() }
    flattenKeys(JSON.parse(readFileSync(join(dir, file), 'utf8')) as Record<string, unknown>, '', catalog.keys)
    byName.set(name, catalog)
  }
  return [...byName.values()]
}

function sourceFiles (dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'vendor' || name === 'locales' || name.startsWith('.')) continue
    const path = join(dir, name)
    if (statSync(path).isDirectory()) sourceFiles(path, out)
    else if (/\.(ts|js|eta)$/.test(name)) out.push(path)
  }
  return out
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** Every string literal of the sources that looks like a key, and the patterns of keys built from a value. */
function usedNames (sourceDirs: readonly string[]): { literals: Set<string>, built: RegExp[] } {
  const literals = new Set<string>()
  const built = new Map<string, RegExp>()
  const add = (prefix: string, suffix: string | undefined): void => {
    // 'a.b.' + x + '.c' stands for a.b.<one segment>.c; 'a.b.' + x alone for anything under a.b.
    const source = suffix ? `^${escape(prefix)}[^.]+${escape(suffix)}$` : `^${escape(prefix)}`
    built.set(source, new RegExp(source))
  }
  for (const dir of sourceDirs) {
    for (const file of sourceFiles(dir)) {
      const text = readFileSync(file, 'utf8')
      for (const m of text.matchAll(/(['"`])([A-Za-z][\w-]*(?:\.[\w-]+)+)\1/g)) literals.add(m[2]!)
      for (const m of text.matchAll(/(['"])([A-Za-z][\w-]*(?:\.[\w-]+)*\.)\1\s*\+\s*[\w.?()]+(?:\s*\+\s*(['"])(\.[\w.-]+)\3)?/g)) add(m[2]!, m[4])
      // `a.b.${x}` and `a.b.${x}.c` name keys like the above; any other shape (`a.${x}d`, `a.${x}-${y}`) the whole prefix.
      for (const m of text.matchAll(/`([A-Za-z][\w-]*(?:\.[\w-]+)*\.)\$\{[^}]+\}([^`]*)`/g)) {
        if (/^(\.[\w.-]+)?$/.test(m[2]!)) add(m[1]!, m[2] || undefined)
        else add(m[1]!, undefined)
      }
    }
  }
  return { literals, built: [...built.values()] }
}

/** Checks the catalogs of a folder against English and against the sources; ok is false on a shipped catalog's missing key. */
export function checkCatalogs (opts: { localesDir: string, sourceDirs: readonly string[], dynamicKeys?: readonly RegExp[] }): CheckReport {
  const catalogs = readCatalogs(opts.localesDir)
  const english = new Map(catalogs.filter((c) => c.locale === 'en').map((c) => [c.kind, c.keys]))
  const missing: CheckReport['missing'] = []
  const lines: string[] = []
  for (const c of catalogs) {
    if (c.locale === 'en') continue
    const keys = [...(english.get(c.kind) ?? [])].filter((k) => !c.keys.has(k)).sort()
    if (keys.length === 0) continue
    const shipped: readonly string[] = c.kind === 'supporter' ? SHIPPED_SUPPORTER : SHIPPED_ADMIN
    const fatal = shipped.includes(c.locale)
    missing.push({ locale: c.locale, kind: c.kind, keys, fatal })
    lines.push(`${fatal ? 'error' : 'note'}: ${c.locale} ${c.kind} catalog lacks ${keys.length} key${keys.length === 1 ? '' : 's'} (English shown instead)${fatal ? '' : ' — allowed: this catalog is not shipped complete'}:`)
    for (const k of keys.slice(0, 50)) lines.push(`  ${k}`)
    if (keys.length > 50) lines.push(`  … and ${keys.length - 50} more`)
  }
  // A language with supporter keys but no admin catalog at all is expected (the admin stays in French and English).
  const adminLess = [...new Set(catalogs.filter((c) => c.kind === 'supporter').map((c) => c.locale))].filter((l) => !catalogs.some((c) => c.locale === l && c.kind === 'admin'))
  if (adminLess.length > 0) lines.push(`note: no admin catalog for ${adminLess.join(', ')}: the admin speaks ${SHIPPED_ADMIN.join(' and ')} only`)

  const { literals, built } = usedNames(opts.sourceDirs)
  const dynamic = opts.dynamicKeys ?? DYNAMIC_KEYS
  const all = new Set(catalogs.flatMap((c) => [...c.keys]))
  const unused = [...all].filter((k) => !literals.has(k) && !built.some((re) => re.test(k)) && !dynamic.some((re) => re.test(k))).sort()
  if (unused.length > 0) {
    lines.push(`note: ${unused.length} key${unused.length === 1 ? '' : 's'} no source uses (remove them, or declare the pattern in DYNAMIC_KEYS):`)
    for (const k of unused) lines.push(`  ${k}`)
  }
  const ok = !missing.some((m) => m.fatal)
  lines.push(ok ? `i18n-check: ok (${catalogs.length} catalogs)` : 'i18n-check: FAILED — a shipped catalog lacks keys (see above)')
  return { ok, missing, unused, lines }
}
