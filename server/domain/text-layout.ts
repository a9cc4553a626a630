import bidiModule from 'bidi-js'

// The Unicode Bidirectional Algorithm (UAX #9, https://www.unicode.org/reports/tr9/, checked 2026-12-04), by bidi-js.
// bidi-js is CommonJS whose module.exports is the factory; its types describe it as an ES default export.
const bidi = (bidiModule as unknown as typeof bidiModule.default)()

/** One user-perceived character (a grapheme cluster: a letter with its marks, an emoji sequence), at [start, end) in the text. */
export interface Cluster { text: string, start: number, end: number }

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' })

/** A paragraph's grapheme clusters. */
export function clustersOf (text: string): Cluster[] {
  return [...graphemes.segment(text)].map((s) => ({ text: s.segment, start: s.index, end: s.index + s.segment.length }))
}

// Scripts written without spaces between words: a line may break between any two of their characters.
const UNSPACED = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\u3000-\u303F\uFF00-\uFFEF]/u
// Spaces a line may break at (not the no-break ones: U+00A0, U+2007, U+202F).
const SPACE = /^[ \t\u1680\u2000-\u2006\u2008-\u200A\u205F\u3000]+$/u

/** Whether a line may break after cluster i (after a space, or between two characters of a script written without spaces). */
export function breaksAfter (clusters: readonly Cluster[], i: number): boolean {
  const here = clusters[i]
  const next = clusters[i + 1]
  if (!here || !next) return true
  if (SPACE.test(here.text)) return !SPACE.test(next.text)
  if (SPACE.test(next.text)) return false
  return UNSPACED.test(here.text) || UNSPACED.test(next.text)
}

/**
 * Greedy line breaking on logical text: lines as cluster ranges [from, to), trailing spaces left out. widthOf(from, to)
 * measures clusters [from, to); a piece wider than the line on its own is cut between clusters.
 */
export function breakLines (clusters: readonly Cluster[], widthOf: (from: number, to: number) => number, maxWidth: number): Array<[number, number]> {
  const pieces: Array<[number, number]> = []
  let from = 0
  for (let i = 0; i < clusters.length; i++) {
    if (breaksAfter(clusters, i)) { pieces.push([from, i + 1]); from = i + 1 }
  }
  const lines: Array<[number, number]> = []
  const trimmed = (a: number, b: number): [number, number] => {
    while (b > a && SPACE.test(clusters[b - 1]!.text)) b--
    return [a, b]
  }
  let start = -1
  let end = -1
  for (const [a, b] of pieces) {
    if (start < 0) { start = a; end = b; continue }
    const [, contentEnd] = trimmed(start, b)
    if (widthOf(start, contentEnd) <= maxWidth) { end = b; continue }
    lines.push(trimmed(start, end))
    start = a
    end = b
  }
  if (start >= 0) lines.push(trimmed(start, end))
  // A piece longer than a whole line (a long link, a word in a narrow column) is cut where it no longer fits.
  const out: Array<[number, number]> = []
  for (const [a, b] of lines) {
    let s = a
    while (s < b && widthOf(s, b) > maxWidth) {
      let e = s + 1
      while (e < b && widthOf(s, e + 1) <= maxWidth) e++
      out.push([s, e])
      s = e
    }
    out.push([s, b])
  }
  return out.filter(([a, b], i, all) => b > a || all.length === 1)
}

/** The embedding level of each code unit of a paragraph, and the paragraph's own level (0: left to right, 1: right to left, from its first strong character). */
export function paragraphLevels (text: string): { levels: Uint8Array, base: number } {
  const r = bidi.getEmbeddingLevels(text)
  return { levels: r.levels, base: r.paragraphs[0]?.level ?? 0 }
}

/** The visual order of items with these levels (UAX #9 rule L2: from the highest level down to the lowest odd one, reverse every run at that level or above). */
export function visualOrder (levels: readonly number[]): number[] {
  const order = levels.map((_, i) => i)
  if (levels.length === 0) return order
  const max = Math.max(...levels)
  const minOdd = Math.min(...levels.map((l) => (l % 2 === 1 ? l : l + 1)))
  for (let level = max; level >= minOdd; level--) {
    for (let i = 0; i < order.length;) {
      if (levels[order[i]!]! >= level) {
        let j = i
        while (j < order.length && levels[order[j]!]! >= level) j++
        order.splice(i, j - i, ...order.slice(i, j).reverse())
        i = j
      } else {
        i++
      }
    }
  }
  return order
}

/** A character as drawn in a right-to-left run: its mirror image when it has one ("(" → ")"). */
export function mirrored (ch: string): string {
  return bidi.getMirroredCharacter(ch) ?? ch
}

const RTL_SCRIPT = /[\p{Script=Arabic}\p{Script=Hebrew}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}]/u

/** Whether a text holds a right-to-left letter (the shaping engine then lays the run out right to left by itself). */
export function hasRtlLetter (text: string): boolean {
  return RTL_SCRIPT.test(text)
}
