import { describe, expect, it } from 'vitest'
import { OSDI_TAIL, osdiCampaign, osdiHead, osdiIdentifier, osdiNameParts, osdiOutreach, osdiTarget } from '../../server/domain/osdi.ts'

// The fields OSDI defines, copied from opensupporter/osdi-docs (checked 2026-12-04):
// _includes/global_fields.md (every resource)
const GLOBAL = ['identifiers', 'created_date', 'modified_date', '_links', '_embedded']
// _includes/share_options_main_objects.md (advocacy campaigns)
const SHARE = ['share_url', 'total_shares', 'share_options']
// advocacy_campaigns.md "Advocacy Campaign Fields"
const ADVOCACY_CAMPAIGN = ['origin_system', 'name', 'title', 'description', 'templates', 'summary', 'targets', 'target_list', 'browser_url',
  'administrative_url', 'featured_image_url', 'total_outreaches', 'type']
// outreaches.md "Outreach Fields"
const OUTREACH = ['origin_system', 'action_date', 'type', 'duration', 'subject', 'message', 'notes', 'referrer_data', 'targets']
// outreaches.md "Referrer Data"
const REFERRER_DATA = ['source', 'referrer', 'website', 'url']
// _includes/target_subobject.md "Target"
const TARGET = ['title', 'organization', 'given_name', 'family_name', 'ocdid', 'postal_addresses', 'email_addresses', 'phone_numbers']

/** Every key of an object is one the spec lists, and the string-typed ones are strings. */
function expectFields (o: Record<string, unknown>, allowed: string[], label: string): void {
  for (const k of Object.keys(o)) expect(allowed, `${label}.${k}`).toContain(k)
}
function expectOsdi (doc: Record<string, unknown>): void {
  expectFields(doc, [...GLOBAL, ...SHARE, ...ADVOCACY_CAMPAIGN], 'advocacy_campaign')
  expect(typeof doc.targets).toBe('string')
  for (const t of doc.target_list as Array<Record<string, unknown>>) expectFields(t, TARGET, 'target_list[]')
  for (const o of (doc._embedded as Record<string, Array<Record<string, unknown>>>)['osdi:outreaches']!) {
    expectFields(o, [...GLOBAL, ...OUTREACH], 'outreach')
    if (o.referrer_data) expectFields(o.referrer_data as Record<string, unknown>, REFERRER_DATA, 'referrer_data')
    for (const t of o.targets as Array<Record<string, unknown>>) expectFields(t, TARGET, 'outreach.targets[]')
  }
  // An embedded resource is also reachable by a link.
  for (const rel of Object.keys(doc._embedded as object)) expect((doc._links as Record<string, unknown>)[rel], rel).toBeTruthy()
}

const alice = { id: 'a1', name: 'Alice Martin', role: { fr: 'Ministre', en: 'Minister' }, organisation: 'Gouvernement', country: 'FR' }
const bare = { id: 'b2', name: 'Bongani Dube', role: {}, organisation: '', country: '' }

describe('OSDI documents', () => {
  it('names our rows bouteille:<id>', () => {
    expect(osdiIdentifier('c0ffee')).toBe('bouteille:c0ffee')
    expect(osdiIdentifier(42)).toBe('bouteille:42')
  })

  it('describes a target with what OSDI has for one, leaving out what we do not know', () => {
    expect(osdiTarget(alice, 'en')).toEqual({ title: 'Minister', organization: 'Gouvernement', given_name: 'Alice', family_name: 'Martin', ocdid: 'ocd-division/country:fr' })
    expect(osdiTarget({ ...alice, role: { fr: 'Ministre' } }, 'en')).toMatchObject({ title: 'Ministre' })
    expect(osdiTarget(bare, 'fr')).toEqual({ given_name: 'Bongani', family_name: 'Dube' })
  })

  it('splits a name into given_name and family_name at the first space, losing nothing', () => {
    expect(osdiNameParts('Luiz Inácio Lula da Silva')).toEqual({ given_name: 'Luiz', family_name: 'Inácio Lula da Silva' })
    expect(osdiNameParts(' Madonna ')).toEqual({ family_name: 'Madonna' })
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
      targets: 'Alice Martin, Bongani Dube',
      total_outreaches: 2,
      _links: { self: { href }, 'osdi:outreaches': { href } }
    })
    expect(doc).not.toHaveProperty('target_universe')
    expect(doc.target_list).toEqual([osdiTarget(alice, 'fr'), osdiTarget(bare, 'fr')])
    expectOsdi(doc)
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
      targets: [{ title: 'Ministre', organization: 'Gouvernement', given_name: 'Alice', family_name: 'Martin', ocdid: 'ocd-division/country:fr' }],
      referrer_data: { source: 'oxfam' },
      _links: { 'osdi:advocacy_campaign': { href } }
    })
    // No subject off e-mail, no referrer_data without a code, and no target object for a target we no longer know.
    expect(bottle).not.toHaveProperty('subject')
    expect(bottle).not.toHaveProperty('referrer_data')
    expect(bottle.targets).toEqual([])
    expect(bottle.message).toBe('</script><b>')
  })

  it('is a valid document with no outreach at all', () => {
    const head = osdiHead(osdiCampaign({ id: 'c', slug: 's', title: 't', description: '', createdAt: new Date(0), modifiedAt: new Date(0), browserUrl: 'u', selfUrl: 'v', targets: [], locale: 'fr', totalOutreaches: 0 }))
    const doc = JSON.parse(head + OSDI_TAIL)
    expect(doc._embedded).toEqual({ 'osdi:outreaches': [] })
    expectOsdi(doc)
  })
})
