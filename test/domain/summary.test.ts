import { describe, expect, it } from 'vitest'
import { defaultSummary, SUMMARY_MAX, summaryOf } from '../../server/domain/summary.ts'

const graphemeCount = (s: string): number => Array.from(new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(s)).length

describe('preview summary', () => {
  it('keeps a short pitch whole, on one line', () => {
    expect(defaultSummary('Écrivez aux\nnégociateurs.  ')).toBe('Écrivez aux négociateurs.')
  })

  it('cuts a long pitch at a word, within the limit, with an ellipsis', () => {
    const pitch = 'En 2010 à Cancún, des milliers de personnes ont écrit aux négociateurs du climat. Leurs messages ont rempli une bouteille géante livrée devant les délégations. Recommençons : écrivez-leur maintenant.'
    const s = defaultSummary(pitch)
    expect(s.endsWith('…')).toBe(true)
    expect(graphemeCount(s)).toBeLessThanOrEqual(SUMMARY_MAX)
    expect(graphemeCount(s)).toBeGreaterThan(SUMMARY_MAX / 2)
    const words = s.slice(0, -1)
    expect(pitch.startsWith(words)).toBe(true)
    // The cut falls between two words, and no punctuation is left before the ellipsis.
    expect(pitch[words.length]).toMatch(/[\s,.]/)
    expect(words).not.toMatch(/[\s,.]$/)
  })

  it('cuts exactly at the limit when the word ends there', () => {
    const pitch = `${'a'.repeat(100)} ${'b'.repeat(53)} cdef`
    expect(defaultSummary(pitch)).toBe(`${'a'.repeat(100)} ${'b'.repeat(53)}…`)
  })

  it('cuts text without spaces (Japanese) by characters, never inside an emoji', () => {
    const pitch = '気候は待ってくれない。'.repeat(20) + '🌍'
    const s = defaultSummary(pitch, 20)
    expect(graphemeCount(s)).toBeLessThanOrEqual(20)
    expect(s.endsWith('…')).toBe(true)
    const flags = '🇫🇷'.repeat(30)
    expect(defaultSummary(flags, 10)).toBe('🇫🇷'.repeat(9) + '…')
  })

  it('prefers the summary written for the campaign', () => {
    expect(summaryOf({ summary: '  Court.  ', pitch: 'Long pitch' })).toBe('Court.')
    expect(summaryOf({ summary: '', pitch: 'Long pitch' })).toBe('Long pitch')
    expect(summaryOf({ pitch: 'x '.repeat(200) }).length).toBeLessThanOrEqual(SUMMARY_MAX)
  })
})
