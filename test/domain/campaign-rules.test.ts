import { describe, expect, it } from 'vitest'
import {
  canTransition, dueTransition, nextStatuses, parseGoal, parseHashtags, parseSendLimit, parseLocalDateTime, previewToken, previewTokenValid, slugProblem,
  toLocalDateTime, transitionProblem, upcomingTransitions, windowProblem
} from '../../server/domain/campaign-rules.ts'
import type { CampaignStatus } from '../../server/db/schema.ts'

const NOW = new Date('2025-06-01T12:00:00Z')
const later = (minutes: number) => new Date(NOW.getTime() + minutes * 60_000)

describe('slugs', () => {
  it('takes lowercase letters, digits and inner hyphens, 3 to 60 characters', () => {
    for (const ok of ['cop', 'tweetbouteille', 'cop-30', 'a1b', '2025-climate', 'a'.repeat(60)]) expect(slugProblem(ok), ok).toBeNull()
  })

  it('says what is wrong', () => {
    expect(slugProblem('')).toBe('slugRequired')
    expect(slugProblem('ab')).toBe('slugLength')
    expect(slugProblem('a'.repeat(61))).toBe('slugLength')
    for (const bad of ['-cop', 'cop-', 'COP30', 'cop 30', 'cop_30', 'éco-logie', 'cop/30', 'cop.30']) expect(slugProblem(bad), bad).toBe('slugChars')
  })
})

describe('hashtags', () => {
  it('reads comma or space separated tags with an optional #', () => {
    expect(parseHashtags('#tweetbottle, COP30 #Climat_Justice')).toEqual({ ok: true, tags: ['tweetbottle', 'COP30', 'Climat_Justice'] })
    expect(parseHashtags('  ')).toEqual({ ok: true, tags: [] })
    expect(parseHashtags('#écologie ##climat')).toEqual({ ok: true, tags: ['écologie', 'climat'] })
  })

  it('drops repeats, whatever their case', () => {
    expect(parseHashtags('climat #Climat CLIMAT')).toEqual({ ok: true, tags: ['climat'] })
  })

  it('refuses what the networks would not link, and more than five', () => {
    expect(parseHashtags('#cop-30')).toMatchObject({ ok: false, error: 'hashtagRead', vars: { tag: '#cop-30', read: '#cop', network: 'X' } })
    expect(parseHashtags('climat!')).toMatchObject({ ok: false, error: 'hashtagRead', vars: { read: '#climat' } })
    expect(parseHashtags('#!climat')).toMatchObject({ ok: false, error: 'hashtagChars' })
    // Issue 12 §7: judged by X's (twitter-text) and Mastodon's (Tag::HASHTAG_RE) own parsers.
    expect(parseHashtags('COP²')).toMatchObject({ ok: false, error: 'hashtagRead', vars: { tag: 'COP²', read: '#COP' } })
    expect(parseHashtags('#COP・16 #می‌خواهیم #tweetbouteille·x')).toEqual({ ok: true, tags: ['COP・16', 'می‌خواهیم', 'tweetbouteille·x'] })
    expect(parseHashtags('#2025')).toMatchObject({ ok: false, error: 'hashtagDigits' })
    expect(parseHashtags('a'.repeat(61))).toMatchObject({ ok: false, error: 'hashtagLength' })
    expect(parseHashtags('a b c d e')).toMatchObject({ ok: true })
    expect(parseHashtags('a b c d e f')).toMatchObject({ ok: false, error: 'hashtagCount', vars: { max: 5, count: 6 } })
  })
})

describe('goals', () => {
  it('takes whole numbers from 1, with thousands separators', () => {
    expect(parseGoal('500')).toBe(500)
    expect(parseGoal('10 000')).toBe(10_000)
    expect(parseGoal('10\u202f000')).toBe(10_000)
    expect(parseGoal('1,000')).toBe(1000)
    for (const bad of ['', '0', '-5', '2.5e3', 'abc', '12a', '99999999999']) expect(parseGoal(bad), bad).toBeNull()
  })
})

describe('a campaign\'s own send limit', () => {
  it('is empty (the installation\'s) or a whole number from 1 to 1,000,000 a minute', () => {
    expect(parseSendLimit('')).toEqual({ ok: true, value: null })
    expect(parseSendLimit('  ')).toEqual({ ok: true, value: null })
    expect(parseSendLimit('600')).toEqual({ ok: true, value: 600 })
    expect(parseSendLimit('1 000 000')).toEqual({ ok: true, value: 1_000_000 })
    expect(parseSendLimit('1')).toEqual({ ok: true, value: 1 })
    for (const bad of ['0', '-5', '1000001', '2.5e3', 'abc', '12a', '99999999999']) expect(parseSendLimit(bad), bad).toEqual({ ok: false })
  })
})

describe('status changes', () => {
  const all: CampaignStatus[] = ['draft', 'scheduled', 'live', 'paused', 'closed']
  const allowed = new Set(['draft>scheduled', 'draft>live', 'scheduled>draft', 'scheduled>live', 'live>paused', 'live>closed', 'paused>live', 'paused>closed'])

  it('follows draft → scheduled → live ⇄ paused → closed, closed being final', () => {
    for (const from of all) {
      for (const to of all) expect(canTransition(from, to), `${from}>${to}`).toBe(allowed.has(`${from}>${to}`))
    }
    expect(nextStatuses('closed')).toEqual([])
    expect(nextStatuses('live')).toEqual(['paused', 'closed'])
  })

  it('needs an opening time to come to schedule, and a closing time to come to open', () => {
    expect(transitionProblem('draft', 'scheduled', { opensAt: null, closesAt: null }, NOW)).toBe('scheduleNeedsOpening')
    expect(transitionProblem('draft', 'scheduled', { opensAt: later(-1), closesAt: null }, NOW)).toBe('scheduleNeedsOpening')
    expect(transitionProblem('draft', 'scheduled', { opensAt: later(10), closesAt: null }, NOW)).toBeNull()
    expect(transitionProblem('paused', 'live', { opensAt: later(-60), closesAt: later(-1) }, NOW)).toBe('closingPassed')
    expect(transitionProblem('draft', 'live', { opensAt: later(60), closesAt: null }, NOW)).toBeNull()
    expect(transitionProblem('closed', 'live', { opensAt: null, closesAt: null }, NOW)).toBe('closedIsFinal')
    expect(transitionProblem('live', 'draft', { opensAt: null, closesAt: null }, NOW)).toBe('transitionNotAllowed')
    expect(transitionProblem('live', 'live', { opensAt: null, closesAt: null }, NOW)).toBe('sameStatus')
  })
})

describe('time windows', () => {
  it('closes after it opens', () => {
    expect(windowProblem('draft', { opensAt: later(60), closesAt: later(30) }, NOW)).toBe('closesBeforeOpens')
    expect(windowProblem('draft', { opensAt: later(60), closesAt: later(60) }, NOW)).toBe('closesBeforeOpens')
    expect(windowProblem('draft', { opensAt: later(60), closesAt: later(61) }, NOW)).toBeNull()
    expect(windowProblem('draft', { opensAt: null, closesAt: null }, NOW)).toBeNull()
  })

  it('keeps a scheduled campaign scheduled for a time to come', () => {
    expect(windowProblem('scheduled', { opensAt: null, closesAt: later(60) }, NOW)).toBe('opensRequired')
    expect(windowProblem('scheduled', { opensAt: later(-5), closesAt: null }, NOW)).toBe('opensInPast')
    // An unchanged time that has just passed is the worker's business, not an error.
    expect(windowProblem('scheduled', { opensAt: later(-1), closesAt: null }, NOW, { opensAt: later(-1), closesAt: null })).toBeNull()
  })

  it('refuses an opening to come for an open campaign, and a closing already past', () => {
    expect(windowProblem('live', { opensAt: later(5), closesAt: null }, NOW)).toBe('opensAfterLive')
    expect(windowProblem('paused', { opensAt: later(-5), closesAt: later(-1) }, NOW)).toBe('closesInPast')
    expect(windowProblem('live', { opensAt: later(-5), closesAt: later(5) }, NOW)).toBeNull()
    expect(windowProblem('closed', { opensAt: later(-50), closesAt: later(-5) }, NOW)).toBeNull()
  })
})

describe('timed transitions', () => {
  it('opens a scheduled campaign and closes an open or paused one when their time has come', () => {
    expect(dueTransition({ status: 'scheduled', opensAt: later(-1), closesAt: null }, NOW)).toEqual({ to: 'live', at: later(-1) })
    expect(dueTransition({ status: 'scheduled', opensAt: later(1), closesAt: null }, NOW)).toBeNull()
    expect(dueTransition({ status: 'live', opensAt: later(-10), closesAt: later(-1) }, NOW)).toEqual({ to: 'closed', at: later(-1) })
    expect(dueTransition({ status: 'paused', opensAt: null, closesAt: NOW }, NOW)).toEqual({ to: 'closed', at: NOW })
    expect(dueTransition({ status: 'draft', opensAt: later(-10), closesAt: later(-1) }, NOW)).toBeNull()
    expect(dueTransition({ status: 'closed', opensAt: later(-10), closesAt: later(-1) }, NOW)).toBeNull()
  })

  it('lists the changes still ahead, for their delayed jobs', () => {
    expect(upcomingTransitions({ status: 'scheduled', opensAt: later(1), closesAt: later(2) }, NOW)).toEqual([{ to: 'live', at: later(1) }, { to: 'closed', at: later(2) }])
    expect(upcomingTransitions({ status: 'live', opensAt: later(-1), closesAt: later(2) }, NOW)).toEqual([{ to: 'closed', at: later(2) }])
    expect(upcomingTransitions({ status: 'draft', opensAt: later(1), closesAt: later(2) }, NOW)).toEqual([])
    expect(upcomingTransitions({ status: 'closed', opensAt: null, closesAt: later(2) }, NOW)).toEqual([])
  })
})

describe('local times', () => {
  it('reads a datetime-local value on the clocks of a zone', () => {
    expect(parseLocalDateTime('2025-12-01T09:00', 'Europe/Paris')?.toISOString()).toBe('2025-12-01T08:00:00.000Z')
    expect(parseLocalDateTime('2025-07-01T09:00', 'Europe/Paris')?.toISOString()).toBe('2025-07-01T07:00:00.000Z')
    expect(parseLocalDateTime('2025-07-01T09:00', 'America/New_York')?.toISOString()).toBe('2025-07-01T13:00:00.000Z')
    expect(parseLocalDateTime('2025-07-01T09:00', 'UTC')?.toISOString()).toBe('2025-07-01T09:00:00.000Z')
    expect(parseLocalDateTime('2025-07-01T09:00:30', 'Asia/Kolkata')?.toISOString()).toBe('2025-07-01T03:30:30.000Z')
  })

  it('handles daylight-saving changes: a skipped time lands after the gap, a repeated one is the first', () => {
    expect(parseLocalDateTime('2025-03-30T02:30', 'Europe/Paris')?.toISOString()).toBe('2025-03-30T01:30:00.000Z')
    expect(parseLocalDateTime('2025-10-26T02:30', 'Europe/Paris')?.toISOString()).toBe('2025-10-26T00:30:00.000Z')
  })

  it('refuses what is not a date and time, or an unknown zone', () => {
    for (const bad of ['', '2025-02-30T10:00', '2025-13-01T10:00', '2025-01-01T24:00', '2025-01-01', '01/02/2025 10:00', '2025-01-01T10:00Z']) {
      expect(parseLocalDateTime(bad, 'Europe/Paris'), bad).toBeNull()
    }
    expect(parseLocalDateTime('2025-01-01T10:00', 'Mars/Olympus')).toBeNull()
  })

  it('writes an instant back as the form shows it', () => {
    expect(toLocalDateTime(new Date('2025-12-01T08:00:00Z'), 'Europe/Paris')).toBe('2025-12-01T09:00')
    expect(toLocalDateTime(new Date('2025-12-31T23:30:00Z'), 'Europe/Paris')).toBe('2026-01-01T00:30')
    expect(toLocalDateTime(new Date('2025-07-01T04:05:00Z'), 'America/Los_Angeles')).toBe('2025-06-30T21:05')
  })
})

describe('preview tokens', () => {
  it('are an HMAC of the campaign id, checked in constant time', () => {
    const id = '0b0e2a5c-1111-4222-8333-444455556666'
    const token = previewToken('s'.repeat(32), id)
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(previewTokenValid('s'.repeat(32), id, token)).toBe(true)
    expect(previewTokenValid('t'.repeat(32), id, token)).toBe(false)
    expect(previewTokenValid('s'.repeat(32), '0b0e2a5c-1111-4222-8333-444455556667', token)).toBe(false)
    expect(previewTokenValid('s'.repeat(32), id, token.slice(1))).toBe(false)
    expect(previewTokenValid('s'.repeat(32), id, undefined)).toBe(false)
  })
})
