import { describe, expect, it } from 'vitest'
import { OSDI_TAIL, osdiCampaign, osdiHead, osdiIdentifier, osdiOutreach, osdiTarget } from '../../server/domain/osdi.ts'

const alice = { id: 'a1', name: 'Alice Martin', role: { fr: 'Ministre', en: 'Minister' }, organisation: 'Gouvernement', country: 'FR' }
const bare = { id: 'b2', name: 'Bongani Dube', role: {}, organisation: '', country: '' }

describe('OSDI documents', () => {
  it('names our rows bouteille:<id>', () => {
    expect(osdiIdentifier('c0ffee')).toBe('bouteille:c0ffee')
    expect(osdiIdentifier(42)).toBe('bouteille:42')
  })

  it('describes a target with what OSDI has for one, leaving out what we do not know', () => {
    expect(osdiTarget(alice, 'en')).toEqual({ identifiers: ['bouteille:a1'], name: 'Alice Martin', title: 'Minister', organization: 'Gouvernement', ocdid: 'ocd-division/country:fr' })
    expect(osdiTarget({ ...alice, role: { fr: 'Ministre' } }, 'en')).toMatchObject({ title: 'Ministre' })
    expect(osdiTarget(bare, 'fr')).toEqual({ identifiers: ['bouteille:b2'], name: 'Bongani Dube' })
  })

  it('streams as head + outreaches + tail, which parse as one advocacy_campaign', () => {
    const campaign = osdiCampaign({
      id: 'c1',
      slug: 'cop16',
      title: 'Le climat n’attend pas',
      description: 'Écrivez aux négociateurs.',
      createdAt: new Date('2026-01-01T00:00:00Z'),
      modifiedAt: new Date('2026-02-01T00:00:00Z'),
      browserUrl: 'https://example.org/c/cop16',
      selfUrl: 'https://example.org/admin/campaigns/c1/exports/osdi.json',
      targets: [alice, bare],
      locale: 'fr',
      totalOutreaches: 2
    })
    const targets = new Map([alice, bare].map((t) => [t.id, osdiTarget(t, 'fr')]))
    const subject = (locale: string) => locale === 'en' ? 'Climate can’t wait' : 'Le climat n’attend pas'
    const href = 'https://example.org/admin/campaigns/c1/exports/osdi.json'
    const outreaches = [
      osdiOutreach({ id: '7', createdAt: '2026-03-01T10:00:00.000Z', targetId: 'a1', channel: 'email', locale: 'en', text: 'Fund "loss and damage"\nnow', ref: 'oxfam' }, targets, href, subject),
      osdiOutreach({ id: '8', createdAt: '2026-03-01T11:00:00.000Z', targetId: 'zz', channel: 'bottle', locale: 'fr', text: '</script><b>', ref: null }, targets, href, subject)
    ]
    const doc = JSON.parse(osdiHead(campaign) + outreaches.join(',') + OSDI_TAIL)
    expect(doc).toMatchObject({
      identifiers: ['bouteille:c1'],
      origin_system: 'Bouteille',
      created_date: '2026-01-01T00:00:00.000Z',
      modified_date: '2026-02-01T00:00:00.000Z',
      name: 'cop16',
      title: 'Le climat n’attend pas',
      browser_url: 'https://example.org/c/cop16',
      target_universe: 'Alice Martin, Bongani Dube',
      total_outreaches: 2,
      _links: { self: { href } }
    })
    expect(doc.targets).toEqual([osdiTarget(alice, 'fr'), osdiTarget(bare, 'fr')])
    expect(Object.keys(doc).at(-1)).toBe('_embedded')
    const [email, bottle] = doc._embedded['osdi:outreaches']
    expect(email).toEqual({
      identifiers: ['bouteille:7'],
      origin_system: 'Bouteille',
      created_date: '2026-03-01T10:00:00.000Z',
      modified_date: '2026-03-01T10:00:00.000Z',
      action_date: '2026-03-01T10:00:00.000Z',
      type: 'email',
      subject: 'Climate can’t wait',
      message: 'Fund "loss and damage"\nnow',
      targets: [{ identifiers: ['bouteille:a1'], name: 'Alice Martin', title: 'Ministre', organization: 'Gouvernement', ocdid: 'ocd-division/country:fr' }],
      referrer_data: { referrer: 'oxfam' },
      _links: { 'osdi:advocacy_campaign': { href } }
    })
    // No subject off e-mail, no referrer_data without a code, and a target we no longer know still has its identifier.
    expect(bottle).not.toHaveProperty('subject')
    expect(bottle).not.toHaveProperty('referrer_data')
    expect(bottle.targets).toEqual([{ identifiers: ['bouteille:zz'] }])
    expect(bottle.message).toBe('</script><b>')
  })

  it('is a valid document with no outreach at all', () => {
    const head = osdiHead(osdiCampaign({ id: 'c', slug: 's', title: 't', description: '', createdAt: new Date(0), modifiedAt: new Date(0), browserUrl: 'u', selfUrl: 'v', targets: [], locale: 'fr', totalOutreaches: 0 }))
    expect(JSON.parse(head + OSDI_TAIL)._embedded).toEqual({ 'osdi:outreaches': [] })
  })
})
