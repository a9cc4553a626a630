import { describe, expect, it } from 'vitest'
import { barStep, cardFormatOf, cardModel, cardVersion, readsRightToLeft, shownCount } from '../../server/domain/share-card.ts'

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
