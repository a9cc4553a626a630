import { describe, expect, it } from 'vitest'
import { CARD_PALETTE, barStep, cardFormatOf, cardModel, cardVersion, checkCardColours, contrastRatio, readsRightToLeft, shownCount } from '../../server/domain/share-card.ts'

const base = {
  format: 'landscape' as const,
  locale: 'en',
  title: 'Climate can’t wait',
  hashtags: ['tweetbottle', 'cop16'],
  goal: 2500,
  words: { headline: (shown: string, n: number) => `${shown} message${n === 1 ? '' : 's'}`, goal: 'Goal: 2,500' },
  formatNumber: (n: number) => n.toLocaleString('en'),
  siteName: 'Bouteille'
}

describe('share card model', () => {
  it('shows small counts exactly and larger ones to two figures, marked', () => {
    expect(shownCount(0)).toEqual({ value: 0, approx: false })
    expect(shownCount(99)).toEqual({ value: 99, approx: false })
    expect(shownCount(100)).toEqual({ value: 100, approx: false })
    expect(shownCount(1234)).toEqual({ value: 1200, approx: true })
    expect(shownCount(1299)).toEqual({ value: 1200, approx: true })
    expect(shownCount(98_765)).toEqual({ value: 98_000, approx: true })
    expect(shownCount(-3)).toEqual({ value: 0, approx: false })
  })

  it('fills the bar in steps of 5 %, full only at the goal', () => {
    expect(barStep(0, 100)).toBe(0)
    expect(barStep(4, 100)).toBe(0)
    expect(barStep(5, 100)).toBe(5)
    expect(barStep(99, 100)).toBe(95)
    expect(barStep(100, 100)).toBe(100)
    expect(barStep(1234, 2500)).toBe(45)
  })

  it('reads the format, refusing unknown ones', () => {
    expect(cardFormatOf(undefined)).toBe('landscape')
    expect(cardFormatOf('square')).toBe('square')
    expect(cardFormatOf('story')).toBe('story')
    expect(cardFormatOf('huge')).toBeNull()
    expect(cardFormatOf(['square'])).toBeNull()
  })

  it('finds right-to-left titles by their first letter', () => {
    expect(readsRightToLeft('المناخ لا ينتظر')).toBe(true)
    expect(readsRightToLeft('« שלום »')).toBe(true)
    expect(readsRightToLeft('COP16 المناخ')).toBe(false)
    expect(readsRightToLeft('気候は待ってくれない')).toBe(false)
  })

  it('keeps the version while what is drawn stays the same, and changes it when it moves', () => {
    const at = (count: number) => cardVersion(cardModel({ ...base, count, total: count }))
    expect(at(1210)).toBe(at(1234))
    expect(at(1299)).toBe(at(1250))
    expect(at(1300)).not.toBe(at(1299))
    expect(at(99)).not.toBe(at(98))
    const model = cardModel({ ...base, count: 1234, total: 1234 })
    expect(model.headline).toBe('1,200+ messages')
    expect(model.hashtag).toBe('#tweetbottle')
    expect(model.bar).toBe(45)
    expect(model).toMatchObject({ width: 1200, height: 630 })
    // A new title, a target or another format is another card.
    expect(cardVersion({ ...model, title: 'x' })).not.toBe(cardVersion(model))
    expect(cardVersion(cardModel({ ...base, format: 'story', count: 1234, total: 1234 }))).not.toBe(cardVersion(model))
  })

  it('names the target on its card', () => {
    const model = cardModel({ ...base, count: 7, total: 1234, words: { ...base.words, headline: (s) => `${s} messages to Alice Martin` }, target: { name: 'Alice Martin', initials: 'AM', photoUrl: null } })
    expect(model.headline).toBe('7 messages to Alice Martin')
    expect(model.bar).toBe(45)
  })
})

describe('card colours (WCAG 2.2 contrast ratio)', () => {
  it('computes the ratio of the spec’s extremes and of the site’s palette', () => {
    expect(contrastRatio('#ffffff', '#000000')).toBeCloseTo(21, 5)
    expect(contrastRatio('#000000', '#ffffff')).toBeCloseTo(21, 5)
    expect(contrastRatio('#777777', '#777777')).toBe(1)
    expect(contrastRatio('#ffffff', '#767676')).toBeCloseTo(4.54, 2)
    expect(contrastRatio('#ffffff', '#777777')).toBeCloseTo(4.48, 2)
    expect(contrastRatio(CARD_PALETTE.ink, CARD_PALETTE.background)).toBeGreaterThan(4.5)
  })

  it('accepts a readable pair, lower-cased, and refuses a bad format or a pale background with its ratio', () => {
    expect(checkCardColours(' #7A1F3D', '#FFCC00')).toEqual({ ok: true, background: '#7a1f3d', accent: '#ffcc00' })
    expect(checkCardColours('#767676', '#ffcc00').ok).toBe(true)
    expect(checkCardColours('#777777', '#ffcc00')).toEqual({ ok: false, field: 'background', reason: 'contrast', ratio: 4.47 })
    expect(checkCardColours('#cccccc', '#ffcc00')).toEqual({ ok: false, field: 'background', reason: 'contrast', ratio: 1.6 })
    expect(checkCardColours('red', '#ffcc00')).toEqual({ ok: false, field: 'background', reason: 'format' })
    expect(checkCardColours('#0b4d57', '#fc0')).toEqual({ ok: false, field: 'accent', reason: 'format' })
  })

  it('gives a card another version when its colours change', () => {
    const args = { format: 'landscape' as const, locale: 'en', title: 'T', hashtags: [], count: 1, total: 1, goal: 10, words: { headline: () => 'h', goal: 'g' }, formatNumber: String, siteName: 'S' }
    expect(cardVersion(cardModel(args))).toBe(cardVersion(cardModel({ ...args, colours: { background: CARD_PALETTE.background } })))
    expect(cardVersion(cardModel(args))).not.toBe(cardVersion(cardModel({ ...args, colours: { background: '#7a1f3d' } })))
    expect(cardVersion(cardModel(args))).not.toBe(cardVersion(cardModel({ ...args, colours: { bar: '#ffcc00' } })))
  })
})
