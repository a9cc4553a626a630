import { describe, expect, it } from 'vitest'
import {
  LANGUAGES_MAX, campaignLanguages, canonicalLanguage, endonym, missingByLanguage, languageName, lookupLanguage, negotiateLanguage, parseAcceptLanguage, parseLanguageList, textDirection
} from '../../server/domain/languages.ts'

describe('canonicalLanguage', () => {
  it.each([
    ['es', 'es'], ['PT-br', 'pt-BR'], ['zh-hant-tw', 'zh-Hant-TW'], ['ar', 'ar'], ['sw', 'sw'], ['JA', 'ja'], [' de ', 'de'], ['iw', 'he']
  ])('%s → %s', (input, tag) => {
    expect(canonicalLanguage(input)).toBe(tag)
  })

  it.each(['', 'x', 'e$', 'en_US', 'fr-', '-fr', 'und', 'a'.repeat(40), '12', 'en-US-u-'])('refuses %j', (input) => {
    expect(canonicalLanguage(input)).toBeNull()
  })
})

describe('parseLanguageList', () => {
  it('reads tags separated by commas or spaces, canonical, in order, without repeats', () => {
    expect(parseLanguageList('es, ar ja;pt-br ES')).toEqual({ ok: true, tags: ['es', 'ar', 'ja', 'pt-BR'] })
    expect(parseLanguageList('  ')).toEqual({ ok: true, tags: [] })
  })

  it('names the tag it cannot read', () => {
    expect(parseLanguageList('es, klingon!')).toEqual({ ok: false, error: 'languageTag', tag: 'klingon!' })
  })

  it('refuses more than the maximum', () => {
    const many = ['fr', 'en', 'es', 'de', 'it', 'pt', 'nl', 'pl', 'ro', 'sv', 'da', 'fi', 'cs', 'sk', 'sl', 'hu', 'el', 'bg', 'lt', 'lv', 'et']
    expect(many.length).toBeGreaterThan(LANGUAGES_MAX)
    expect(parseLanguageList(many.join(' '))).toEqual({ ok: false, error: 'languageCount', count: many.length })
  })
})

describe('parseAcceptLanguage', () => {
  it('orders by q-value, then by position; drops q=0, * and junk', () => {
    expect(parseAcceptLanguage('de-DE,en;q=0.8,fr;q=0.9')).toEqual(['de-DE', 'fr', 'en'])
    expect(parseAcceptLanguage('fr;q=0.5, ja, *;q=0.1, es;q=0')).toEqual(['ja', 'fr'])
    expect(parseAcceptLanguage('en;q=1.0, ar;q=1')).toEqual(['en', 'ar'])
    expect(parseAcceptLanguage(';;;,q=,<script>,en;q=2')).toEqual([])
    expect(parseAcceptLanguage(undefined)).toEqual([])
    expect(parseAcceptLanguage('')).toEqual([])
  })

  it('reads at most 20 ranges from a huge header', () => {
    expect(parseAcceptLanguage(Array.from({ length: 500 }, () => 'en').join(',')).length).toBe(20)
  })
})

describe('lookupLanguage (RFC 4647 §3.4)', () => {
  const campaign = ['es', 'ar', 'ja', 'pt']

  it('matches a range exactly, ignoring case', () => {
    expect(lookupLanguage(campaign, ['AR'])).toBe('ar')
  })

  it('truncates a range from the end: pt-BR → pt, zh-Hant-TW → zh-Hant → zh', () => {
    expect(lookupLanguage(campaign, ['pt-BR'])).toBe('pt')
    expect(lookupLanguage(['zh-Hant', 'en'], ['zh-Hant-TW'])).toBe('zh-Hant')
    expect(lookupLanguage(['zh', 'en'], ['zh-Hant-TW'])).toBe('zh')
  })

  it('drops a single-character subtag left at the end while truncating', () => {
    expect(lookupLanguage(['de-CH'], ['de-CH-x-phonebk'])).toBe('de-CH')
    expect(lookupLanguage(['de'], ['de-x-foo'])).toBe('de')
  })

  it('tries the ranges in order: a later range only when the earlier ones find nothing', () => {
    expect(lookupLanguage(campaign, ['de-DE', 'ja', 'es'])).toBe('ja')
  })

  it('prefers any variant of the same language to the next range (pt-PT finds pt-BR)', () => {
    expect(lookupLanguage(['pt-BR', 'en'], ['pt-PT', 'en'])).toBe('pt-BR')
    expect(lookupLanguage(['pt-BR', 'en'], ['pt', 'en'])).toBe('pt-BR')
  })

  it('returns null when nothing matches, or nothing is available', () => {
    expect(lookupLanguage(campaign, ['de', 'fr'])).toBeNull()
    expect(lookupLanguage([], ['es'])).toBeNull()
  })
})

describe('negotiateLanguage', () => {
  const campaign = ['es', 'ar', 'ja']

  it('takes ?lang= first when the campaign speaks it', () => {
    expect(negotiateLanguage(campaign, 'ja', 'es', 'es')).toBe('ja')
    expect(negotiateLanguage(campaign, 'ar-EG', 'es', 'es')).toBe('ar')
  })

  it('falls back from an explicit language the campaign lacks to Accept-Language, then the default', () => {
    expect(negotiateLanguage(campaign, 'de', 'ja;q=0.8,de', 'es')).toBe('ja')
    expect(negotiateLanguage(campaign, 'de', undefined, 'es')).toBe('es')
    expect(negotiateLanguage(campaign, '<x>', undefined, 'ar')).toBe('ar')
  })

  it('follows Accept-Language q-values and regional fallbacks', () => {
    expect(negotiateLanguage(campaign, undefined, 'fr-FR,ar-MA;q=0.5,es-MX;q=0.7', 'ja')).toBe('es')
    expect(negotiateLanguage(['fr', 'en', 'pt'], undefined, 'pt-BR,en;q=0.9', 'fr')).toBe('pt')
    expect(negotiateLanguage(['fr', 'en'], undefined, 'de-AT,de;q=0.9', 'fr')).toBe('fr')
  })
})

describe('textDirection', () => {
  it.each(['ar', 'he', 'fa', 'ur', 'ar-EG', 'yi', 'ps'])('%s is right to left', (tag) => {
    expect(textDirection(tag)).toBe('rtl')
  })

  it.each(['fr', 'en', 'es', 'ja', 'sw', 'tr', 'zh-Hant', 'pt-BR', 'az-Latn'])('%s is left to right', (tag) => {
    expect(textDirection(tag)).toBe('ltr')
  })

  it('follows the script when one is given', () => {
    expect(textDirection('pa-Arab')).toBe('rtl')
    expect(textDirection('ku-Latn')).toBe('ltr')
  })
})

describe('language names', () => {
  it('gives each language its own name, capitalised', () => {
    expect(endonym('es')).toBe('Español')
    expect(endonym('ar')).toBe('العربية')
    expect(endonym('ja')).toBe('日本語')
    expect(endonym('fr')).toBe('Français')
    expect(endonym('pt-BR')).toBe('Português (Brasil)')
  })

  it('names a language in the admin’s language', () => {
    expect(languageName('ar', 'fr')).toBe('Arabe')
    expect(languageName('ja', 'en')).toBe('Japanese')
    expect(languageName('qaa', 'en')).toMatch(/qaa/i)
  })
})

describe('campaignLanguages', () => {
  it('keeps the stored order, the default added when missing', () => {
    expect(campaignLanguages(['es', 'ar', 'ja'], 'ar', ['fr'])).toEqual(['es', 'ar', 'ja'])
    expect(campaignLanguages(['ar', 'ja'], 'es', [])).toEqual(['es', 'ar', 'ja'])
  })

  it('derives an older campaign\'s languages from its texts, the default first', () => {
    expect(campaignLanguages([], 'fr', ['en', 'fr'])).toEqual(['fr', 'en'])
    expect(campaignLanguages([], 'en', [])).toEqual(['en'])
  })
})

describe('missingByLanguage', () => {
  const full = { title: 'T', pitch: 'P', callToAction: 'C', hashtags: ['tag'] }

  it('lists only the languages that lack something, and what', () => {
    expect(missingByLanguage(['es', 'ar', 'ja'], { es: full, ar: { ...full, pitch: '  ' }, ja: full }, ['es', 'ar'])).toEqual({ ar: ['pitch'], ja: ['messages'] })
  })

  it('wants every text of a language without any, and its variant', () => {
    expect(missingByLanguage(['es', 'ar'], { es: full }, ['es'])).toEqual({ ar: ['title', 'pitch', 'callToAction', 'hashtags', 'messages'] })
  })

  it('wants hashtags only when another language has some', () => {
    const bare = { ...full, hashtags: [] }
    expect(missingByLanguage(['es', 'ar'], { es: bare, ar: bare }, ['es', 'ar'])).toEqual({})
    expect(missingByLanguage(['es', 'ar'], { es: full, ar: bare }, ['es', 'ar'])).toEqual({ ar: ['hashtags'] })
  })
})
