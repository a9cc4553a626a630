// E-mail. Source, checked 2026-12-04: RFC 6068 §5 — in a mailto: body, a line break is CRLF, encoded as %0D%0A.

export const EMAIL_LIMIT = 5000

/** A mailto: URL (RFC 6068): the address with its @ kept, subject and body percent-encoded, every line break as %0D%0A. */
export function mailtoUrl (address: string, subject: string, body: string): string {
  const crlf = (s: string): string => encodeURIComponent(s.replace(/\r\n|\r|\n/g, '\r\n'))
  return `mailto:${encodeURIComponent(address).replace('%40', '@')}?subject=${crlf(subject)}&body=${crlf(body)}`
}

/** An e-mail's length: code points. */
export function emailLength (text: string): number {
  return [...text].length
}
