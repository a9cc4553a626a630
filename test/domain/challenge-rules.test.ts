import { describe, expect, it } from 'vitest'
import { answerMatches, burstDetected, challengeActive, checkWindow, duplicatesDetected, makeQuestion, readAltchaPayload, readQuestion, saltExpiry, textShape, altchaSolutionValid, type AltchaPayload } from '../../server/domain/challenge-rules.ts'
import { createChallenge, verifySolution } from 'altcha-lib/v1'

const KEY = 'k'.repeat(64)
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64')
const hex64 = 'a'.repeat(64)

describe('challengeActive', () => {
  const now = Date.parse('2026-12-04T10:00:00Z')
  it('is on when the campaigner says so, off when off, whatever the automatic deadline', () => {
    expect(challengeActive('on', null, now)).toBe(true)
    expect(challengeActive('off', new Date(now + 60_000), now)).toBe(false)
  })
  it('in automatic mode, is on only until the deadline the signals set', () => {
    expect(challengeActive('auto', null, now)).toBe(false)
    expect(challengeActive('auto', new Date(now + 1), now)).toBe(true)
    expect(challengeActive('auto', new Date(now), now)).toBe(false)
    expect(challengeActive('auto', new Date(now - 1), now)).toBe(false)
  })
})

describe('burstDetected', () => {
  const t = { burstFactor: 5, burstMin: 60 }
  it('needs both the minimum and the factor over the baseline', () => {
    expect(burstDetected(59, [], t)).toBe(false)
    expect(burstDetected(60, [], t)).toBe(true)
    expect(burstDetected(60, [0, 0, 0], t)).toBe(true)
    // A campaign already at 20 a minute needs 100 in a minute.
    expect(burstDetected(99, [20, 20, 20], t)).toBe(false)
    expect(burstDetected(100, [20, 20, 20], t)).toBe(true)
  })
  it('uses the mean of the previous minutes, quiet ones included', () => {
    // mean 50: 5 × 50 = 250 needed
    expect(burstDetected(249, [200, 0, 0, 0], t)).toBe(false)
    expect(burstDetected(250, [200, 0, 0, 0], t)).toBe(true)
  })
})

describe('duplicatesDetected', () => {
  const t = { duplicateShare: 0.5, duplicateMin: 20 }
  it('waits for enough free texts, then compares the share of one text', () => {
    expect(duplicatesDetected(19, 19, t)).toBe(false)
    expect(duplicatesDetected(10, 20, t)).toBe(true)
    expect(duplicatesDetected(9, 20, t)).toBe(false)
    expect(duplicatesDetected(1, 1000, t)).toBe(false)
  })
})

describe('textShape', () => {
  it('drops mentions and links, so one text sent to every target keeps one shape', () => {
    const a = textShape('.@ministre_a Tenez parole ! #COP30 https://bouteille.test/c/x')
    const b = textShape('@alice@mastodon.social Tenez parole ! #COP30 http://bouteille.test/c/x?ref=y')
    expect(a.replace(/\s+/g, ' ').trim()).toBe('Tenez parole ! #COP30')
    expect(b.replace(/\s+/g, ' ').trim()).toBe('Tenez parole ! #COP30')
  })
  it('keeps an e-mail address inside a sentence as words, and plain text as it is', () => {
    expect(textShape('Écrivez à contact@example.org')).toBe('Écrivez à contact@example.org')
    expect(textShape('Tenez parole')).toBe('Tenez parole')
  })
})

describe('readAltchaPayload', () => {
  const good = { algorithm: 'SHA-256', challenge: hex64, number: 42, salt: 'abc?expires=1800000000&', signature: hex64 }
  it('reads a well-formed payload', () => {
    expect(readAltchaPayload(b64(good))).toEqual(good)
  })
  it('refuses anything else without throwing', () => {
    for (const bad of [undefined, '', 42, 'not base64 json', 'x'.repeat(1001), b64(null), b64([]), b64({ ...good, algorithm: 'SHA-1' }),
      b64({ ...good, number: -1 }), b64({ ...good, number: 1.5 }), b64({ ...good, number: '42' }), b64({ ...good, challenge: 'zz' }),
      b64({ ...good, signature: hex64.toUpperCase() }), b64({ ...good, salt: 's'.repeat(201) }), b64({ ...good, salt: 5 })]) {
      expect(readAltchaPayload(bad)).toBeNull()
    }
  })
})

describe('saltExpiry', () => {
  it('reads the expires parameter (seconds) as milliseconds', () => {
    expect(saltExpiry('0123abcd?expires=1800000000&')).toBe(1_800_000_000_000)
  })
  it('is null without one, or with a malformed one', () => {
    expect(saltExpiry('0123abcd')).toBeNull()
    expect(saltExpiry('0123abcd?other=1&')).toBeNull()
    expect(saltExpiry('0123abcd?expires=soon&')).toBeNull()
    expect(saltExpiry('0123abcd?expires=-5&')).toBeNull()
  })
})

describe('the no-JS question', () => {
  it('signs a token whose sum only the server can read back', () => {
    const q = makeQuestion(KEY, 1_800_000_000, 'AAAAAAAAAAAAAAAA')
    expect(q.token).toMatch(/^1800000000\.AAAAAAAAAAAAAAAA\.[A-Za-z0-9_-]{22}$/)
    expect(q.a).toBeGreaterThanOrEqual(1)
    expect(q.a).toBeLessThanOrEqual(9)
    expect(q.b).toBeGreaterThanOrEqual(1)
    expect(q.b).toBeLessThanOrEqual(9)
    const read = readQuestion(KEY, q.token)
    expect(read).toMatchObject({ expires: 1_800_000_000, nonce: 'AAAAAAAAAAAAAAAA', a: q.a, b: q.b })
  })
  it('varies the sum with the token', () => {
    const sums = new Set(Array.from({ length: 50 }, (_, i) => { const q = makeQuestion(KEY, 1_800_000_000, String(i).padStart(16, 'x')); return `${q.a}+${q.b}` }))
    expect(sums.size).toBeGreaterThan(10)
  })
  it('refuses a token signed with another key, altered, or malformed', () => {
    const q = makeQuestion(KEY, 1_800_000_000, 'AAAAAAAAAAAAAAAA')
    expect(readQuestion('other', q.token)).toBeNull()
    expect(readQuestion(KEY, q.token.replace('1800000000', '1900000000'))).toBeNull()
    expect(readQuestion(KEY, q.token.replace('.AAAA', '.BAAA'))).toBeNull()
    for (const bad of [undefined, 7, '', 'a.b.c', `${q.token}x`]) expect(readQuestion(KEY, bad)).toBeNull()
  })
  it('takes the answer in digits, with spaces around, in any width', () => {
    expect(answerMatches('7', 7)).toBe(true)
    expect(answerMatches(' 7 ', 7)).toBe(true)
    expect(answerMatches('０７', 7)).toBe(true)
    expect(answerMatches('12', 12)).toBe(true)
    for (const bad of ['8', 'seven', '7.0', '', '1e1', undefined, 7, '7'.repeat(30)]) expect(answerMatches(bad, 7)).toBe(false)
  })
})

describe('checkWindow', () => {
  const now = Date.parse('2026-12-04T10:00:00Z')
  const at = (iso: string) => new Date(iso)
  it('takes a past window of up to 31 days', () => {
    expect(checkWindow({ startsAt: at('2026-12-04T08:00:00Z'), endsAt: at('2026-12-04T09:00:00Z') }, now)).toEqual({ ok: true })
    expect(checkWindow({ startsAt: at('2026-11-03T10:00:00Z'), endsAt: at('2026-12-04T10:00:00Z') }, now)).toEqual({ ok: true })
  })
  it('says what is wrong otherwise', () => {
    expect(checkWindow({ startsAt: null, endsAt: at('2026-12-04T09:00:00Z') }, now)).toEqual({ ok: false, error: 'missing' })
    expect(checkWindow({ startsAt: at('2026-12-04T09:00:00Z'), endsAt: at('2026-12-04T09:00:00Z') }, now)).toEqual({ ok: false, error: 'order' })
    expect(checkWindow({ startsAt: at('2026-12-04T09:00:00Z'), endsAt: at('2026-12-04T11:00:00Z') }, now)).toEqual({ ok: false, error: 'future' })
    expect(checkWindow({ startsAt: at('2026-11-01T09:00:00Z'), endsAt: at('2026-12-04T09:00:00Z') }, now)).toEqual({ ok: false, error: 'tooLong' })
  })
})

describe('altchaSolutionValid', () => {
  const key = 'a'.repeat(64)
  // altcha-lib's own verifySolution is the reference: every payload, right or tampered, gets the same answer.
  it('agrees with altcha-lib on right solutions and on every kind of tampering', async () => {
    const cases: AltchaPayload[] = []
    for (const salt of [undefined, 'plain-salt', 'ends-with&', 'abc?expires=1999999999&']) {
      const c = await createChallenge({ hmacKey: key, number: 4321, salt, expires: salt ? undefined : new Date(2_000_000_000_000) })
      const right: AltchaPayload = { algorithm: 'SHA-256', challenge: c.challenge, number: 4321, salt: salt ?? c.salt, signature: c.signature }
      cases.push(right,
        { ...right, number: 4322 },
        { ...right, salt: right.salt + 'x' },
        { ...right, challenge: right.challenge.replace(/^./, (d) => d === '0' ? '1' : '0') },
        { ...right, signature: right.signature.replace(/.$/, (d) => d === '0' ? '1' : '0') })
    }
    const ours = cases.map((p) => altchaSolutionValid(p, key))
    const theirs = await Promise.all(cases.map((p) => verifySolution(p, key, false)))
    expect(ours).toEqual(theirs)
    expect(ours.filter(Boolean)).toHaveLength(4)
    // Signed with another key: refused by both.
    expect(altchaSolutionValid(cases[0]!, 'b'.repeat(64))).toBe(false)
    expect(await verifySolution(cases[0]!, 'b'.repeat(64), false)).toBe(false)
  })
})
