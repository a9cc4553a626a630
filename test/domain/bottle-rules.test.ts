import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  CONSENT_WORDING_SHA256, DUPLICATE_THRESHOLD, MAX_LENGTH, SIGNATURE_MAX, blockedWordsIn, bottleText, consentWordingHash,
  fingerprint, hasLink, holdReasons, normalise, parseBlockedWords, readSignatureField, ticked
} from '../../server/domain/bottle-rules.ts'

const target = { name: 'Alice Martin', handles: { x: 'alice_m', bluesky: 'alice.bsky.social', mastodon: 'alice@climat.social', threads: 'alice.martin' } }
const link = 'https://bouteille.example/c/tweetbouteille'
const ok = 'Protect the people on the front line of the climate crisis.'
const holds = (text: string, extra: Partial<Parameters<typeof holdReasons>[0]> = {}) => holdReasons({ text, blockedWords: [], sameFingerprint: 0, ...extra })

describe('normalise and fingerprint', () => {
  it('ignores case, accents, punctuation and spacing', () => {
    expect(normalise('  Écoutez-NOUS,   vite !! ')).toBe('ecoutez nous vite')
    expect(fingerprint('Écoutez-nous, vite !')).toBe(fingerprint('ecoutez nous... VITE'))
    expect(fingerprint('Écoutez-nous, vite !')).not.toBe(fingerprint('Écoutez-nous, maintenant !'))
    expect(fingerprint('x')).toMatch(/^[0-9a-f]{32}$/)
  })
})

describe('holdReasons', () => {
  it('lets an ordinary message wait as pending', () => {
    expect(holds(ok)).toEqual([])
    expect(holds('Financez le fonds pertes et dommages ! #tweetbouteille')).toEqual([])
  })
  it('holds an empty or punctuation-only text, and a too short one', () => {
    expect(holds('  !!! … ??? ')).toEqual(['empty'])
    expect(holds('Go go!')).toEqual(['too_short'])
    expect(holds('Agissez vite')).toEqual([])
  })
  it('holds a text longer than the bottle takes', () => {
    expect(holds('a'.repeat(MAX_LENGTH))).toEqual([])
    expect(holds('a'.repeat(MAX_LENGTH + 1))).toEqual(['too_long'])
  })
  it('holds links: with a scheme, www., or a bare domain — in the text or the signature', () => {
    for (const t of [`${ok} http://spam.example/x`, `${ok} see www.casino.com`, `${ok} cheap-pills.net/buy`, `${ok} HTTPS://X.CO`]) expect(holds(t), t).toEqual(['link'])
    expect(holds(ok, { signature: 'Marie bit.ly/abc' })).toEqual(['link'])
    expect(hasLink('Rendez-vous à 18 h. Merci.')).toBe(false)
  })
  it('holds blocked words without case or accents, on word boundaries, phrases too', () => {
    const blockedWords = ['idiot', 'Crétin', 'sale type']
    expect(holds(`${ok} You IDIOT`, { blockedWords })).toEqual(['blocked_word'])
    expect(holds(`${ok} quel cretin`, { blockedWords })).toEqual(['blocked_word'])
    expect(holds(`${ok} Sale-Type !`, { blockedWords })).toEqual(['blocked_word'])
    expect(holds(`${ok} idiotic idioms`, { blockedWords })).toEqual([])
    expect(holds(ok, { blockedWords, signature: 'Crétin, Lyon' })).toEqual(['blocked_word'])
    expect(blockedWordsIn('Un CRÉTIN et un idiot', blockedWords)).toEqual(['idiot', 'Crétin'])
  })
  it('holds a near-duplicate once the same text is already there many times', () => {
    expect(holds(ok, { sameFingerprint: DUPLICATE_THRESHOLD - 1 })).toEqual([])
    expect(holds(ok, { sameFingerprint: DUPLICATE_THRESHOLD })).toEqual(['duplicate'])
  })
  it('gives every reason at once', () => {
    expect(holds('idiot www.a.com', { blockedWords: ['idiot'], sameFingerprint: 99 })).toEqual(['link', 'blocked_word', 'duplicate'])
  })
})

describe('bottleText', () => {
  it('names the target by name and drops the campaign link', () => {
    expect(bottleText(`.@alice_m fund loss and damage now! #tweetbottle ${link}`, target, link)).toBe('Alice Martin fund loss and damage now! #tweetbottle')
    expect(bottleText(`@alice@climat.social thanks @alice.bsky.social #x ${link}`, target, link)).toBe('Alice Martin thanks Alice Martin #x')
    expect(bottleText('Write to @alice_martin2 and me@alice_m.org', target, link)).toBe('Write to @alice_martin2 and me@alice_m.org')
    expect(bottleText('Line one  \n\n\n\nline   two', { name: 'C', handles: {} }, link)).toBe('Line one\n\nline two')
  })
})

describe('signature fields and checkboxes', () => {
  it('trims, keeps one line, refuses control characters and long values', () => {
    expect(readSignatureField(undefined)).toEqual({ ok: true, value: null })
    expect(readSignatureField('   ')).toEqual({ ok: true, value: null })
    expect(readSignatureField('  Marie   Ève ')).toEqual({ ok: true, value: 'Marie Ève' })
    expect(readSignatureField('Ma\u0000rie')).toEqual({ ok: false, error: 'control' })
    expect(readSignatureField('Marie\u202e')).toEqual({ ok: false, error: 'control' })
    expect(readSignatureField(['a'])).toEqual({ ok: false, error: 'invalid' })
    expect(readSignatureField('é'.repeat(SIGNATURE_MAX))).toMatchObject({ ok: true })
    expect(readSignatureField('é'.repeat(SIGNATURE_MAX + 1))).toEqual({ ok: false, error: 'tooLong' })
  })
  it('reads a ticked checkbox only from its usual values', () => {
    for (const v of ['1', 'on', 'true', true]) expect(ticked(v)).toBe(true)
    for (const v of [undefined, '', '0', 'false', false, ['1']]) expect(ticked(v)).toBe(false)
  })
})

describe('parseBlockedWords', () => {
  it('splits on lines and commas, deduplicates without case or accents', () => {
    expect(parseBlockedWords('idiot\nCrétin, cretin ;\n  sale   type \n\n')).toEqual({ ok: true, words: ['idiot', 'Crétin', 'sale type'] })
    expect(parseBlockedWords('')).toEqual({ ok: true, words: [] })
  })
  it('refuses control characters, long entries and long lists', () => {
    expect(parseBlockedWords('a\u0000b')).toMatchObject({ ok: false, error: 'control' })
    expect(parseBlockedWords('x'.repeat(61))).toMatchObject({ ok: false, error: 'tooLong' })
    expect(parseBlockedWords(Array.from({ length: 501 }, (_, i) => `w${i}`).join('\n'))).toMatchObject({ ok: false, error: 'tooMany' })
  })
})

describe('consent wording', () => {
  it('is the wording its version names: change the text, bump CONSENT_VERSION and the hash', () => {
    const read = (l: string) => JSON.parse(readFileSync(new URL(`../../views/locales/${l}.bottle.json`, import.meta.url), 'utf8')).bottle.consent
    expect(consentWordingHash({ fr: read('fr'), en: read('en') })).toBe(CONSENT_WORDING_SHA256)
  })
})
