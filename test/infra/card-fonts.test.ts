import { describe, expect, it } from 'vitest'
import { createCardFonts } from '../../server/infra/card-fonts.ts'

describe('card fonts', () => {
  const fonts = createCardFonts()

  it('loads the Latin pieces alone for Latin text, and the same list again for the same pieces', () => {
    const latin = fonts.fontsFor('Le climat n’attend pas — ça')
    expect(latin.map((f) => `${f.name} ${f.weight}`).sort()).toEqual(['Noto Sans 400', 'Noto Sans 700'])
    expect(fonts.fontsFor('Ŵales').map((f) => f.name)).toContain('Noto Sans latin-ext')
    expect(fonts.fontsFor('Le climat n’attend pas — ça')).toBe(latin)
  })

  it('adds the Arabic and the Japanese pieces a title needs, each under its own name, and no others', () => {
    const list = fonts.fontsFor('المناخ لا ينتظر 気候は待ってくれない')
    const names = new Set(list.map((f) => f.name))
    expect(names.has('Noto Sans Arabic arabic')).toBe(true)
    const jp = [...names].filter((n) => n.startsWith('Noto Sans JP'))
    expect(jp.length).toBeGreaterThan(0)
    // A handful of the 120 Japanese pieces, not all of them.
    expect(jp.length).toBeLessThan(12)
    expect(fonts.loaded().files).toBeLessThan(40)
  })

  it('finds emoji in Twemoji, sequences and flags included', () => {
    for (const e of ['🌍', '🇫🇷', '👩🏽‍🔬', '❤️']) expect(fonts.emoji(e), e).toMatch(/^data:image\/svg\+xml;base64,/)
    expect(fonts.emoji('x')).toBeNull()
  })
})
