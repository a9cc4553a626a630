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
})
