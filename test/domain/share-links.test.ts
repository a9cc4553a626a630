import { describe, expect, it } from 'vitest'
import { isShareNetwork, shareText, shareUrl, shareVariant } from '../../server/domain/share-links.ts'
import { rankPartners, validatePartner } from '../../server/domain/partner-rules.ts'
import { buildShareKit, shareKitText } from '../../server/domain/share-kit.ts'

const link = 'https://b.example/c/climat?lang=fr&from=abc'

describe('share text', () => {
  it('says each hashtag once, whatever its case or whether the text holds it', () => {
    expect(shareText('J’ai agi', ['tweetbouteille'], link)).toBe(`J’ai agi #tweetbouteille ${link}`)
    expect(shareText('J’ai agi #TweetBouteille !', ['tweetbouteille', '#COP16', 'cop16'], link)).toBe(`J’ai agi #TweetBouteille ! #COP16 ${link}`)
    expect(shareText('  Deux   espaces\n', [], link)).toBe(`Deux espaces ${link}`)
    expect(shareText('Ação #clima', ['Clima', 'ação'], link)).toBe(`Ação #clima #ação ${link}`)
  })
})

describe('share addresses', () => {
  const o = { text: `J’ai agi #tweetbouteille ${link}`, link, subject: 'Le climat' }
  it('builds every network from its fixed base', () => {
    expect(shareUrl('whatsapp', o)).toBe(`https://wa.me/?text=${encodeURIComponent(o.text)}`)
    expect(shareUrl('telegram', o)).toBe(`https://t.me/share/url?url=${encodeURIComponent(link)}&text=${encodeURIComponent('J’ai agi #tweetbouteille')}`)
    expect(shareUrl('facebook', o)).toBe(`https://www.facebook.com/sharer/sharer.php?u=${encodeURIComponent(link)}`)
    expect(shareUrl('x', o)).toMatch(/^https:\/\/x\.com\/intent\/tweet\?text=/)
    expect(shareUrl('bluesky', o)).toMatch(/^https:\/\/bsky\.app\/intent\/compose\?text=/)
    expect(shareUrl('threads', o)).toBe(`https://www.threads.com/intent/post?text=${encodeURIComponent('J’ai agi #tweetbouteille')}&url=${encodeURIComponent(link)}`)
    expect(shareUrl('email', o)).toMatch(/^mailto:\?subject=Le%20climat&body=/)
    expect(shareUrl('mastodon', { ...o, instance: 'piaille.fr' })).toMatch(/^https:\/\/piaille\.fr\/share\?text=/)
  })
  it('has no address for copy, nor for Mastodon without a checked instance', () => {
    expect(shareUrl('copy', o)).toBeNull()
    expect(shareUrl('mastodon', o)).toBeNull()
    expect(shareUrl('mastodon', { ...o, instance: 'evil.example/phish?' })).toBeNull()
  })
  it('knows its networks and variant ids only', () => {
    expect(['x', 'copy', 'telegram'].every(isShareNetwork)).toBe(true)
    expect(['myspace', '', null, 'X'].some(isShareNetwork)).toBe(false)
    expect(shareVariant('0B4D57AA-1111-4222-8333-444455556666')).toBe('0b4d57aa-1111-4222-8333-444455556666')
    expect(shareVariant('not-a-uuid')).toBe('')
    expect(shareVariant(['x'])).toBe('')
  })
})

describe('partner rules', () => {
  const ok = { name: '  Réseau   Action Climat ', code: 'rac', email: '', lines: { fr: ' Avec nous ', en: '', es: 'ignored' }, onLeaderboard: true }
  it('keeps a tidy partner: one-spaced name, lines of the campaign languages only, empty e-mail as none', () => {
    expect(validatePartner(ok, ['fr', 'en'])).toEqual({ values: { name: 'Réseau Action Climat', code: 'rac', email: null, lines: { fr: 'Avec nous' }, onLeaderboard: true }, errors: [] })
  })
  it('names each field to fix', () => {
    const { values, errors } = validatePartner({ name: '', code: 'a b', email: 'no-at', lines: { fr: 'é'.repeat(141) }, onLeaderboard: false }, ['fr'])
    expect(values).toBeNull()
    expect(errors.map((e) => [e.field, e.key])).toEqual([
      ['name', 'admin.partners.errors.nameRequired'], ['code', 'admin.partners.errors.code'], ['email', 'admin.partners.errors.email'], ['line_fr', 'admin.partners.errors.lineTooLong']
    ])
    expect(validatePartner({ ...ok, name: 'n'.repeat(121) }, ['fr']).errors[0]!.key).toBe('admin.partners.errors.nameTooLong')
    expect(validatePartner({ ...ok, code: 'c'.repeat(65) }, ['fr']).errors[0]!.field).toBe('code')
  })
  it('ranks by actions, ties sharing a rank, then by name', () => {
    expect(rankPartners([{ name: 'b', count: 3 }, { name: 'a', count: 3 }, { name: 'c', count: 9 }, { name: 'd', count: 0 }]).map((p) => [p.name, p.rank]))
      .toEqual([['c', 1], ['a', 2], ['b', 2], ['d', 4]])
    expect(rankPartners([])).toEqual([])
  })
})

describe('share kit', () => {
  const c = {
    slug: 'climat',
    defaultLocale: 'fr',
    texts: {
      en: { title: 'Climate', shareText: 'I acted', hashtags: ['tweetbottle'] },
      fr: { title: 'Climat', shareText: '', hashtags: ['tweetbouteille'] }
    }
  }
  it('gives links, cards, posts checked against each network\'s limit, QR codes and the snippet, with the partner code', () => {
    const kit = buildShareKit('https://b.example', c, 'rac')
    expect(kit.locales.map((l) => l.locale)).toEqual(['fr', 'en'])
    const fr = kit.locales[0]!
    expect(fr.link).toBe('https://b.example/c/climat?lang=fr&ref=rac')
    expect(fr.cards.map((x) => x.url)).toEqual([
      'https://b.example/c/climat/card.png?lang=fr', 'https://b.example/c/climat/card.png?lang=fr&format=square', 'https://b.example/c/climat/card.png?lang=fr&format=story'
    ])
    expect(fr.posts.map((p) => p.network)).toEqual(['x', 'bluesky', 'mastodon', 'threads'])
    expect(fr.posts[0]).toMatchObject({ text: 'Climat #tweetbouteille https://b.example/c/climat?lang=fr&ref=rac', limit: 280, fits: true })
    expect(kit.qr).toEqual({ svg: 'https://b.example/c/climat/qr.svg?ref=rac', png: 'https://b.example/c/climat/qr.png?ref=rac' })
    expect(kit.snippet).toContain('data-ref="rac"')
    const long = buildShareKit('https://b.example', { ...c, texts: { fr: { title: 'x', shareText: 'é'.repeat(300), hashtags: [] } } })
    expect(long.locales[0]!.posts.find((p) => p.network === 'x')).toMatchObject({ fits: false, limit: 280 })
    expect(long.ref).toBeNull()
    const text = shareKitText(kit, (key, vars) => `${key}${vars ? JSON.stringify(vars) : ''}`)
    expect(text).toContain('link: https://b.example/c/climat?lang=en&ref=rac')
    expect(text).toContain('qr: https://b.example/c/climat/qr.svg?ref=rac')
  })
})
