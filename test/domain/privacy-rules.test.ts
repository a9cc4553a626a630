import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../server/config.ts'
import { NOTHING_REMOVED, WITHDRAW_TOKEN_RE, hashWithdrawToken, paragraphs, processingRecord, removedAnything, retentionCutoffs } from '../../server/domain/privacy-rules.ts'
import { newWithdrawToken } from '../../server/services/withdrawal-service.ts'

const SECRET = { SECRET: 'a'.repeat(16) + 'b'.repeat(16) + 'c' }
const load = (env: Record<string, string>) => loadConfig({ ...SECRET, ...env }, '/srv/bouteille')
const problem = (env: Record<string, string>): string => {
  try {
    load(env)
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    return (err as Error).message
  }
  throw new Error('the settings were accepted')
}

describe('withdrawal tokens', () => {
  it('are 144 random bits in 24 base64url characters, each new, stored as their SHA-256', () => {
    const seen = new Set<string>()
    for (let i = 0; i < 200; i++) {
      const { token, hash } = newWithdrawToken()
      expect(token).toMatch(WITHDRAW_TOKEN_RE)
      expect(Buffer.from(token, 'base64url')).toHaveLength(18)
      expect(hash).toBe(hashWithdrawToken(token))
      seen.add(token)
    }
    expect(seen.size).toBe(200)
  })

  it('hashes with SHA-256 (a known vector) and refuses anything that is not a token', () => {
    expect(hashWithdrawToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
    for (const bad of ['', 'short', 'a'.repeat(23), 'a'.repeat(25), '+'.repeat(24), '/'.repeat(24), `${'a'.repeat(23)}=`, `${'a'.repeat(23)}\n`]) {
      expect(WITHDRAW_TOKEN_RE.test(bad), JSON.stringify(bad)).toBe(false)
    }
  })
})

describe('retention cutoffs', () => {
  const now = new Date('2026-12-04T03:30:00Z')
  it('count each limit back from the run, in whole days', () => {
    expect(retentionCutoffs({ unselectedDays: 30, signatureDays: 7, freeTextDays: 90, proofDays: 365 }, now)).toEqual({
      closedBefore: new Date('2026-11-04T03:30:00Z'),
      deliveredBefore: new Date('2026-11-27T03:30:00Z'),
      sentBefore: new Date('2026-09-05T03:30:00Z'),
      proofDeliveredBefore: new Date('2025-12-04T03:30:00Z')
    })
  })
  it('take 0 days as "at once"', () => {
    const cut = retentionCutoffs({ unselectedDays: 0, signatureDays: 0, freeTextDays: 0, proofDays: 0 }, now)
    expect(Object.values(cut).every((d) => d.getTime() === now.getTime())).toBe(true)
  })
  it('say whether a run removed anything', () => {
    expect(removedAnything(NOTHING_REMOVED)).toBe(false)
    expect(removedAnything({ ...NOTHING_REMOVED, dossiers: 1 })).toBe(true)
    expect(Object.isFrozen(NOTHING_REMOVED)).toBe(true)
  })
})

describe('owner texts as paragraphs', () => {
  it('splits on blank lines, keeps lines apart, trims, and drops empty ones', () => {
    expect(paragraphs('')).toEqual([])
    expect(paragraphs('  \n \n')).toEqual([])
    expect(paragraphs('One\r\nline two\r\n\r\n  Second  \n\n\n\nThird')).toEqual([['One', 'line two'], ['Second'], ['Third']])
    expect(paragraphs('<b>not html</b>')).toEqual([['<b>not html</b>']])
  })
})

describe('the record of processing (GDPR Art. 30)', () => {
  const legal = { controllerName: 'Oxfam France', controllerAddress: '1 rue X, Paris', contactEmail: 'dpo@example.org', dpo: 'Jeanne DPO', host: 'Host SAS' }
  const retention = { unselectedDays: 30, signatureDays: 30, freeTextDays: 90, proofDays: 365 }
  it('holds the article’s fields, the controller and the actual retention values', () => {
    const r = processingRecord(legal, retention, 'https://act.example.org')
    expect(r.controller).toEqual({ name: 'Oxfam France', address: '1 rue X, Paris', contact: 'dpo@example.org', dataProtectionOfficer: 'Jeanne DPO' })
    expect(r.processor).toEqual({ hosting: 'Host SAS' })
    for (const p of r.processing) {
      expect(Object.keys(p)).toEqual(expect.arrayContaining(['purposes', 'legalBasis', 'categoriesOfDataSubjects', 'categoriesOfPersonalData', 'recipients', 'transfersToThirdCountries', 'retention']))
    }
    expect(r.processing[0]!.retention).toMatchObject({ freeTextDays: 90 })
    expect(r.processing[1]!.retention).toMatchObject({ unselectedDays: 30, signatureDays: 30, proofDays: 365 })
    expect(r.securityMeasures.length).toBeGreaterThan(3)
    expect(r.dataSubjectRights.withdrawal).toBe('https://act.example.org/c/{campaign}/withdraw/{token} (private link shown once after a bottle send)')
  })
  it('says null, not an empty string, for what the operator has not set', () => {
    const r = processingRecord({ controllerName: '', controllerAddress: '', contactEmail: '', dpo: '', host: '' }, retention, 'http://localhost:3000')
    expect(r.controller).toEqual({ name: null, address: null, contact: null, dataProtectionOfficer: null })
    expect(r.dataSubjectRights.contact).toBeNull()
  })
})

describe('retention and legal settings', () => {
  it('have defaults a DPO can accept, and take whole days', () => {
    expect(load({}).retention).toEqual({ unselectedDays: 30, signatureDays: 30, freeTextDays: 90, proofDays: 365 })
    expect(load({ RETENTION_FREE_TEXT_DAYS: '7', RETENTION_PROOF_DAYS: '730' }).retention).toMatchObject({ freeTextDays: 7, proofDays: 730 })
    expect(problem({ RETENTION_UNSELECTED_DAYS: '-1' })).toContain('RETENTION_UNSELECTED_DAYS must be a whole number from 0 to 3650')
    expect(problem({ RETENTION_SIGNATURE_DAYS: '1.5' })).toContain('RETENTION_SIGNATURE_DAYS')
  })
  it('refuses a proof period shorter than the ordinary one', () => {
    expect(problem({ RETENTION_SIGNATURE_DAYS: '60', RETENTION_PROOF_DAYS: '30' })).toContain('RETENTION_PROOF_DAYS (30) must not be shorter than RETENTION_SIGNATURE_DAYS (60)')
  })
  it('reads the legal lines, checks the contact address and refuses control characters', () => {
    const legal = load({ LEGAL_CONTROLLER_NAME: ' Oxfam France ', LEGAL_CONTACT_EMAIL: 'privacy@oxfam.example', LEGAL_HOST: 'OVH, 2 rue Kellermann, Roubaix' }).legal
    expect(legal).toEqual({ controllerName: 'Oxfam France', controllerAddress: '', contactEmail: 'privacy@oxfam.example', dpo: '', host: 'OVH, 2 rue Kellermann, Roubaix' })
    expect(problem({ LEGAL_CONTACT_EMAIL: 'not an address' })).toContain('LEGAL_CONTACT_EMAIL must be an e-mail address')
    expect(problem({ LEGAL_DPO: 'Jeanne\nInjected' })).toContain('LEGAL_DPO must be one line')
  })
})
