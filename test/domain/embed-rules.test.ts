import { describe, expect, it } from 'vitest'
import { EMBED_ORIGINS_MAX, embedOriginsText, frameAncestors, originOf, parseEmbedOrigins } from '../../server/domain/embed-rules.ts'

describe('parseEmbedOrigins', () => {
  it('takes origins one a line, or separated by spaces or commas, lower-cased and without repeats', () => {
    expect(parseEmbedOrigins('https://a.example\nHTTPS://B.Example:8443/ , http://localhost:3000  https://a.example')).toEqual({
      ok: true, origins: ['https://a.example', 'https://b.example:8443', 'http://localhost:3000']
    })
  })
  it('reads empty, blank or * as any site (an empty list)', () => {
    for (const s of ['', '  \n ', '*', 'https://a.example *']) expect(parseEmbedOrigins(s)).toEqual({ ok: true, origins: [] })
  })
  it('refuses anything that is not exactly an http(s) origin, naming it', () => {
    for (const bad of ['partner.example', 'https://a.example/path', 'https://a.example?x=1', 'https://a.example#x', 'ftp://a.example', 'javascript:alert(1)', 'https://u:p@a.example', "https://a.example';", 'https://*.example']) {
      expect(parseEmbedOrigins(bad), bad).toEqual({ ok: false, error: 'embedOrigin', vars: { value: bad } })
    }
  })
  it('keeps the allow-list bounded', () => {
    const many = Array.from({ length: EMBED_ORIGINS_MAX + 1 }, (_, i) => `https://p${i}.example`).join('\n')
    expect(parseEmbedOrigins(many)).toEqual({ ok: false, error: 'embedOriginsCount', vars: { max: EMBED_ORIGINS_MAX } })
    expect(parseEmbedOrigins(many.split('\n').slice(1).join('\n')).ok).toBe(true)
  })
})

describe('originOf', () => {
  it('gives the origin of an origin, the default port dropped', () => {
    expect(originOf('https://a.example:443')).toBeNull()
    expect(originOf('https://a.example')).toBe('https://a.example')
    expect(originOf('http://[::1]:8080')).toBe('http://[::1]:8080')
  })
})

describe('frameAncestors', () => {
  it('is * (any site) for an empty list, else self and the listed sites', () => {
    expect(frameAncestors([])).toBe('*')
    expect(frameAncestors(['https://a.example', 'http://localhost:3000'])).toBe("'self' https://a.example http://localhost:3000")
  })
  it('round-trips through the editor’s text', () => {
    const origins = ['https://a.example', 'https://b.example:8443']
    expect(parseEmbedOrigins(embedOriginsText(origins))).toEqual({ ok: true, origins })
  })
})
