import { describe, expect, it } from 'vitest'
import { auditChanges, shorten } from '../../server/domain/audit-diff.ts'

describe('auditChanges', () => {
  it('lists only the fields that changed', () => {
    expect(auditChanges({ email: 'a@x.org', role: 'owner' }, { email: 'a@x.org', role: 'editor' }))
      .toEqual([{ field: 'role', kind: 'changed', before: 'owner', after: 'editor' }])
  })

  it('lists every field of a creation as added and of a deletion as removed', () => {
    expect(auditChanges(null, { email: 'a@x.org', role: 'viewer' })).toEqual([
      { field: 'email', kind: 'added', before: null, after: 'a@x.org' },
      { field: 'role', kind: 'added', before: null, after: 'viewer' }
    ])
    expect(auditChanges({ email: 'a@x.org', goal: 500 }, null)).toEqual([
      { field: 'email', kind: 'removed', before: 'a@x.org', after: null },
      { field: 'goal', kind: 'removed', before: 500, after: null }
    ])
  })

  it('follows nested records with dotted paths and joins plain lists', () => {
    const changes = auditChanges(
      { texts: { fr: { title: 'Avant', pitch: 'Même' } }, hashtags: ['a', 'b'], open: false },
      { texts: { fr: { title: 'Après', pitch: 'Même' } }, hashtags: ['a', 'c'], open: true }
    )
    expect(changes).toEqual([
      { field: 'texts.fr.title', kind: 'changed', before: 'Avant', after: 'Après' },
      { field: 'hashtags', kind: 'changed', before: 'a, b', after: 'a, c' },
      { field: 'open', kind: 'changed', before: false, after: true }
    ])
  })

  it('numbers the records of a list from 1', () => {
    expect(auditChanges(null, { rows: [{ name: 'A' }, { name: 'B' }] }).map((c) => c.field)).toEqual(['rows.1.name', 'rows.2.name'])
  })

  it('shows a value that appears in an update as a change from nothing, and ignores empty to empty', () => {
    expect(auditChanges({ name: '' }, { name: 'Ana', email: '' })).toEqual([{ field: 'name', kind: 'changed', before: '', after: 'Ana' }])
    expect(auditChanges({ closesAt: '2026-01-01T00:00:00.000Z' }, { closesAt: null })).toEqual([{ field: 'closesAt', kind: 'changed', before: '2026-01-01T00:00:00.000Z', after: null }])
  })

  it('reads a plain value at the top as one unnamed field', () => {
    expect(auditChanges('draft', 'live')).toEqual([{ field: '', kind: 'changed', before: 'draft', after: 'live' }])
  })

  it('stops descending after a few levels', () => {
    const deep = { a: { b: { c: { d: { e: 1 } } } } }
    expect(auditChanges(null, deep)).toEqual([{ field: 'a.b.c.d', kind: 'added', before: null, after: '{"e":1}' }])
  })
})

describe('shorten', () => {
  it('cuts long text by characters, with an ellipsis', () => {
    expect(shorten('abc', 5)).toBe('abc')
    expect(shorten('abcdef', 4)).toBe('abc…')
    expect(shorten('🌊🌊🌊🌊', 3)).toBe('🌊🌊…')
  })
})
