import { describe, expect, it } from 'vitest'
import { firstControlChar, hasControlChars, inputHasControlChars, withoutControlChars } from '../../server/domain/input-rules.ts'

describe('control characters', () => {
  it('refuses C0 (but tab, line feed, carriage return), DEL and C1', () => {
    for (const c of ['\u0000', '\u0001', '\u0007', '\u0008', '\u000b', '\u000c', '\u000e', '\u001b', '\u001f', '\u007f', '\u0080', '\u0085', '\u009f']) {
      expect(hasControlChars(`a${c}b`), JSON.stringify(c)).toBe(true)
    }
    for (const s of ['a\tb', 'a\nb', 'a\r\nb', 'é ü 中文 🌍', '\u00a0\u202f', '\u2028', '']) expect(hasControlChars(s), JSON.stringify(s)).toBe(false)
  })

  it('names the first one as a code point, for an error message', () => {
    expect(firstControlChar('ok\tthen\u001b and \u0007')).toBe('U+001B')
    expect(firstControlChar('\u0000')).toBe('U+0000')
    expect(firstControlChar('C1 \u0085')).toBe('U+0085')
    expect(firstControlChar('a\r\nb\tc é')).toBeNull()
  })

  it('removes them for showing a text back, keeping tabs and line breaks', () => {
    expect(withoutControlChars('a\u0000b\u0007c\td\r\ne\u009f')).toBe('abc\td\r\ne')
  })

  it('finds them at any depth of a parsed input, keys included, but not in files', () => {
    expect(inputHasControlChars({ a: 'ok', b: ['fine', { c: 'x\u0000' }] })).toBe(true)
    expect(inputHasControlChars({ 'k\u0001': 'v' })).toBe(true)
    expect(inputHasControlChars({ a: 'ok', n: 3, t: true, z: null, list: ['a\nb'] })).toBe(false)
    expect(inputHasControlChars(undefined)).toBe(false)
    expect(inputHasControlChars({ file: Buffer.from([0, 1, 2]) })).toBe(false)
  })
})
