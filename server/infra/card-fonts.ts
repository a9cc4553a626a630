import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

// The share cards' fonts, all from npm packages (no system font lookup, so a card is the same on every machine):
// Noto Sans (Latin, Greek, Cyrillic…), Noto Sans Arabic, Noto Sans JP, and Twemoji's SVGs for emoji. Fontsource
// ships each font cut into subsets by Unicode range (Noto Sans JP in 120 pieces), in WOFF, which satori reads
// (not WOFF2); a card loads only the pieces its text needs, each read once per process.
// Sources, checked 2026-12-04: https://fontsource.org/docs/getting-started/install (unicode.json, files/*.woff),
// https://github.com/vercel/satori#fonts (TTF, OTF and WOFF), https://github.com/jdecked/twemoji (file names).

export type FontWeight = 400 | 700
export interface SatoriFont { name: string, data: Buffer, weight: FontWeight, style: 'normal' }

interface Subset { family: string, name: string, file: string, weight: FontWeight, ranges: Array<[number, number]>, always: boolean }

// In fallback order: a character goes to the first subset that has it.
const PACKAGES = [
  { id: 'noto-sans', family: 'Noto Sans', always: ['latin'] },
  { id: 'noto-sans-arabic', family: 'Noto Sans Arabic', only: ['arabic'] },
  { id: 'noto-sans-jp', family: 'Noto Sans JP' }
] as const
const WEIGHTS: FontWeight[] = [400, 700]

const require = createRequire(import.meta.url)

function parseRanges (css: string): Array<[number, number]> {
  return css.split(',').map((r) => {
    const [lo = '0', hi] = r.trim().replace(/^U\+/i, '').split('-')
    return [parseInt(lo, 16), parseInt(hi ?? lo, 16)] as [number, number]
  })
}

/** The font pieces a card's text needs, loaded once per process, and the emoji images. */
export function createCardFonts () {
  let subsets: Subset[] | null = null
  const files = new Map<string, Buffer>()
  // satori keeps its parsed fonts per fonts array: the same set of pieces gets the same array.
  const sets = new Map<string, SatoriFont[]>()
  const emoji = new Map<string, string | null>()
  let emojiDir: string | null = null

  function allSubsets (): Subset[] {
    if (subsets) return subsets
    subsets = []
    for (const pkg of PACKAGES) {
      const dir = dirname(require.resolve(`@fontsource/${pkg.id}/package.json`))
      const unicode = JSON.parse(readFileSync(join(dir, 'unicode.json'), 'utf8')) as Record<string, string>
      for (const [name, ranges] of Object.entries(unicode)) {
        if ('only' in pkg && !(pkg.only as readonly string[]).includes(name)) continue
        const piece = name.replace(/^\[(\d+)\]$/, '$1')
        for (const weight of WEIGHTS) {
          const file = join(dir, 'files', `${pkg.id}-${piece}-${weight}-normal.woff`)
          if (!existsSync(file)) continue
          subsets.push({ family: pkg.family, name: piece === 'latin' ? pkg.family : `${pkg.family} ${piece}`, file, weight, ranges: parseRanges(ranges), always: 'always' in pkg && (pkg.always as readonly string[]).includes(name) })
        }
      }
    }
    return subsets
  }

  const covers = (s: Subset, cp: number): boolean => s.ranges.some(([lo, hi]) => cp >= lo && cp <= hi)

  function read (file: string): Buffer {
    let data = files.get(file)
    if (!data) {
      data = readFileSync(file)
      files.set(file, data)
    }
    return data
  }

  return {
    /** The fonts for a text: the Latin pieces always, plus the first piece covering each other character. */
    fontsFor (text: string): SatoriFont[] {
      const all = allSubsets()
      const chosen = new Set(all.filter((s) => s.always))
      const seen = new Set<number>()
      for (const ch of text) {
        const cp = ch.codePointAt(0)!
        if (cp < 0x80 || seen.has(cp)) continue
        seen.add(cp)
        for (const weight of WEIGHTS) {
          if ([...chosen].some((s) => s.weight === weight && covers(s, cp))) continue
          const piece = all.find((s) => s.weight === weight && covers(s, cp))
          if (piece) chosen.add(piece)
        }
      }
      const list = all.filter((s) => chosen.has(s))
      const key = list.map((s) => s.file).join('|')
      let fonts = sets.get(key)
      if (!fonts) {
        // Each piece under its own name: satori keeps one font per name and weight, and falls back across names.
        fonts = list.map((s) => ({ name: s.name, data: read(s.file), weight: s.weight, style: 'normal' as const }))
        if (sets.size >= 64) sets.clear()
        sets.set(key, fonts)
      }
      return fonts
    },

    /** An emoji as a data: URI of its Twemoji SVG, or null when Twemoji has none. */
    emoji (segment: string): string | null {
      let uri = emoji.get(segment)
      if (uri !== undefined) return uri
      emojiDir ??= dirname(require.resolve('@twemoji/svg/package.json'))
      // Twemoji names a file by its code points, without U+FE0F unless the sequence holds a zero-width joiner.
      const name = (s: string): string => [...s].map((c) => c.codePointAt(0)!.toString(16)).join('-')
      const candidates = [name(segment.includes('\u200d') ? segment : segment.replace(/\ufe0f/g, '')), name(segment)]
      uri = null
      for (const c of candidates) {
        const file = join(emojiDir, `${c}.svg`)
        if (existsSync(file)) {
          uri = `data:image/svg+xml;base64,${readFileSync(file).toString('base64')}`
          break
        }
      }
      if (emoji.size >= 512) emoji.clear()
      emoji.set(segment, uri)
      return uri
    },

    /** How many font files are in memory, and their bytes (for the README's figures and operators). */
    loaded (): { files: number, bytes: number } {
      let bytes = 0
      for (const b of files.values()) bytes += b.length
      return { files: files.size, bytes }
    }
  }
}

export type CardFonts = ReturnType<typeof createCardFonts>
