import { fileURLToPath } from 'node:url'
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs'

const FONTS = fileURLToPath(new URL('../node_modules/pdfjs-dist/standard_fonts/', import.meta.url))

/** The text of every page of a PDF, pages joined by a form feed, runs of spaces (no-break ones too) as one space. */
export async function pdfPages (pdf: Buffer | Uint8Array): Promise<string[]> {
  const doc = await getDocument({ data: new Uint8Array(pdf), useSystemFonts: false, isEvalSupported: false, standardFontDataUrl: FONTS }).promise
  const pages: string[] = []
  for (let i = 1; i <= doc.numPages; i++) {
    const content = await (await doc.getPage(i)).getTextContent()
    pages.push(content.items.map((item) => ('str' in item ? item.str + (item.hasEOL ? '\n' : '') : '')).join('').replace(/[ \u00a0]+/g, ' '))
  }
  await doc.destroy()
  return pages
}

/** The whole text of a PDF, lines joined by spaces. */
export async function pdfText (pdf: Buffer | Uint8Array): Promise<string> {
  return (await pdfPages(pdf)).join('\n').replace(/\s+/g, ' ')
}
