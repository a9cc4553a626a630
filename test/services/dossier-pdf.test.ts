import { inflateSync } from 'node:zlib'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { dossierView, type DossierData } from '../../server/domain/dossier.ts'
import { createI18n } from '../../server/i18n.ts'
import { createPdfFontFiles } from '../../server/infra/pdf-fonts.ts'
import * as fontkit from 'fontkit'
import { createCanvas } from '@napi-rs/canvas'
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs'
import { encodeSimpleGlyph, renderDossierPdf } from '../../server/services/dossier-pdf.ts'
import { pdfPages } from '../pdf-text.ts'

const i18n = createI18n(fileURLToPath(new URL('../../views/locales', import.meta.url)))
const fonts = createPdfFontFiles()

const MESSAGES: Array<[string, string]> = [
  ['ar', 'أوقفوا الوقود الأحفوري الآن، من أجل أطفالنا ومستقبل الكوكب.'],
  ['ar', 'العدالة المناخية (الآن) #COP16 ليست خيارا'],
  ['hi', 'जलवायु न्याय अभी चाहिए, किसानों और हिमालय के लिए।'],
  ['ja', '気候正義を今すぐ。未来の世代のために行動してください。'],
  ['ru', 'Климатическая справедливость — сейчас! Действуйте, пожалуйста.'],
  ['fr', 'Financez le fonds « pertes et dommages » : 100 milliards, c’est un minimum.'],
  ['ko', '기후 정의를 지금 실현하세요.'],
  ['zh', '气候正义，刻不容缓。'],
  ['el', 'Κλιματική δικαιοσύνη τώρα.'],
  ['he', 'צדק אקלימי עכשיו.']
]

function data (messages: Array<[string, string]>): DossierData {
  return {
    campaign: { slug: 'cop', title: 'Le climat n’attend pas', pitch: '', hashtags: ['tweetbouteille'], link: 'https://b.example/c/cop', timeZone: 'Europe/Paris' },
    target: { name: 'Amina Diallo', role: 'Négociatrice', organisation: '', country: 'Sénégal' },
    counts: { x: 3, bluesky: 0, mastodon: 0, threads: 0, email: 0, bottle: messages.length },
    messages: messages.map(([locale, text], i) => ({ text, locale, signatureName: null, signatureTown: null, publishConsent: false, featured: false, createdAt: new Date(Date.UTC(2026, 10, 1, 10, i)) })),
    approvedTotal: messages.length,
    at: new Date('2026-12-10T08:00:00Z')
  }
}

// Line breaks become spaces in extraction, and CJK lines break between characters: compare without whitespace.
const squeeze = (s: string) => s.replace(/\s+/g, '')

/** Each embedded font's ToUnicode map: the characters its glyphs stand for (visible glyphs map to spaces, the copy to the characters). */
function toUnicodeChars (pdf: Buffer): Set<string> {
  const chars = new Set<string>()
  const raw = pdf.toString('latin1')
  // Every stream inflated (ToUnicode maps are deflated): the ones that are not CMaps add nothing that matches.
  let text = ''
  for (const m of raw.matchAll(/stream\r?\n/g)) {
    const start = m.index + m[0].length
    const end = raw.indexOf('endstream', start)
    try { text += inflateSync(pdf.subarray(start, end)).toString('latin1') } catch {}
  }
  for (const m of text.matchAll(/beginbfrange[\s\S]*?endbfrange/g)) {
    for (const e of m[0].matchAll(/<([0-9a-f]{4}(?: [0-9a-f]{4})*)>/g)) {
      const units = e[1]!.split(' ').map((h) => parseInt(h, 16))
      for (const ch of String.fromCharCode(...units)) chars.add(ch)
    }
  }
  return chars
}

describe('dossier PDF in every script', () => {
  it('gives back every message, in logical order, whatever its script and direction', async () => {
    const view = dossierView(data(MESSAGES), i18n.translator('fr'))
    const pdf = await renderDossierPdf(view, fonts)
    const all = squeeze((await pdfPages(pdf)).join('\n'))
    let at = 0
    for (const g of view.groups) {
      for (const m of g.messages) {
        const found = all.indexOf(squeeze(m.text), at)
        expect(found, m.text).toBeGreaterThanOrEqual(0)
        at = found
      }
    }
    // Headings per language with counts, in the reader's language.
    expect(all).toContain(squeeze('Arabe · 2 messages'))
    expect(all).toContain(squeeze('Japonais · 1 message'))
  }, 120_000)

  it('embeds a glyph for every character of the messages (no tofu, nothing replaced)', async () => {
    const pdf = await renderDossierPdf(dossierView(data(MESSAGES), i18n.translator('fr')), fonts)
    const mapped = toUnicodeChars(pdf)
    const missing = [...new Set(MESSAGES.map(([, t]) => t).join(''))].filter((ch) => ch.trim() && !mapped.has(ch))
    expect(missing).toEqual([])
    // .notdef (glyph 0) is never drawn: it maps to U+0000 in pdfkit's ToUnicode, which extraction would show.
    expect((await pdfPages(pdf)).join('')).not.toContain('\u0000')
    // Fonts embedded as subsets (pdfkit names them with a six-letter tag), nothing of the standard fonts.
    expect(pdf.toString('latin1')).toMatch(/\/BaseFont \/[A-Z]{6}\+NotoSans/)
    expect(pdf.toString('latin1')).not.toContain('/Helvetica')
  }, 120_000)

  it('draws emoji with the monochrome emoji font', async () => {
    const pdf = await renderDossierPdf(dossierView(data([['fr', 'Merci 🌍🙏 !']]), i18n.translator('fr')), fonts)
    const text = (await pdfPages(pdf)).join(' ')
    expect(text).toContain('🌍')
    expect(text).toContain('🙏')
    expect(text).not.toContain('[emoji]')
  })

  it('stays small for 400 messages in six scripts (fonts subset to the glyphs used)', async () => {
    const messages = Array.from({ length: 400 }, (_, i) => MESSAGES[i % MESSAGES.length]!)
    const pdf = await renderDossierPdf(dossierView(data(messages), i18n.translator('ar')), fonts)
    expect(pdf.length).toBeLessThan(2 * 1024 * 1024)
    const pages = await pdfPages(pdf)
    expect(pages.length).toBeGreaterThan(10)
  }, 120_000)

  it('joins Arabic letters: the shaped glyphs are the contextual forms, not the isolated ones', async () => {
    const face = fontkit.create(await fonts.load('arabic/arabic')) as fontkit.Font & { layout: (t: string) => { glyphs: fontkit.Glyph[] } }
    const word = 'مرحبا'
    const isolated = face.glyphsForString(word).map((g) => g.id)
    const shaped = face.layout(word).glyphs.map((g) => g.id)
    // Laid out right to left, and at least the joining letters changed form.
    expect(shaped.filter((id, i) => id !== [...isolated].reverse()[i]).length).toBeGreaterThanOrEqual(3)
  })

  it('renders every page to pixels with pdf.js, ink where the messages are', async () => {
    const pdf = await renderDossierPdf(dossierView(data(MESSAGES), i18n.translator('fr')), fonts)
    const doc = await getDocument({ data: new Uint8Array(pdf), useSystemFonts: false, isEvalSupported: false }).promise
    const page = await doc.getPage(2)
    const viewport = page.getViewport({ scale: 1 })
    const canvas = createCanvas(viewport.width, viewport.height)
    const ctx = canvas.getContext('2d')
    await page.render({ canvas: canvas as never, canvasContext: ctx as never, viewport }).promise
    const { data: px } = ctx.getImageData(0, 0, canvas.width, canvas.height)
    let dark = 0
    for (let i = 0; i < px.length; i += 4) if (px[i]! < 128 && px[i + 3]! > 0) dark++
    expect(dark).toBeGreaterThan(5000)
    expect(canvas.toBuffer('image/png').subarray(1, 4).toString()).toBe('PNG')
    await doc.destroy()
  })

  it('encodes a simple TrueType glyph: contours, on- and off-curve points, 16-bit deltas, 4-byte padding', () => {
    const bytes = encodeSimpleGlyph({
      commands: [
        { command: 'moveTo', args: [0, 0] }, { command: 'lineTo', args: [100, 0] }, { command: 'quadraticCurveTo', args: [150, 50, 100, 100] }, { command: 'closePath', args: [] }
      ]
    })
    const v = new DataView(bytes.buffer)
    expect(v.getInt16(0)).toBe(1)
    expect([v.getInt16(2), v.getInt16(4), v.getInt16(6), v.getInt16(8)]).toEqual([0, 0, 150, 100])
    expect(v.getUint16(10)).toBe(3)
    expect(v.getUint16(12)).toBe(0)
    expect([...bytes.subarray(14, 18)]).toEqual([1, 1, 0, 1])
    expect([v.getInt16(18), v.getInt16(20), v.getInt16(22), v.getInt16(24)]).toEqual([0, 100, 50, -50])
    expect(bytes.length % 4).toBe(0)
    expect(encodeSimpleGlyph({ commands: [] }).length).toBe(0)
  })
})
