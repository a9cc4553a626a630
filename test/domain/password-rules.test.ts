import { describe, expect, it } from 'vitest'
import { passwordProblem } from '../../server/domain/password-rules.ts'
import { userAgentSummary } from '../../server/domain/user-agent.ts'

describe('passwordProblem', () => {
  it('refuses the most common passwords of the shipped list, whatever their case', () => {
    for (const p of ['qwertyuiop', '1q2w3e4r5t', 'Password123', 'iloveyou123', '1234567890', 'QWERTYUIOP']) expect(passwordProblem(p), p).toBe('common')
  })

  it('refuses too short and too long ones', () => {
    expect(passwordProblem('short')).toBe('length')
    expect(passwordProblem('ééééééééé')).toBe('length')
    expect(passwordProblem('x'.repeat(1025))).toBe('length')
  })

  it('refuses a password made of the e-mail or a campaign name, with digits and symbols around', () => {
    const ctx = { email: 'alice.martin@oxfam.org', names: ['tweetbouteille', 'Le climat n’attend pas'] }
    for (const p of ['AliceMartin2026!', 'alice.martin@oxfam', 'Oxfam-2026-Oxfam', 'TweetBouteille2010', '#tweetbouteille!!', 'le climat n’attend pas', 'martin-alice-99']) {
      expect(passwordProblem(p, ctx), p).toBe('personal')
    }
  })

  it('accepts a long passphrase, even one that mentions a name among other words', () => {
    const ctx = { email: 'alice.martin@oxfam.org', names: ['tweetbouteille'] }
    for (const p of ['correct horse battery staple', 'Marée basse à Cancún, 48 heures', 'alice likes purple kayaks']) expect(passwordProblem(p, ctx), p).toBeNull()
  })
})

describe('userAgentSummary', () => {
  it('names the browser and the system, never the raw header', () => {
    expect(userAgentSummary('Mozilla/5.0 (Android 14; Mobile; rv:140.0) Gecko/140.0 Firefox/140.0')).toBe('Firefox · Android')
    expect(userAgentSummary('Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1')).toBe('Safari · iOS')
    expect(userAgentSummary('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0')).toBe('Edge · Windows')
    expect(userAgentSummary('Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36')).toBe('Chrome · macOS')
    expect(userAgentSummary('curl/8.5.0')).toBe('curl')
    expect(userAgentSummary('something else')).toBe('')
    expect(userAgentSummary(undefined)).toBe('')
  })
})
