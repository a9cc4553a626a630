import * as fontkit from 'fontkit'
import type { DossierView } from '../domain/dossier.ts'
import { breakLines, clustersOf, hasRtlLetter, mirrored, paragraphLevels, visualOrder, type Cluster } from '../domain/text-layout.ts'
import { familyOrder, type PdfFontFiles } from '../infra/pdf-fonts.ts'

const INK = '#10262b'
const MUTED = '#4b5f63'
const ACCENT = '#0b5d66'
const LINE = '#c9d6d8'

// Characters that take no glyph of their own (joiners, variation selectors, the emoji tag sequence's parts).
const INVISIBLE = /^(?:[\u200B-\u200F\u2060]|[\uFE00-\uFE0F]|[\u{E0020}-\u{E007F}]|\p{Emoji_Modifier})$/u
const PICTOGRAPH = /\p{Extended_Pictographic}|\p{Regional_Indicator}/u

// A hashtag or a handle inside right-to-left text keeps its own order ("#COP16", not "COP16#"): each is isolated
// (U+2068 … U+2069, UAX #9 isolates) before the bidi levels are found, and the isolate marks are not drawn.
const TAG = /[#@][\p{L}\p{N}_]+(?:@[\p{L}\p{N}.-]+)?/gu
const ISOLATES = /^[\u2066-\u2069]$/u
const isolateTags = (text: string): string => text.replace(TAG, (tag) => `\u2068${tag}\u2069`)

type Weight = 'regular' | 'bold'
interface Style { size: number, color: string, weight?: Weight, align?: 'start' | 'end', lineGap?: number, x?: number, width?: number }

/**
 * Draws the dossier with embedded Noto fonts: each grapheme cluster in the first font (in the order suited to its
 * language) that has all its glyphs; lines broken on logical text, then each line put in visual order by the Unicode
 * Bidirectional Algorithm, runs shaped by fontkit (Arabic joined, Devanagari reordered).
 *
 * Text extraction: shaped glyphs are in visual order (Devanagari's ि before its consonant, Arabic reversed), which
 * readers copy as such. So each line is drawn twice: the visible glyphs, mapped to spaces in the font's ToUnicode, and
 * an invisible copy (text render mode 3) in logical order, one glyph per character, which is what pdf.js and others
 * extract. A right-to-left run of that copy is written reversed, as readers (pdf.js's bidi()) take such a run for
 * visual order and turn it back. /ActualText would be the standard answer, but pdf.js ignores it in text extraction.
 */
export async function renderDossierPdf (view: DossierView, files: PdfFontFiles): Promise<Buffer> {
  const { default: PDFDocument } = await import('pdfkit')
  const doc = new PDFDocument({
    size: 'A4',
    margins: { top: 56, bottom: 64, left: 56, right: 56 },
    bufferPages: true,
    info: { Title: `${view.title} — ${view.target.name}`, Author: 'Bouteille', Subject: view.hashtags },
    lang: view.locale
  } as PDFKit.PDFDocumentOptions)
  const chunks: Buffer[] = []
  doc.on('data', (c: Buffer) => chunks.push(c))
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)))
    doc.on('error', reject)
  })

  // Every text of the dossier, with its language (which orders the CJK families), to load the font files it needs first.
  const texts: Array<{ text: string, lang: string }> = [
    ...[view.t.kicker, view.title, view.hashtags, view.t.for, view.target.details, view.date, view.pitch, view.totalText, view.t.countsHeading,
      view.t.messagesHeading, view.t.messagesIntro, view.t.none, view.t.featured, view.t.footer, view.t.page, view.moreText ?? '',
      view.publicPostsText ?? '', view.quotes.length ? view.t.quotesHeading : ''].map((text) => ({ text, lang: view.locale })),
    // Quoted public posts: their language is not known, the page's orders the CJK families.
    ...view.quotes.flatMap((q) => [{ text: q.text, lang: view.locale }, { text: `${q.source} · ${q.url}`, lang: view.locale }]),
    ...view.channels.flatMap((c) => [{ text: c.label, lang: view.locale }, { text: c.countText, lang: view.locale }]),
    ...view.groups.flatMap((g) => [{ text: g.heading, lang: view.locale }, ...g.messages.flatMap((m) => [{ text: m.text, lang: g.language }, { text: [m.signature, m.date].filter(Boolean).join(' · '), lang: view.locale }])])
  ]
  const fonts = await openFonts(doc, files, texts)

  const left = doc.page.margins.left
  const fullWidth = doc.page.width - left - doc.page.margins.right
  const bottom = () => doc.page.height - doc.page.margins.bottom

  /** Lays a paragraph out from doc.y and draws it; returns its height. */
  const paragraph = (text: string, lang: string, style: Style, measureOnly = false): number => {
    const x0 = style.x ?? left
    const width = style.width ?? fullWidth
    const lineHeight = style.size * 1.45 + (style.lineGap ?? 0)
    let height = 0
    for (const raw of text.replace(/\r\n?/g, '\n').split('\n')) {
      const para = isolateTags(raw)
      const clusters = clustersOf(para).filter((c) => !ISOLATES.test(c.text))
      const fontOf = clusters.map((c) => fonts.pick(c.text, lang))
      const runWidth = (from: number, to: number): number => {
        let w = 0
        for (const run of fontRuns(clusters, fontOf, from, to)) w += fonts.width(run.font, run.text, style.size, style.weight)
        return w
      }
      const lines = clusters.length === 0 ? [[0, 0] as [number, number]] : breakLines(clusters, runWidth, width)
      const { levels, base } = paragraphLevels(para)
      for (const [from, to] of lines) {
        if (!measureOnly && doc.y + lineHeight > bottom()) doc.addPage()
        if (!measureOnly) drawLine(clusters, fontOf, levels, base, from, to, x0, width, style)
        height += lineHeight
        if (!measureOnly) doc.y += lineHeight
      }
    }
    return height
  }

  const drawLine = (clusters: Cluster[], fontOf: string[], levels: Uint8Array, base: number, from: number, to: number, x0: number, width: number, style: Style): void => {
    const baseline = doc.y + style.size * 1.1
    const idx = Array.from({ length: to - from }, (_, i) => from + i)
    const order = visualOrder(idx.map((i) => levels[clusters[i]!.start] ?? base)).map((k) => idx[k]!)
    // Visual runs: consecutive clusters (in visual order) with one font and one level.
    const runs: Array<{ font: string, text: string }> = []
    for (let k = 0; k < order.length;) {
      const i = order[k]!
      const level = levels[clusters[i]!.start] ?? base
      let j = k
      while (j < order.length && fontOf[order[j]!] === fontOf[i] && (levels[clusters[order[j]!]!.start] ?? base) === level) j++
      const visual = order.slice(k, j).map((n) => clusters[n]!.text)
      if (level % 2 === 1) {
        const logical = [...visual].reverse().join('')
        // fontkit lays a run with a right-to-left letter out right to left itself; neutral characters are reversed and mirrored here.
        runs.push({ font: fontOf[i]!, text: hasRtlLetter(logical) ? logical : visual.map((c) => [...c].map(mirrored).join('')).join('') })
      } else {
        runs.push({ font: fontOf[i]!, text: visual.join('') })
      }
      k = j
    }
    const widths = runs.map((r) => fonts.width(r.font, r.text, style.size, style.weight))
    const lineWidth = widths.reduce((a, b) => a + b, 0)
    const endAligned = style.align === 'end' ? base % 2 === 0 : base % 2 === 1
    let x = endAligned ? x0 + width - lineWidth : x0
    const y = doc.y
    runs.forEach((r, n) => {
      fonts.draw(r.font, 'visible', r.text, x, baseline, style)
      x += widths[n]!
    })
    // The invisible copy, in logical order, run by run.
    let xi = x0
    for (const run of fontRuns(clusters, fontOf, from, to)) {
      const text = hasRtlLetter(run.text) ? [...run.text].reverse().join('') : run.text
      xi += fonts.draw(run.font, 'copy', text, xi, baseline, style)
    }
    doc.x = left
    doc.y = y
  }

  const gap = (lines: number) => { doc.y += lines }

  // Cover.
  paragraph(view.t.kicker.toLocaleUpperCase(view.locale), view.locale, { size: 10, color: ACCENT, weight: 'bold' })
  gap(8)
  paragraph(view.title, view.locale, { size: 24, color: INK, weight: 'bold' })
  if (view.hashtags) { gap(2); paragraph(view.hashtags, view.locale, { size: 13, color: ACCENT, weight: 'bold' }) }
  gap(16)
  paragraph(view.t.for, view.locale, { size: 15, color: INK, weight: 'bold' })
  if (view.target.details) paragraph(view.target.details, view.locale, { size: 11, color: MUTED })
  paragraph(view.date, view.locale, { size: 11, color: MUTED })
  if (view.pitch) { gap(12); paragraph(view.pitch, view.locale, { size: 11.5, color: INK, lineGap: 2 }) }
  gap(18)
  paragraph(view.totalText, view.locale, { size: 17, color: INK, weight: 'bold' })
  if (view.publicPostsText) { gap(3); paragraph(view.publicPostsText, view.locale, { size: 12.5, color: ACCENT, weight: 'bold' }) }
  gap(6)
  paragraph(view.t.countsHeading, view.locale, { size: 10, color: MUTED })
  gap(4)
  const tableWidth = Math.min(fullWidth, 300)
  const rtl = paragraphLevels(view.t.countsHeading).base === 1
  const tableX = rtl ? left + fullWidth - tableWidth : left
  for (const c of view.channels) {
    const y = doc.y
    paragraph(c.label, view.locale, { size: 11.5, color: INK, x: rtl ? tableX + 80 : tableX, width: tableWidth - 80 })
    const after = doc.y
    doc.y = y
    paragraph(c.countText, view.locale, { size: 11.5, color: INK, weight: 'bold', x: rtl ? tableX : tableX + tableWidth - 80, width: 80, align: rtl ? 'start' : 'end' })
    doc.y = Math.max(after, doc.y)
    doc.moveTo(tableX, doc.y + 1).lineTo(tableX + tableWidth, doc.y + 1).lineWidth(0.5).strokeColor(LINE).stroke()
    doc.y += 5
  }

  // Messages, from a new page, grouped by the language they were written in.
  doc.addPage()
  paragraph(view.t.messagesHeading, view.locale, { size: 18, color: INK, weight: 'bold' })
  paragraph(view.t.messagesIntro, view.locale, { size: 10.5, color: MUTED })
  gap(12)
  if (view.groups.length === 0) paragraph(view.t.none, view.locale, { size: 11.5, color: INK })
  for (const g of view.groups) {
    if (doc.y + 80 > bottom()) doc.addPage()
    gap(4)
    paragraph(g.heading, view.locale, { size: 13, color: ACCENT, weight: 'bold' })
    gap(6)
    for (const m of g.messages) {
      const inner = { x: left + 14, width: fullWidth - 14 }
      const meta = [m.signature, m.date].filter(Boolean).join(' · ')
      const bodyHeight = paragraph(m.text, g.language, { size: 11.5, color: INK, lineGap: 1.5, ...inner }, true)
      // A short message is never cut across two pages; a long one starts on a new page only if little room is left.
      if (doc.y + Math.min(bodyHeight, 120) + 34 + (m.featured ? 14 : 0) > bottom()) doc.addPage()
      const top = doc.y
      if (m.featured) paragraph(view.t.featured.toLocaleUpperCase(view.locale), view.locale, { size: 8.5, color: ACCENT, weight: 'bold', ...inner })
      paragraph(m.text, g.language, { size: 11.5, color: INK, lineGap: 1.5, ...inner })
      paragraph(meta, view.locale, { size: 9.5, color: MUTED, ...inner })
      // The bar beside the message, on the page where it ends (a long message that broke across pages gets it on its last part).
      const barTop = doc.y < top ? doc.page.margins.top : top
      doc.moveTo(left + 2, barTop).lineTo(left + 2, doc.y).lineWidth(m.featured ? 2.5 : 1.2).strokeColor(m.featured ? ACCENT : LINE).stroke()
      gap(12)
    }
  }
  if (view.moreText) paragraph(view.moreText, view.locale, { size: 10.5, color: MUTED })
  // Public posts the team chose to quote (listening): text, then where it was posted.
  if (view.quotes.length) {
    gap(12)
    paragraph(view.t.quotesHeading, view.locale, { size: 15, color: INK, weight: 'bold' })
    gap(6)
    for (const q of view.quotes) {
      const inner = { x: left + 14, width: fullWidth - 14 }
      if (doc.y + 60 > bottom()) doc.addPage()
      paragraph(q.text, view.locale, { size: 11.5, color: INK, lineGap: 1.5, ...inner })
      paragraph(`${q.source} · ${q.url}`, view.locale, { size: 9.5, color: MUTED, ...inner })
      gap(12)
    }
  }

  // Page numbers and the footer on every page, written once the page count is known.
  const range = doc.bufferedPageRange()
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i)
    const savedBottom = doc.page.margins.bottom
    doc.page.margins.bottom = 0
    doc.y = doc.page.height - 44
    const footer = view.t.footer
    paragraph(footer, view.locale, { size: 8.5, color: MUTED, width: fullWidth - 90 })
    doc.y = doc.page.height - 44
    paragraph(view.t.page.replace('{page}', String(i + 1)).replace('{pages}', String(range.count)), view.locale, { size: 8.5, color: MUTED, x: left + fullWidth - 90, width: 90, align: 'end' })
    doc.page.margins.bottom = savedBottom
  }
  doc.end()
  return done
}

/** Consecutive clusters of [from, to) in one font, in logical order. */
function fontRuns (clusters: readonly Cluster[], fontOf: readonly string[], from: number, to: number): Array<{ font: string, text: string }> {
  const runs: Array<{ font: string, text: string }> = []
  for (let i = from; i < to; i++) {
    const last = runs[runs.length - 1]
    if (last && last.font === fontOf[i]) last.text += clusters[i]!.text
    else runs.push({ font: fontOf[i]!, text: clusters[i]!.text })
  }
  return runs
}

/** What pdfkit's EmbeddedFont exposes that the two layers adjust (pdfkit 0.20: lib/font/embedded.js). */
interface PdfkitFont {
  name: string
  ascender: number
  scale: number
  unicode: number[][]
  font: fontkit.Font
  subset: { glyphEncoder: { encodeSimple: (path: GlyphPath, instructions?: number[]) => Uint8Array } }
  encode: (text: string, features?: unknown) => [string[], unknown[]]
  layout: (text: string, features?: unknown, onlyWidth?: boolean) => { glyphs: fontkit.Glyph[] | null, positions: unknown[] | null, advanceWidth: number }
}

const FALLBACK = 'fallback'

/**
 * The fonts of one document: per font file three pdfkit fonts (regular and bold visible, and the invisible copy),
 * registered on first use. pick() chooses a cluster's file; a cluster no font has is drawn as a visible mark.
 */
async function openFonts (doc: PDFKit.PDFDocument, files: PdfFontFiles, texts: Array<{ text: string, lang: string }>) {
  const faces = new Map<string, fontkit.Font>()
  const bytes = new Map<string, Buffer>()
  const wanted = new Set<string>(['sans/latin'])
  for (const { text, lang } of texts) {
    for (const ch of new Set(text)) {
      const cp = ch.codePointAt(0)!
      // The first family whose files are meant for the character (a unicode-range holds it); the glyph is checked on the font.
      // A pictograph may sit in a CJK file's range without its glyph: the emoji font's file is loaded too.
      for (const family of familyOrder(lang)) {
        const key = files.sliceFor(family, cp)
        if (key) { wanted.add(key); break }
      }
      const emoji = PICTOGRAPH.test(ch) ? files.sliceFor('emoji', cp) : null
      if (emoji) wanted.add(emoji)
    }
  }
  await Promise.all([...wanted].map(async (key) => {
    const b = await files.load(key)
    bytes.set(key, b)
    faces.set(key, fontkit.create(b))
  }))

  const picked = new Map<string, string>()
  const pick = (cluster: string, lang: string): string => {
    const memo = `${lang}\u0000${cluster}`
    let found = picked.get(memo)
    if (found !== undefined) return found
    const cps = [...cluster].filter((c) => !INVISIBLE.test(c)).map((c) => c.codePointAt(0)!)
    found = FALLBACK
    const first = cps[0]
    if (first === undefined) {
      found = 'sans/latin'
    } else {
      for (const family of familyOrder(lang)) {
        const key = files.sliceFor(family, first)
        const face = key ? faces.get(key) : undefined
        if (key && face && cps.every((cp) => face.hasGlyphForCodePoint(cp))) { found = key; break }
      }
    }
    picked.set(memo, found)
    return found
  }

  const registered = new Map<string, PdfkitFont>()
  const widths = new Map<string, number>()
  const use = (key: string, layer: 'visible' | 'copy'): PdfkitFont => {
    const name = `${key}#${layer}`
    let font = registered.get(name)
    if (font) { doc.font(name); return font }
    const src = bytes.get(key)!
    // Variable fonts at weight 400: the CJK and Hebrew files default to Thin, so their 'Regular' instance is asked for.
    const face = faces.get(key)
    const regular = face?.variationAxes?.wght && face.variationAxes.wght.default !== 400 && face.namedVariations?.Regular ? 'Regular' : undefined
    doc.registerFont(name, src, regular as string)
    doc.font(name)
    const d = doc as unknown as { _font: PdfkitFont, _fontFamilies: Record<string, PdfkitFont> }
    font = d._font
    // fontkit 2.0.4 re-encodes an instance's outlines with new EncodeStream(size), which restructure 3 rejects (it
    // takes a buffer): its subset gets our encoder of simple TrueType glyphs instead (headings stand out by size and
    // colour, not by a bold instance, to keep to one instance per file).
    if (regular) font.subset.glyphEncoder.encodeSimple = encodeSimpleGlyph
    // pdfkit shares one font object among registrations of the same PostScript name; each layer needs its own.
    if (d._fontFamilies[font.name] === font) delete d._fontFamilies[font.name]
    if (layer === 'visible') {
      const encode = font.encode.bind(font)
      const f = font
      f.encode = (text, features) => {
        const r = encode(text, features)
        for (let g = 0; g < f.unicode.length; g++) f.unicode[g] = [0x20]
        return r
      }
    } else {
      const f = font
      // One glyph per character, in the order given: no shaping, no reordering (the text readers extract).
      f.layout = (text) => {
        const glyphs = f.font.glyphsForString(text).filter((g) => g.id !== 0)
        const positions = glyphs.map((g) => ({ xAdvance: g.advanceWidth * f.scale, yAdvance: 0, xOffset: 0, yOffset: 0, advanceWidth: g.advanceWidth * f.scale }))
        return { glyphs, positions, advanceWidth: positions.reduce((s, p) => s + p.xAdvance, 0) }
      }
    }
    registered.set(name, font)
    return font
  }

  // A space no font has (French numbers' U+202F) is drawn as a no-break space; anything else no font has is marked visibly.
  const substitute = (text: string): string => clustersOf(text).map((c) => {
    if (/^\p{Zs}$/u.test(c.text)) return '\u00a0'
    if (PICTOGRAPH.test(c.text)) return '[emoji]'
    return `[U+${c.text.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}]`
  }).join('')

  return {
    pick,
    /** A run's advance width at a size. */
    width (key: string, text: string, size: number, weight: Weight = 'regular'): number {
      if (key === FALLBACK) return this.width('sans/latin', substitute(text), size, weight)
      // Line breaking measures the same runs again and again, and pdfkit caches no layout made with features.
      const memo = `${key}\u0000${size}\u0000${text}`
      let w = widths.get(memo)
      if (w === undefined) {
        use(key, 'visible')
        w = doc.fontSize(size).widthOfString(text, { features: [] } as PDFKit.Mixins.TextOptions)
        widths.set(memo, w)
      }
      return w
    },
    /** Draws a run with its baseline at y; returns its advance width. */
    draw (key: string, layer: 'visible' | 'copy', text: string, x: number, baseline: number, style: Style): number {
      if (key === FALLBACK) return this.draw('sans/latin', layer, substitute(text), x, baseline, style)
      const font = use(key, layer)
      const width = layer === 'visible' ? this.width(key, text, style.size) : doc.fontSize(style.size).widthOfString(text, { features: [] } as PDFKit.Mixins.TextOptions)
      use(key, layer)
      doc.fontSize(style.size).fillColor(style.color)
      const top = baseline - (font.ascender / 1000) * style.size
      if (layer === 'copy') doc.addContent('3 Tr')
      doc.text(text, x, top, { lineBreak: false, features: [] } as PDFKit.Mixins.TextOptions)
      if (layer === 'copy') doc.addContent('0 Tr')
      return width
    }
  }
}

interface GlyphPath { commands: Array<{ command: string, args: number[] }> }

/**
 * A simple TrueType glyph ('glyf' table, https://learn.microsoft.com/en-us/typography/opentype/spec/glyf, checked
 * 2026-12-04) from an outline of moveTo/lineTo/quadraticCurveTo/closePath: every point with a 16-bit delta, control
 * points off the curve, no hinting instructions (a PDF is scaled, not hinted), padded to 4 bytes.
 */
export function encodeSimpleGlyph (path: GlyphPath): Uint8Array {
  const xs: number[] = []
  const ys: number[] = []
  const on: boolean[] = []
  const ends: number[] = []
  for (const c of path.commands) {
    if (c.command === 'moveTo' && xs.length > 0 && ends[ends.length - 1] !== xs.length - 1) ends.push(xs.length - 1)
    for (let i = 0; i + 1 < c.args.length; i += 2) {
      xs.push(Math.round(c.args[i]!))
      ys.push(Math.round(c.args[i + 1]!))
      on.push(!(c.command === 'quadraticCurveTo' && i === 0))
    }
    if (c.command === 'closePath' && xs.length > 0 && ends[ends.length - 1] !== xs.length - 1) ends.push(xs.length - 1)
  }
  if (xs.length > 0 && ends[ends.length - 1] !== xs.length - 1) ends.push(xs.length - 1)
  if (xs.length === 0) return new Uint8Array(0)
  const n = xs.length
  const size = 10 + 2 * ends.length + 2 + n + 4 * n
  const out = new Uint8Array(size + ((4 - (size % 4)) % 4))
  const view = new DataView(out.buffer)
  let at = 0
  const i16 = (v: number) => { view.setInt16(at, v); at += 2 }
  i16(ends.length)
  i16(Math.min(...xs)); i16(Math.min(...ys)); i16(Math.max(...xs)); i16(Math.max(...ys))
  for (const e of ends) i16(e)
  i16(0)
  for (const o of on) out[at++] = o ? 1 : 0
  let last = 0
  for (const x of xs) { i16(x - last); last = x }
  last = 0
  for (const y of ys) { i16(y - last); last = y }
  return out
}
