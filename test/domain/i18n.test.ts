import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { createI18n } from '../../server/i18n.ts'

function fixture (): string {
  const dir = mkdtempSync(join(tmpdir(), 'i18n-'))
  writeFileSync(join(dir, 'fr.json'), JSON.stringify({ count: { one: '{count} action', other: '{count} actions' }, hello: 'Bonjour {name}', nested: { deep: 'profond' } }))
  writeFileSync(join(dir, 'en.json'), JSON.stringify({ count: { one: '{count} action', other: '{count} actions' }, hello: 'Hello {name}', onlyEn: 'only in English' }))
  return dir
}

describe('i18n', () => {
  const i18n = createI18n(fixture())

  it('uses French plural rules: 0 and 1 are singular', () => {
    const fr = i18n.translator('fr')
    expect(fr.t('count', { count: 0 })).toBe('0 action')
    expect(fr.t('count', { count: 1 })).toBe('1 action')
    expect(fr.t('count', { count: 2 })).toBe('2 actions')
    expect(i18n.translator('en').t('count', { count: 0 })).toBe('0 actions')
  })

  it('formats numbers per locale: U+202F thousands separator in French', () => {
    expect(i18n.translator('fr').t('count', { count: 12345 })).toBe('12\u202f345 actions')
    expect(i18n.translator('en').n(12345)).toBe('12,345')
  })

  it('falls back to English, then to the key', () => {
    const fr = i18n.translator('fr')
    expect(fr.t('nested.deep')).toBe('profond')
    expect(fr.t('onlyEn')).toBe('only in English')
    expect(fr.t('missing.key')).toBe('missing.key')
  })

  it('negotiates: explicit choice, then Accept-Language by quality, then the fallback', () => {
    expect(i18n.negotiate('en', 'fr-FR,fr;q=0.9', 'fr')).toBe('en')
    expect(i18n.negotiate(undefined, 'de-DE,en;q=0.8,fr;q=0.9', 'en')).toBe('fr')
    expect(i18n.negotiate(undefined, 'en-GB', 'fr')).toBe('en')
    expect(i18n.negotiate('xx', 'de', 'fr')).toBe('fr')
    expect(i18n.negotiate(undefined, ';;;,q=', 'en')).toBe('en')
  })

  it('adds a language by dropping a file in the folder', () => {
    const dir = fixture()
    writeFileSync(join(dir, 'es.json'), JSON.stringify({ hello: 'Hola {name}' }))
    const more = createI18n(dir)
    expect(more.locales).toContain('es')
    expect(more.translator('es').t('hello', { name: 'Ana' })).toBe('Hola Ana')
  })

  it('has the same keys in the shipped French and English catalogs', () => {
    const dir = fileURLToPath(new URL('../../views/locales', import.meta.url))
    const keys = (file: string): string[] => {
      const out: string[] = []
      const walk = (o: Record<string, unknown>, p: string): void => {
        for (const [k, v] of Object.entries(o)) {
          if (v && typeof v === 'object' && !('other' in v)) walk(v as Record<string, unknown>, `${p}${k}.`)
          else out.push(p + k)
        }
      }
      walk(JSON.parse(readFileSync(join(dir, file), 'utf8')), '')
      return out.sort()
    }
    expect(keys('fr.json')).toEqual(keys('en.json'))
    expect(keys('fr.json').length).toBeGreaterThan(50)
    // Each area's file exists in both languages with the same keys.
    for (const file of readdirSync(dir).filter((f) => /^fr\.[a-z0-9-]+\.json$/.test(f))) {
      expect(keys(file), file).toEqual(keys(file.replace(/^fr\./, 'en.')))
    }
  })

  it('gives any language a translator: words from the closest catalog, key by key to English; numbers and plurals from the language itself', () => {
    const dir = fixture()
    writeFileSync(join(dir, 'pt.json'), JSON.stringify({ hello: 'Olá {name}' }))
    writeFileSync(join(dir, 'pt-BR.json'), JSON.stringify({ count: { one: '{count} ação', other: '{count} ações' } }))
    const more = createI18n(dir)
    const br = more.translator('pt-BR')
    expect(br.chrome).toBe('pt-BR')
    expect(br.t('count', { count: 2 })).toBe('2 ações')
    expect(br.t('hello', { name: 'Ana' })).toBe('Olá Ana')
    expect(br.t('onlyEn')).toBe('only in English')
    // Arabic with no catalog: English words, Arabic's six plural categories and direction.
    const ar = more.translator('ar')
    expect([ar.chrome, ar.locale, ar.dir]).toEqual(['en', 'ar', 'rtl'])
    expect(ar.t('hello', { name: 'Amina' })).toBe('Hello Amina')
    expect(new Intl.PluralRules('ar').select(2)).toBe('two')
    expect(new Intl.PluralRules('ar').select(3)).toBe('few')
    expect(more.translator('ja').dir).toBe('ltr')
    // English words standing in pick English plural forms: Japanese has only "other", English says "1 action".
    expect(more.translator('ja').t('count', { count: 1 })).toBe('1 action')
    expect(more.translator('ja').t('count', { count: 2 })).toBe('2 actions')
  })

  it('formats numbers in the page language: French U+202F and "0 action", Arabic digits where the locale uses them', () => {
    expect(i18n.translator('fr').n(1234)).toBe('1\u202f234')
    expect(i18n.translator('fr').t('count', { count: 1234 })).toBe('1\u202f234 actions')
    expect(i18n.translator('fr').t('count', { count: 0 })).toBe('0 action')
    // Node 20's ICU (78, CLDR 48) writes plain 'ar' with Latin digits (CLDR's default numbering for ar is latn);
    // Egyptian Arabic (ar-EG) and Persian with their own digits. Documented in the README.
    expect(i18n.translator('ar').n(1234)).toBe('1,234')
    expect(i18n.translator('ar-EG').n(1234)).toBe('١٬٢٣٤')
    expect(i18n.translator('fa').n(1234)).toBe('۱٬۲۳۴')
    expect(i18n.translator('ar-EG').t('count', { count: 3 })).toBe('٣ actions')
  })

  it('negotiates among a campaign\'s languages when given them', () => {
    expect(i18n.negotiate(undefined, 'pt-BR,ar;q=0.5', 'es', ['es', 'ar', 'ja'])).toBe('ar')
    expect(i18n.negotiate('de', 'ja;q=0.1', 'es', ['es', 'ar', 'ja'])).toBe('ja')
    expect(i18n.negotiate('de', undefined, 'es', ['es', 'ar', 'ja'])).toBe('es')
  })
})
