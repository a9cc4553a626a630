import { describe, expect, it } from 'vitest'
import { breakLines, breaksAfter, clustersOf, hasRtlLetter, mirrored, paragraphLevels, visualOrder } from '../../server/domain/text-layout.ts'

// Every cluster one unit wide: line breaking is checked on its own.
const lines = (text: string, width: number) => {
  const cs = clustersOf(text)
  return breakLines(cs, (a, b) => b - a, width).map(([a, b]) => cs.slice(a, b).map((c) => c.text).join(''))
}

describe('grapheme clusters', () => {
  it('keeps a letter with its marks, an emoji sequence and a Devanagari syllable whole', () => {
    expect(clustersOf('é👩‍👩‍👧🇫🇷').map((c) => c.text)).toEqual(['é', '👩‍👩‍👧', '🇫🇷'])
    expect(clustersOf('कि').map((c) => c.text)).toEqual(['कि'])
    expect(clustersOf('ab').map((c) => [c.start, c.end])).toEqual([[0, 1], [1, 2]])
  })
})

describe('line breaking on logical text', () => {
  it('breaks after spaces, never at a no-break space, and leaves trailing spaces out', () => {
    expect(lines('one two three four', 9)).toEqual(['one two', 'three', 'four'])
    expect(lines('12\u202f345 actions', 8)).toEqual(['12\u202f345', 'actions'])
    expect(lines('a  b', 10)).toEqual(['a  b'])
  })
  it('breaks between CJK characters, which are written without spaces', () => {
    expect(lines('気候正義を今すぐ', 3)).toEqual(['気候正', '義を今', 'すぐ'])
    expect(breaksAfter(clustersOf('ab'), 0)).toBe(false)
    expect(breaksAfter(clustersOf('気候'), 0)).toBe(true)
  })
  it('cuts a word longer than the line between clusters', () => {
    expect(lines('https://example.org/long', 10)).toEqual(['https://ex', 'ample.org/', 'long'])
    expect(lines('', 10)).toEqual([])
  })
})

describe('bidirectional order', () => {
  it('finds the paragraph direction from its first strong letter', () => {
    expect(paragraphLevels('Hello').base).toBe(0)
    expect(paragraphLevels('مرحبا COP16').base).toBe(1)
    expect(paragraphLevels('123 שלום').base).toBe(1)
  })
  it('reverses right-to-left runs and keeps numbers and Latin inside them left to right (UAX #9 L2)', () => {
    expect(visualOrder([0, 0, 1, 1, 1, 0])).toEqual([0, 1, 4, 3, 2, 5])
    expect(visualOrder([1, 1, 2, 2, 1])).toEqual([4, 2, 3, 1, 0])
    expect(visualOrder([])).toEqual([])
    const text = 'أ ب COP16'
    const { levels } = paragraphLevels(text)
    const cs = clustersOf(text)
    const order = visualOrder(cs.map((c) => levels[c.start]!))
    expect(order.map((i) => cs[i]!.text).join('')).toBe('COP16 ب أ')
  })
  it('mirrors brackets drawn right to left, and tells right-to-left letters', () => {
    expect(mirrored('(')).toBe(')')
    expect(mirrored('a')).toBe('a')
    expect(hasRtlLetter('abc (مرحبا)')).toBe(true)
    expect(hasRtlLetter('שלום')).toBe(true)
    expect(hasRtlLetter('abc 123 !')).toBe(false)
  })
})
