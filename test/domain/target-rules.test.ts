import { describe, expect, it } from 'vitest'
import { canonicalCountry, cleanText, countryCodes, countryFromInput, createDuplicateIndex, isCountryCode, parseGroups, validateTarget, type TargetFields } from '../../server/domain/target-rules.ts'

const fields = (over: Partial<TargetFields> = {}): TargetFields => ({
  name: 'Océane Marivaux',
  role: { fr: 'Ministre', en: 'Minister' },
  organisation: 'Gouvernement français',
  country: 'fr',
  handles: { x: '@OceaneMarivaux', bluesky: 'oceanemarivaux.bsky.social', mastodon: 'oceane@climat.social', threads: 'oceane.marivaux' },
  email: 'cabinet.marivaux@example.org',
  groups: 'eu, g7, EU,  ',
  ...over
})

describe('countryFromInput', () => {
  it('finds a country by its name in one of the locales, case, accents and punctuation aside', () => {
    expect(countryFromInput('Allemagne', ['fr', 'en'])).toBe('DE')
    expect(countryFromInput('germany', ['fr', 'en'])).toBe('DE')
    expect(countryFromInput("  cote d'ivoire ", ['fr', 'en'])).toBe('CI')
    expect(countryFromInput('Royaume-Uni', ['fr'])).toBe('GB')
    expect(countryFromInput('ÉTATS-UNIS', ['fr'])).toBe('US')
  })
  it('passes two letters on, upper-cased, for validateTarget to check, and an empty field as empty', () => {
    expect(countryFromInput('fr', ['en'])).toBe('FR')
    expect(countryFromInput('UK', ['en'])).toBe('UK')
    expect(countryFromInput('  ', ['en'])).toBe('')
  })
  it('answers null for a name that is no country’s, or a name in a locale not asked for', () => {
    for (const s of ['Frnce', 'Atlantide', 'Europe', 'FRA', 'Deutschland']) expect(countryFromInput(s, ['fr', 'en']), s).toBeNull()
  })
  it('lists only country codes', () => {
    expect(countryCodes()).toContain('XK')
    expect(countryCodes().every(isCountryCode)).toBe(true)
    expect(countryCodes().length).toBeGreaterThan(240)
  })
})

describe('isCountryCode', () => {
  it('knows ISO 3166-1 alpha-2 countries', () => {
    for (const c of ['FR', 'GB', 'US', 'CL', 'MA', 'JP', 'XK']) expect(isCountryCode(c), c).toBe(true)
  })
  it('refuses unknown, lower-case, alias and non-country codes', () => {
    for (const c of ['AA', 'ZZ', 'QO', 'XA', 'EU', 'UN', 'UK', 'SU', 'fr', 'FRA', '', 'F1']) expect(isCountryCode(c), c).toBe(false)
  })
  it('knows the current code of a retired one', () => {
    expect(canonicalCountry('UK')).toBe('GB')
    expect(canonicalCountry('FR')).toBe('FR')
  })
})

describe('validateTarget', () => {
  it('normalises a good target', () => {
    const { values, errors } = validateTarget(fields(), ['fr', 'en'])
    expect(errors).toEqual([])
    expect(values).toEqual({
      name: 'Océane Marivaux',
      role: { fr: 'Ministre', en: 'Minister' },
      organisation: 'Gouvernement français',
      country: 'FR',
      handles: { x: 'OceaneMarivaux', bluesky: 'oceanemarivaux.bsky.social', mastodon: 'oceane@climat.social', threads: 'oceane.marivaux' },
      email: 'cabinet.marivaux@example.org',
      groups: ['eu', 'g7'],
      // No preferred language given: the campaign's default one writes the dossier.
      language: null
    })
  })
  it('keeps only what is given: no handle, no e-mail, no role', () => {
    const { values, errors } = validateTarget({ name: ' Kenji  Umibe ', role: {}, organisation: '', country: '', handles: {}, email: '', groups: '' }, ['fr', 'en'])
    expect(errors).toEqual([])
    expect(values).toMatchObject({ name: 'Kenji Umibe', role: {}, handles: {}, email: null, groups: [], country: '' })
  })
  it('reports every bad field with its own key', () => {
    const { errors } = validateTarget(fields({ name: '  ', country: 'ZZ', email: 'nope', handles: { x: 'jean-luc', bluesky: 'nodot', mastodon: 'user', threads: 'a b' } }), ['fr', 'en'])
    expect(errors.map((e) => e.field)).toEqual(['name', 'country', 'x', 'bluesky', 'mastodon', 'threads', 'email'])
    expect(errors.find((e) => e.field === 'x')).toEqual({ field: 'x', key: 'admin.targets.errors.handle.x', vars: { value: 'jean-luc' } })
  })
  it('suggests the current code for an alias country', () => {
    const { errors } = validateTarget(fields({ country: 'uk' }), ['fr', 'en'])
    expect(errors).toEqual([{ field: 'country', key: 'admin.targets.errors.countryAlias', vars: { code: 'UK', better: 'GB' } }])
  })
  it('limits lengths', () => {
    const { errors } = validateTarget(fields({ name: 'n'.repeat(121), organisation: 'o'.repeat(201), role: { fr: 'r'.repeat(201) }, groups: 'g'.repeat(41) }), ['fr', 'en'])
    expect(errors.map((e) => e.field)).toEqual(['name', 'role_fr', 'organisation', 'groups'])
  })
  it('puts newlines and tabs of a name on one line, in NFC', () => {
    const { values } = validateTarget(fields({ name: 'Oce\u0301ane\nMarivaux\t' }), ['fr', 'en'])
    expect(values.name).toBe('Océane Marivaux')
  })
})

describe('small helpers', () => {
  it('cleans text', () => expect(cleanText(' a \u0000 b\r\n c ')).toBe('a b c'))
  it('parses groups without repeats', () => expect(parseGroups('eu, g7,EU,, major emitters ')).toEqual(['eu', 'g7', 'major emitters']))
})

describe('createDuplicateIndex', () => {
  const existing = [
    { id: '1', name: 'Alice Martin', handles: { x: 'alice_m' } },
    { id: '2', name: 'Bongani Dube', handles: { bluesky: 'bdube.bsky.social' } }
  ]
  it('finds a duplicate by name (case and spacing aside) or by handle on the same network', () => {
    const idx = createDuplicateIndex(existing)
    expect(idx.find({ name: 'alice  MARTIN', handles: {} })?.by).toBe('name')
    expect(idx.find({ name: 'Someone', handles: { x: 'ALICE_M' } })).toMatchObject({ by: 'x', other: { id: '1' } })
    expect(idx.find({ name: 'Someone', handles: { threads: 'alice_m' } })).toBeNull()
  })
  it('does not count a target as its own duplicate', () => {
    const idx = createDuplicateIndex(existing)
    expect(idx.find({ id: '1', name: 'Alice Martin', handles: { x: 'alice_m' } })).toBeNull()
    expect(idx.find({ id: '1', name: 'Alice Martin', handles: { bluesky: 'bdube.bsky.social' } })).toMatchObject({ by: 'bluesky', other: { id: '2' } })
  })
})
