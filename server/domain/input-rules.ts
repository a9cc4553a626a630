// Control characters are Unicode's general category Cc: U+0000–U+001F and U+007F–U+009F (Unicode Standard,
// UnicodeData.txt; checked 2026-12-04). Tab, line feed and carriage return are how text is typed; the others
// never are, and PostgreSQL refuses U+0000 in any text value ("invalid byte sequence for encoding UTF8: 0x00",
// PostgreSQL 15 manual §8.3 Character Types; checked 2026-12-04).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/
// eslint-disable-next-line no-control-regex
const CONTROL_ALL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g

/** Whether a string holds a control character other than a tab or a line break. */
export function hasControlChars (s: string): boolean {
  return CONTROL.test(s)
}

/** The first control character of a string (tab and line breaks aside) as "U+001B", or null: to name it in an error. */
export function firstControlChar (s: string): string | null {
  const found = CONTROL.exec(s)
  return found ? 'U+' + found[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0') : null
}

/** The string without its control characters (tabs and line breaks kept), to show a refused text back. */
export function withoutControlChars (s: string): string {
  return s.replace(CONTROL_ALL, '')
}

/** Whether any string in a parsed input (query, form or JSON body, at any depth) holds a control character; keys included. */
export function inputHasControlChars (value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return CONTROL.test(value)
  if (!value || typeof value !== 'object' || depth > 32) return false
  if (Array.isArray(value)) return value.some((v) => inputHasControlChars(v, depth + 1))
  // A Buffer or stream (a multipart file) is not text typed by someone: its own parser judges it.
  if (Buffer.isBuffer(value) || typeof (value as { pipe?: unknown }).pipe === 'function') return false
  for (const [k, v] of Object.entries(value)) {
    if (CONTROL.test(k) || inputHasControlChars(v, depth + 1)) return true
  }
  return false
}
