import { readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

const require = createRequire(import.meta.url)

/**
 * The dossier's fonts: Noto families shipped through npm by Fontsource (SIL Open Font License 1.1), split by Google
 * Fonts into unicode-range subsets (a Latin file, an Arabic file, ~100 files per CJK family…), each a WOFF2 file.
 * fontkit cannot subset WOFF2 glyphs (composite glyph offsets break), so a file is decompressed to TrueType once
 * (wawoff2, Google's woff2 decoder) and pdfkit embeds that, subset to the glyphs a dossier uses.
 * Fontsource's file names and unicode.json: https://fontsource.org/docs/getting-started/install, checked 2026-12-04.
 */
interface Family {
  id: string
  /** the npm package that ships it */
  pkg: string
  /** a subset's file name */
  file: (subset: string) => string
  /** the subsets taken (the others duplicate a script another family covers); numbered CJK slices are all taken */
  keep: (subset: string) => boolean
}

const variable = (id: string, pkg: string, keep: (s: string) => boolean): Family => ({ id, pkg, keep, file: (s) => `${id}-${s}-wght-normal.woff2` })
const numbered = (s: string): boolean => /^\[\d+\]$/.test(s)

const FAMILIES: Record<string, Family> = {
  sans: variable('noto-sans', '@fontsource-variable/noto-sans', (s) => ['latin', 'latin-ext', 'greek', 'greek-ext', 'cyrillic', 'cyrillic-ext', 'vietnamese'].includes(s)),
  arabic: variable('noto-sans-arabic', '@fontsource-variable/noto-sans-arabic', (s) => s === 'arabic'),
  hebrew: variable('noto-sans-hebrew', '@fontsource-variable/noto-sans-hebrew', (s) => s === 'hebrew'),
  devanagari: variable('noto-sans-devanagari', '@fontsource-variable/noto-sans-devanagari', (s) => s === 'devanagari'),
  jp: variable('noto-sans-jp', '@fontsource-variable/noto-sans-jp', numbered),
  kr: variable('noto-sans-kr', '@fontsource-variable/noto-sans-kr', numbered),
  sc: variable('noto-sans-sc', '@fontsource-variable/noto-sans-sc', numbered),
  // Monochrome: pdfkit draws outlines only (no COLR/CBDT colour glyphs).
  emoji: { id: 'noto-emoji', pkg: '@fontsource/noto-emoji', keep: (s) => numbered(s) || s === 'emoji' || s === '[emoji]', file: (s) => `noto-emoji-${s}-400-normal.woff2` }
}

/** The families tried in turn for a character; the CJK order follows the text's language (kanji in Japanese glyph shapes for Japanese, hanzi in Chinese ones…). */
export function familyOrder (language: string): string[] {
  const lang = language.toLowerCase().split('-')[0]
  const cjk = lang === 'ja' ? ['jp', 'sc', 'kr'] : lang === 'ko' ? ['kr', 'jp', 'sc'] : ['sc', 'jp', 'kr']
  return ['sans', 'arabic', 'hebrew', 'devanagari', ...cjk, 'emoji']
}

interface Slice { key: string, path: string, ranges: Array<[number, number]> }

function parseRanges (spec: string): Array<[number, number]> {
  return spec.split(',').map((part) => {
    const [a = '0', b] = part.trim().replace(/^U\+/i, '').split('-')
    return [parseInt(a, 16), parseInt(b ?? a, 16)] as [number, number]
  })
}

export type PdfFontFiles = ReturnType<typeof createPdfFontFiles>

/** The font files on disk: which file of a family is meant for a code point, and its TrueType bytes (decompressed once, then kept). */
export function createPdfFontFiles () {
  const slices = new Map<string, Slice[]>()
  const loaded = new Map<string, Promise<Buffer>>()
  // One decompression at a time: the decoder returns a view of its WebAssembly memory, which the next call reuses.
  let queue: Promise<unknown> = Promise.resolve()

  const slicesOf = (familyKey: string): Slice[] => {
    let list = slices.get(familyKey)
    if (list) return list
    const family = FAMILIES[familyKey]
    if (!family) return []
    const dir = dirname(require.resolve(`${family.pkg}/package.json`))
    const spec = JSON.parse(readFileSync(join(dir, 'unicode.json'), 'utf8')) as Record<string, string>
    list = Object.entries(spec).filter(([s]) => family.keep(s)).map(([s, ranges]) => {
      const subset = s.replace(/^\[(\w+)\]$/, '$1')
      return { key: `${familyKey}/${subset}`, path: join(dir, 'files', family.file(subset)), ranges: parseRanges(ranges) }
    })
    slices.set(familyKey, list)
    return list
  }

  return {
    /** The file of a family whose unicode-range holds the code point, if any (whether it really has the glyph is checked on the font). */
    sliceFor (familyKey: string, codePoint: number): string | null {
      for (const s of slicesOf(familyKey)) {
        if (s.ranges.some(([a, b]) => codePoint >= a && codePoint <= b)) return s.key
      }
      return null
    },

    /** A file's TrueType bytes. */
    load (key: string): Promise<Buffer> {
      let p = loaded.get(key)
      if (!p) {
        const [familyKey = ''] = key.split('/')
        const slice = slicesOf(familyKey).find((s) => s.key === key)
        if (!slice) return Promise.reject(new Error(`unknown font file ${key}`))
        const { decompress } = require('wawoff2') as { decompress: (b: Uint8Array) => Promise<Uint8Array> }
        const woff2 = readFile(slice.path)
        p = queue.then(async () => Buffer.from(await decompress(await woff2)))
        queue = p.catch(() => {})
        // A failed read is not kept: the next dossier tries again.
        p.catch(() => loaded.delete(key))
        loaded.set(key, p)
      }
      return p
    }
  }
}
