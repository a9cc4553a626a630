import { describe, expect, it } from 'vitest'
import { dayStart, exportFileName, filterQuery, isFiltered, parseExportFilter, type ExportFilter } from '../../server/domain/export-filter.ts'

const T1 = '0b0f1c9e-1f4a-4b5e-9d55-1c7e3b2a9f01'
const campaign = { timeZone: 'Europe/Paris', targetIds: new Set([T1]) }
const none: ExportFilter = { from: null, to: null, since: null, until: null, targetId: null, channel: null }

describe('dayStart', () => {
  it('is midnight on the zone’s clock, whatever its offset that day', () => {
    expect(dayStart('2026-01-15', 'Europe/Paris')!.toISOString()).toBe('2026-01-14T23:00:00.000Z')
    expect(dayStart('2026-07-15', 'Europe/Paris')!.toISOString()).toBe('2026-07-14T22:00:00.000Z')
    // The days either side of the spring change (02:00 → 03:00 on 29 March 2026).
    expect(dayStart('2026-03-29', 'Europe/Paris')!.toISOString()).toBe('2026-03-28T23:00:00.000Z')
    expect(dayStart('2026-03-30', 'Europe/Paris')!.toISOString()).toBe('2026-03-29T22:00:00.000Z')
    expect(dayStart('2026-03-01', 'UTC')!.toISOString()).toBe('2026-03-01T00:00:00.000Z')
    expect(dayStart('2026-03-01', 'Pacific/Kiritimati')!.toISOString()).toBe('2026-02-28T10:00:00.000Z')
  })

  it('takes the first instant of a day whose midnight a daylight-saving change skips', () => {
    // Chile moves its clocks from 24:00 to 01:00 on the first Saturday night of September: 6 September 2026 starts at 01:00 (-03).
    expect(dayStart('2026-09-06', 'America/Santiago')!.toISOString()).toBe('2026-09-06T04:00:00.000Z')
    expect(dayStart('2026-09-05', 'America/Santiago')!.toISOString()).toBe('2026-09-05T04:00:00.000Z')
  })

  it('refuses what is not a day', () => {
    for (const bad of ['2026-02-30', '2026-13-01', '2026-1-1', '01/03/2026', 'yesterday', '2026-03-01T00:00', '', '1999-12-31']) expect(dayStart(bad, 'Europe/Paris'), bad).toBeNull()
  })
})

describe('parseExportFilter', () => {
  it('takes nothing as everything, empty values too', () => {
    expect(parseExportFilter({}, campaign)).toEqual({ ok: true, filter: none })
    expect(parseExportFilter({ from: '', to: ' ', target: '', channel: '' }, campaign)).toEqual({ ok: true, filter: none })
  })

  it('turns days into a half-open range of instants: from midnight of `from` to midnight after `to`', () => {
    const r = parseExportFilter({ from: '2026-03-01', to: '2026-03-31' }, campaign)
    expect(r).toEqual({ ok: true, filter: { ...none, from: '2026-03-01', to: '2026-03-31', since: new Date('2026-02-28T23:00:00Z'), until: new Date('2026-03-31T22:00:00Z') } })
    const oneDay = parseExportFilter({ from: '2026-03-01', to: '2026-03-01' }, campaign)
    expect(oneDay.ok && [oneDay.filter.since!.toISOString(), oneDay.filter.until!.toISOString()]).toEqual(['2026-02-28T23:00:00.000Z', '2026-03-01T23:00:00.000Z'])
    expect(parseExportFilter({ to: '2026-12-31' }, campaign)).toMatchObject({ ok: true, filter: { since: null, until: new Date('2026-12-31T23:00:00Z') } })
  })

  it('keeps one of the campaign’s targets (any case) and one of the channels', () => {
    expect(parseExportFilter({ target: T1.toUpperCase(), channel: 'Bottle' }, campaign)).toEqual({ ok: true, filter: { ...none, targetId: T1, channel: 'bottle' } })
  })

  it('says what to fix for every bad value at once, and gives back what was typed', () => {
    const r = parseExportFilter({ from: '2026-02-30', to: 'soon', target: '9a9a9a9a-1f4a-4b5e-9d55-1c7e3b2a9f01', channel: 'fax' }, campaign)
    expect(r).toEqual({
      ok: false,
      errors: [
        { field: 'from', key: 'admin.exports.errors.date', vars: { field: 'from', value: '2026-02-30' } },
        { field: 'to', key: 'admin.exports.errors.date', vars: { field: 'to', value: 'soon' } },
        { field: 'target', key: 'admin.exports.errors.target', vars: { value: '9a9a9a9a-1f4a-4b5e-9d55-1c7e3b2a9f01' } },
        { field: 'channel', key: 'admin.exports.errors.channel', vars: { value: 'fax', channels: 'x, bluesky, mastodon, threads, email, bottle' } }
      ],
      values: { from: '2026-02-30', to: 'soon', target: '9a9a9a9a-1f4a-4b5e-9d55-1c7e3b2a9f01', channel: 'fax' }
    })
  })

  it('refuses a range that ends before it starts, a repeated parameter, and a value that is not text', () => {
    expect(parseExportFilter({ from: '2026-03-02', to: '2026-03-01' }, campaign)).toMatchObject({ ok: false, errors: [{ field: 'to', key: 'admin.exports.errors.order', vars: { from: '2026-03-02', to: '2026-03-01' } }] })
    expect(parseExportFilter({ channel: ['x', 'email'] }, campaign)).toMatchObject({ ok: false, errors: [{ field: 'channel', key: 'admin.exports.errors.repeated' }] })
    expect(parseExportFilter({ channel: ['x'] }, campaign)).toMatchObject({ ok: true, filter: { channel: 'x' } })
    expect(parseExportFilter({ target: 'not-a-uuid' }, campaign)).toMatchObject({ ok: false, errors: [{ field: 'target' }] })
    expect(parseExportFilter({ from: { $gt: '' } as unknown }, campaign)).toEqual({ ok: true, filter: none })
  })
})

describe('file names and links', () => {
  const now = new Date('2026-03-10T12:00:00Z')
  it('name the campaign, the export, the filter and the day it was made', () => {
    expect(exportFileName('cop16', 'actions', none, now, 'csv')).toBe('cop16-actions-2026-03-10.csv')
    expect(exportFileName('cop16', 'osdi', { ...none, from: '2026-03-01', to: '2026-03-05', channel: 'x', targetId: T1 }, now, 'json')).toBe('cop16-osdi-from-2026-03-01-to-2026-03-05-x-target-0b0f1c9e-2026-03-10.json')
  })
  it('carry only the filters that are set', () => {
    expect(filterQuery(none)).toBe('')
    expect(filterQuery({ ...none, from: '2026-03-01', channel: 'email' })).toBe('?from=2026-03-01&channel=email')
    expect(isFiltered(none)).toBe(false)
    expect(isFiltered({ ...none, targetId: T1 })).toBe(true)
  })
})
