import { describe, expect, it } from 'vitest'
import { LIMITS, measureLength } from '../../../server/domain/networks/index.ts'

// Threads vectors. Expected values from Meta's Threads documentation
// (https://developers.facebook.com/docs/threads/overview#text-posts: 500 characters, emoji counted as their UTF-8
// byte length), issue 12 §5, checked 2026-12-04.
describe('Threads length', () => {
  it('counts 🌍 as its 4 UTF-8 bytes: 451 code points with 100 of them are 751 (refused)', () => {
    const text = 'a'.repeat(351) + '🌍'.repeat(100)
    expect([...text].length).toBe(451)
    expect(measureLength('threads', text)).toBe(751)
    expect(measureLength('threads', text)).toBeGreaterThan(LIMITS.threads)
  })
  it('counts other characters once, and an emoji sequence by all its bytes', () => {
    expect(measureLength('threads', 'café 気候')).toBe(7)
    expect(measureLength('threads', '👩🏽‍🌾')).toBe(15)
    expect(measureLength('threads', '🇫🇷')).toBe(8)
    expect(measureLength('threads', 'a'.repeat(500))).toBe(500)
  })
})
