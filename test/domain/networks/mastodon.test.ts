import { describe, expect, it } from 'vitest'
import { mastodonCountable } from '../../../server/domain/networks/mastodon.ts'
import { hasHashtag, measureLength, readsWhole, tagReadAs } from '../../../server/domain/networks/index.ts'
import { renderMessage } from '../../../server/domain/messages.ts'

// Mastodon vectors. Expected values from mastodon/mastodon app/validators/status_length_validator.rb (URL 23,
// @user@domain counted as @user, grapheme clusters), app/models/tag.rb HASHTAG_RE; issue 12 §3 and §7, checked 2026-12-04.
const LINK18 = 'https://bout.fr/ab'
const LINK51 = 'https://bouteille.org/c/tweetbouteille?ref=mastodon'

describe('Mastodon length', () => {
  it('counts an 18-character link as 23: a text of 500 code points is 505 (refused)', () => {
    const target = { name: 'Jonathan Harbour-Wells', handles: {} }
    const tpl = '{target} ' + 'a'.repeat(500 - 22 - 1 - 1 - 15 - 1 - 18) + ' {hashtags} {link}'
    const text = renderMessage(tpl, 'mastodon', target, ['tweetbouteille'], LINK18)
    expect([...text].length).toBe(500)
    expect(measureLength('mastodon', text)).toBe(505)
  })
  it('counts a remote mention as @user and a long link as 23: 501 code points are 457', () => {
    expect(LINK51.length).toBe(51)
    const target = { name: 'Jonathan Harbour-Wells', handles: { mastodon: 'jharbourwells@mastodon.social' } }
    const tpl = '{target} ' + 'a'.repeat(501 - 30 - 1 - 1 - 15 - 1 - 51) + ' {hashtags} {link}'
    const text = renderMessage(tpl, 'mastodon', target, ['tweetbouteille'], LINK51)
    expect([...text].length).toBe(501)
    // 501 − 16 (“@mastodon.social”) − 28 (51 → 23) = 457 by status_length_validator.rb.
    expect(measureLength('mastodon', text)).toBe(457)
  })
  it('counts grapheme clusters: "Agissez 🇫🇷👩🏽‍🌾 maintenant" is 21', () => {
    expect(measureLength('mastodon', 'Agissez 🇫🇷👩🏽‍🌾 maintenant')).toBe(21)
  })
  it('gives concessions only to http(s) links and real mentions', () => {
    expect(mastodonCountable('voir bouteille.org et https://bouteille.org/abc')).toBe('voir bouteille.org et ' + 'x'.repeat(23))
    expect(mastodonCountable('a@b@c.social et @moi@piaille.fr')).toBe('a@b@c.social et @moi')
  })
})

describe('Mastodon hashtags (Tag::HASHTAG_RE)', () => {
  it('reads COP² as #COP; COP・16, ZWNJ and middle-dot tags whole', () => {
    expect(tagReadAs('mastodon', 'COP²')).toBe('COP')
    for (const t of ['COP・16', 'می‌خواهیم', 'tweetbouteille·x', 'Klimaschutz_jetzt']) expect(readsWhole('mastodon', t), t).toBe(true)
    expect(tagReadAs('mastodon', '2025')).toBeNull()
    expect(hasHashtag('mastodon', 'https://a.org/#tweetbouteille', 'tweetbouteille')).toBe(false)
    expect(hasHashtag('mastodon', 'Agissez #tweetbouteille²', 'tweetbouteille')).toBe(true)
  })
})
