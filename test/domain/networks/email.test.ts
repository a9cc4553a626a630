import { describe, expect, it } from 'vitest'
import { mailtoUrl } from '../../../server/domain/networks/email.ts'

// mailto: vectors from RFC 6068 §5–6 (line breaks in a body are CRLF, written %0D%0A), checked 2026-12-04.
describe('mailto', () => {
  it('writes every line break as %0D%0A, whatever the supporter typed', () => {
    expect(mailtoUrl('a@b.org', 'Sujet', 'un\ndeux\r\ntrois\rquatre')).toBe('mailto:a@b.org?subject=Sujet&body=un%0D%0Adeux%0D%0Atrois%0D%0Aquatre')
  })
  it('percent-encodes reserved characters in the address, subject and body (RFC 6068 §2)', () => {
    expect(mailtoUrl('a+b@c.org', 'A & B?', '100% #x')).toBe('mailto:a%2Bb@c.org?subject=A%20%26%20B%3F&body=100%25%20%23x')
  })
})
