import { describe, expect, it } from 'vitest'
import { shortenLinks, toShortUrl } from '../../../server/domain/networks/bluesky.ts'
import { hasHashtag, measureLength, readsWhole, tagReadAs } from '../../../server/domain/networks/index.ts'

// Bluesky vectors. Expected values from bluesky-social/social-app src/lib/strings/url-helpers.ts (toShortUrl),
// src/lib/strings/rich-text-manip.ts (shortenLinks), and @atproto/api's detectFacets
// (bluesky-social/atproto packages/api/src/rich-text/detection.ts), checked 2026-12-04.
const LINK = 'https://bouteille.org/c/une-campagne-au-nom-tres-long-2026?ref=abc'

describe('Bluesky link shortening (toShortUrl)', () => {
  it('drops the scheme and cuts a path over 15 characters to 13 and "..."', () => {
    expect(toShortUrl(LINK)).toBe('bouteille.org/c/une-campag...')
    expect(toShortUrl('https://bouteille.org/')).toBe('bouteille.org')
    expect(toShortUrl('https://bouteille.org/c/abcdefghijkl')).toBe('bouteille.org/c/abcdefghijkl')
    expect(toShortUrl('mailto:a@b.org')).toBe('mailto:a@b.org')
  })
  it('shortens the text of http(s) links only (a bare domain has no scheme: toShortUrl keeps it), trailing punctuation out', () => {
    expect(shortenLinks('voir https://bouteille.org/c/une-campagne-au-nom-long.')).toBe('voir bouteille.org/c/une-campag....')
    expect(shortenLinks('voir bouteille.org/c/une-campagne-au-nom-long.')).toBe('voir bouteille.org/c/une-campagne-au-nom-long.')
    expect(shortenLinks('voir bouteille.notatld/abcdefghijklmnopq')).toBe('voir bouteille.notatld/abcdefghijklmnopq')
  })
})

const LENGTHS: Array<{ text: string, count: number, source: string }> = [
  { text: 'Agissez ' + LINK, count: 8 + 29, source: 'Composer counts shortenLinks(richtext).graphemeLength' },
  { text: 'Agissez 🇫🇷👩🏽‍🌾 maintenant', count: 21, source: 'graphemes (app.bsky.feed.post maxGraphemes)' },
  { text: 'x'.repeat(260) + ' ' + LINK, count: 290, source: '301 in full, 290 shortened: fits (issue 12 §4)' }
]

describe('Bluesky length', () => {
  for (const v of LENGTHS) {
    it(`${JSON.stringify(v.text.slice(0, 40))}… is ${v.count} (${v.source})`, () => {
      expect(measureLength('bluesky', v.text)).toBe(v.count)
    })
  }
  it('counts a text the full link makes 301 as 286 or so — under the 300 graphemes limit', () => {
    const text = 'a'.repeat(301 - LINK.length - 1) + ' ' + LINK
    expect([...text].length).toBe(301)
    expect(measureLength('bluesky', text)).toBe(301 - LINK.length + 29)
    expect(measureLength('bluesky', text)).toBeLessThanOrEqual(300)
  })
})

describe('Bluesky tags (TAG_REGEX)', () => {
  it('reads up to a space, zero-width characters, and without trailing punctuation', () => {
    expect(readsWhole('bluesky', 'COP²')).toBe(true)
    expect(tagReadAs('bluesky', 'می‌خواهیم')).toBe('می')
    expect(tagReadAs('bluesky', 'climat!')).toBe('climat')
    expect(tagReadAs('bluesky', '2025')).toBeNull()
    expect(hasHashtag('bluesky', 'Agissez #tweetbouteille·x', 'tweetbouteille')).toBe(false)
    expect(hasHashtag('bluesky', 'Agissez #tweetbouteille.', 'tweetbouteille')).toBe(true)
  })
})
