import { describe, expect, it } from 'vitest'
import { campaignUrl, cardPath, embedPath, embedSnippet, isAttributionCode, qrPath } from '../../server/domain/reach-links.ts'

describe('reach links', () => {
  it('builds the campaign link with its language and attribution, in a fixed order', () => {
    expect(campaignUrl('https://b.example', 'tweetbouteille')).toBe('https://b.example/c/tweetbouteille')
    expect(campaignUrl('https://b.example', 'tweetbouteille', { from: 'abc', ref: 'oxfam', lang: 'en' }))
      .toBe('https://b.example/c/tweetbouteille?lang=en&ref=oxfam&from=abc')
  })

  it('versions card paths and leaves the default format out', () => {
    expect(cardPath('s', { format: 'landscape', v: 12 })).toBe('/c/s/card.png?v=12')
    expect(cardPath('s', { lang: 'fr', target: 't1', format: 'story' })).toBe('/c/s/card.png?lang=fr&target=t1&format=story')
  })

  it('builds QR and widget paths', () => {
    expect(qrPath('s', 'svg', { ref: 'flyer-1' })).toBe('/c/s/qr.svg?ref=flyer-1')
    expect(embedPath('s', { lang: 'es' })).toBe('/c/s/embed?lang=es')
  })

  it('escapes what it puts in the snippet', () => {
    const snippet = embedSnippet('https://b.example', 'a"b', { ref: 'p<1' })
    expect(snippet).toContain('data-campaign="a&quot;b"')
    expect(snippet).toContain('data-ref="p&lt;1"')
    expect(snippet).toContain('<script async src="https://b.example/embed.js"></script>')
    expect(snippet).not.toContain('<1')
  })

  it('accepts only short codes of safe characters', () => {
    expect(isAttributionCode('oxfam_FR-2')).toBe(true)
    for (const bad of ['', 'a b', 'x'.repeat(65), 'é', 3]) expect(isAttributionCode(bad)).toBe(false)
  })
})
