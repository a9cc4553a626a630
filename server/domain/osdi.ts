// OSDI-shaped documents (Open Supporter Data Interface): an advocacy_campaign with its outreaches, in HAL+JSON,
// so Action Network-style tools can take a campaign's results. Fields as opensupporter/osdi-docs defines them
// (advocacy_campaigns.md, outreaches.md, _includes/target_subobject.md, _includes/global_fields.md), checked 2026-12-04.

export const ORIGIN_SYSTEM = 'Bouteille'
const ID_PREFIX = 'bouteille'
const CURIES = [{ name: 'osdi', href: 'https://opensupporter.github.io/osdi-docs/{rel}', templated: true }]

/** An OSDI identifier of one of our rows: "bouteille:<id>". */
export function osdiIdentifier (id: string | number): string {
  return `${ID_PREFIX}:${id}`
}

export interface OsdiTargetSource { id: string, name: string, role: Record<string, string>, organisation: string, country: string }

/**
 * A name as OSDI's given_name/family_name: what comes before the first space, and the rest ("Luiz Inácio Lula da
 * Silva" → "Luiz" + "Inácio Lula da Silva"), so that given_name + " " + family_name is the name as we hold it.
 * A one-word name is a family name.
 */
export function osdiNameParts (name: string): { given_name?: string, family_name: string } {
  const n = name.trim().replace(/\s+/g, ' ')
  const space = n.indexOf(' ')
  return space < 0 ? { family_name: n } : { given_name: n.slice(0, space), family_name: n.slice(space + 1) }
}

/** A target as OSDI's Target object (target_subobject.md): title, organization, given_name, family_name, ocdid. */
export function osdiTarget (t: OsdiTargetSource, locale: string): Record<string, unknown> {
  const title = t.role[locale] ?? Object.values(t.role).find(Boolean) ?? ''
  return {
    ...(title ? { title } : {}),
    ...(t.organisation ? { organization: t.organisation } : {}),
    ...osdiNameParts(t.name),
    ...(t.country ? { ocdid: `ocd-division/country:${t.country.toLowerCase()}` } : {})
  }
}

export interface OsdiCampaignSource {
  id: string
  slug: string
  title: string
  description: string
  createdAt: Date
  modifiedAt: Date
  browserUrl: string
  selfUrl: string
  targets: readonly OsdiTargetSource[]
  locale: string
  totalOutreaches: number
}

/**
 * The advocacy_campaign fields, everything but its embedded outreaches. `targets` is the human-readable description
 * of the target universe and `target_list` the Target objects (advocacy_campaigns.md). The embedded outreaches are
 * also linked (HAL: osdi:outreaches); this export is where they are, so the link is the document itself.
 */
export function osdiCampaign (c: OsdiCampaignSource): Record<string, unknown> {
  return {
    identifiers: [osdiIdentifier(c.id)],
    origin_system: ORIGIN_SYSTEM,
    created_date: c.createdAt.toISOString(),
    modified_date: c.modifiedAt.toISOString(),
    name: c.slug,
    title: c.title,
    description: c.description,
    browser_url: c.browserUrl,
    share_url: c.browserUrl,
    targets: c.targets.map((t) => t.name).join(', '),
    target_list: c.targets.map((t) => osdiTarget(t, c.locale)),
    total_outreaches: c.totalOutreaches,
    _links: { self: { href: c.selfUrl }, 'osdi:outreaches': { href: c.selfUrl }, curies: CURIES }
  }
}

/**
 * The opening of the streamed document, up to the outreaches array; the outreaches then follow, separated by
 * commas, and OSDI_TAIL closes it. `_embedded` comes last so that everything before it is known up front.
 */
export function osdiHead (campaign: Record<string, unknown>): string {
  const json = JSON.stringify(campaign)
  return `${json.slice(0, -1)},"_embedded":{"osdi:outreaches":[`
}

export const OSDI_TAIL = ']}}'

export interface OutreachSource {
  id: string
  createdAt: string
  targetId: string
  channel: string
  locale: string
  text: string
  ref: string | null
  /** in a window the team marked suspicious */
  suspect?: boolean
}

/**
 * One outreach as JSON text (outreaches.md); targets maps a target id to its osdiTarget(), subjectOf gives the e-mail
 * subject in a locale. The referral code of the link the supporter came by is the outreach's source code
 * (referrer_data.source: "the source code that was used when this outreach was created").
 */
export function osdiOutreach (a: OutreachSource, targets: ReadonlyMap<string, Record<string, unknown>>, campaignHref: string, subjectOf: (locale: string) => string): string {
  return JSON.stringify({
    identifiers: [osdiIdentifier(a.id)],
    origin_system: ORIGIN_SYSTEM,
    created_date: a.createdAt,
    modified_date: a.createdAt,
    action_date: a.createdAt,
    // OSDI's type is a flexible enum ("email", "phone", … "or another type as needed"): the channel as it is.
    type: a.channel,
    ...(a.channel === 'email' ? { subject: subjectOf(a.locale) } : {}),
    message: a.text,
    targets: targets.has(a.targetId) ? [targets.get(a.targetId)] : [],
    ...(a.ref ? { referrer_data: { source: a.ref } } : {}),
    // OSDI's custom_fields carry what the standard has no field for (https://opensupporter.github.io/osdi-docs/common_fields.html, checked 2026-12-04).
    ...(a.suspect ? { custom_fields: { bouteille_suspect: true } } : {}),
    _links: { 'osdi:advocacy_campaign': { href: campaignHref } }
  })
}
