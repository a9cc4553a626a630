// The part of fontkit (pdfkit's font engine, no published types) that the dossier uses.
declare module 'fontkit' {
  export interface Glyph { id: number, advanceWidth: number, codePoints: number[] }
  export interface Font {
    postscriptName: string
    unitsPerEm: number
    namedVariations?: Record<string, Record<string, number>>
    variationAxes?: Record<string, { min: number, default: number, max: number }>
    hasGlyphForCodePoint: (codePoint: number) => boolean
    glyphsForString: (text: string) => Glyph[]
  }
  export function create (buffer: Uint8Array, postscriptName?: string): Font
}
