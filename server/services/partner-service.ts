import { createHash, randomBytes } from 'node:crypto'
import { validatePartner, rankPartners, type PartnerFields } from '../domain/partner-rules.ts'
import type { FieldError } from '../domain/target-rules.ts'
import type { CampaignData } from '../repos/campaign-repo.ts'
import type { PartnerLogo, PartnerRepo, PartnerRow } from '../repos/partner-repo.ts'
import type { AuditService } from './audit-service.ts'
import type { SessionUser } from './auth-service.ts'
import { storeImage } from './image-upload.ts'

type Who = Pick<SessionUser, 'id' | 'email'>
export type PartnerResult = { ok: true, partner: PartnerRow } | { ok: false, errors: FieldError[] }

/** What the campaign page shows a supporter who arrived with a partner's code. */
export interface PartnerLine { name: string, line: string, logo: PartnerLogo | null }

/** The stored form of a stats link's token: its SHA-256 (the token holds 256 random bits, so no salt or slow hash is needed). */
export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex')
const TOKEN_RE = /^[A-Za-z0-9_-]{43}$/

/** What the audit log keeps of a partner (never its token's hash); its e-mail as contact, so entries are named by the partner's name. */
const audited = (p: PartnerRow) => ({ name: p.name, code: p.code, contact: p.email, lines: p.lines, onLeaderboard: p.onLeaderboard, logo: p.logo?.url ?? null, link: p.tokenHash ? 'issued' : 'none' })

// A logo is never cropped: it is reduced to fit this box (3× the largest size pages show it at), never enlarged.
const LOGO_MAX_WIDTH = 480
const LOGO_MAX_HEIGHT = 192

export type PartnerService = ReturnType<typeof createPartnerService>

/** Partners of a campaign: kept by the team (audited), their private stats links, and the lines the campaign page shows. */
export function createPartnerService ({ repo, audit, announce }: {
  repo: PartnerRepo
  audit: Pick<AuditService, 'record'>
  /** tells every web process the campaign's public content changed (its pages and partner lines are built again) */
  announce: (slug: string) => Promise<void>
}) {
  // Per campaign object: the catalog gives a campaign a new object when a change is announced, so a partner change
  // (announced) empties this by itself; the campaign page's cache is keyed the same way.
  const lines = new WeakMap<CampaignData, Promise<Map<string, PartnerRow>>>()

  function byCode (c: CampaignData): Promise<Map<string, PartnerRow>> {
    let p = lines.get(c)
    if (!p) {
      p = repo.list(c.id).then((list) => new Map(list.map((row) => [row.code, row])))
      p.catch(() => lines.delete(c))
      lines.set(c, p)
    }
    return p
  }

  async function changed (user: Who, c: CampaignData, action: string, before: PartnerRow | null, after: PartnerRow | null): Promise<void> {
    await audit.record(user, { action, entity: 'partner', entityId: (after ?? before)?.id, campaignId: c.id, before: before && audited(before), after: after && audited(after) })
    await announce(c.slug)
  }

  return {
    list: (campaignId: string) => repo.list(campaignId),
    find: (campaignId: string, id: string) => repo.find(campaignId, id),

    async create (user: Who, c: CampaignData, fields: PartnerFields): Promise<PartnerResult> {
      const { values, errors } = validatePartner(fields, Object.keys(c.texts))
      if (!values) return { ok: false, errors }
      const row = await repo.insert(c.id, values)
      if (!row) return { ok: false, errors: [{ field: 'code', key: 'admin.partners.errors.codeTaken', vars: { code: values.code } }] }
      await changed(user, c, 'create', null, row)
      return { ok: true, partner: row }
    },

    async update (user: Who, c: CampaignData, before: PartnerRow, fields: PartnerFields): Promise<PartnerResult> {
      const { values, errors } = validatePartner(fields, Object.keys(c.texts))
      if (!values) return { ok: false, errors }
      const row = await repo.update(c.id, before.id, values)
      if (row === 'taken') return { ok: false, errors: [{ field: 'code', key: 'admin.partners.errors.codeTaken', vars: { code: values.code } }] }
      if (!row) return { ok: false, errors: [{ field: '', key: 'errors.notFound.message' }] }
      await changed(user, c, 'update', before, row)
      return { ok: true, partner: row }
    },

    async remove (user: Who, c: CampaignData, before: PartnerRow): Promise<void> {
      const row = await repo.remove(c.id, before.id)
      if (row) await changed(user, c, 'delete', before, null)
    },

    /**
     * Stores a logo (see storeImage), reduced to fit the logo box with its transparency kept; the error's message key
     * when refused. Its address carries its version, so pages and caches pick up a new one at once.
     */
    async setLogo (user: Who, c: CampaignData, before: PartnerRow, bytes: Buffer): Promise<{ ok: true, partner: PartnerRow } | { ok: false, error: string }> {
      const stored = await storeImage(bytes, (image) => image.resize(LOGO_MAX_WIDTH, LOGO_MAX_HEIGHT, { fit: 'inside', withoutEnlargement: true }))
      if (!stored.ok) return { ok: false, error: `admin.partners.logo.errors.${stored.refusal}` }
      const { data, etag, contentType, width, height } = stored.image
      const logo = { url: `/media/partners/${before.id}.webp?v=${etag}`, width, height }
      const row = await repo.setLogo(c.id, before.id, { logo, contentType, data, etag })
      if (!row) return { ok: false, error: 'errors.notFound.message' }
      await changed(user, c, 'logo', before, row)
      return { ok: true, partner: row }
    },

    /** Removes the logo: pages show the partner's name alone, and its address answers 404. */
    async removeLogo (user: Who, c: CampaignData, before: PartnerRow): Promise<void> {
      const row = await repo.setLogo(c.id, before.id, null)
      if (row) await changed(user, c, 'logoRemoved', before, row)
    },

    /** Issues a new stats link (the old one stops working); returns the token, shown once. */
    async issueLink (user: Who, c: CampaignData, before: PartnerRow): Promise<string | null> {
      const token = randomBytes(32).toString('base64url')
      const row = await repo.update(c.id, before.id, { tokenHash: hashToken(token), tokenIssuedAt: new Date() })
      if (!row || row === 'taken') return null
      await audit.record(user, { action: 'link', entity: 'partner', entityId: row.id, campaignId: c.id, before: audited(before), after: audited(row) })
      return token
    },

    /** Revokes the stats link: its address answers 404 from now on. */
    async revokeLink (user: Who, c: CampaignData, before: PartnerRow): Promise<void> {
      const row = await repo.update(c.id, before.id, { tokenHash: null, tokenIssuedAt: null })
      if (row && row !== 'taken') await audit.record(user, { action: 'revoke', entity: 'partner', entityId: row.id, campaignId: c.id, before: audited(before), after: audited(row) })
    },

    /** The partner whose stats link this is, or null (malformed, guessed, or revoked). */
    async byToken (token: string): Promise<PartnerRow | null> {
      return TOKEN_RE.test(token) ? repo.findByTokenHash(hashToken(token)) : null
    },

    /** The "With <partner>" line for a supporter who arrived with ?ref=code, in the page's language; read once per campaign object. */
    async lineFor (c: CampaignData, code: string | undefined, locale: string): Promise<PartnerLine | null> {
      if (!code) return null
      const p = (await byCode(c)).get(code)
      if (!p) return null
      return { name: p.name, line: p.lines[locale] ?? '', logo: p.logo }
    },

    /**
     * The public leaderboard: the partners who opted in, ranked by actions through their code. No query when none
     * did (the partners are cached per campaign object); otherwise one read of the counters, per page render.
     */
    async board (c: CampaignData): Promise<Array<{ name: string, logo: PartnerLogo | null, count: number, rank: number }>> {
      const shown = [...(await byCode(c)).values()].filter((p) => p.onLeaderboard)
      if (shown.length === 0) return []
      const counts = await repo.refCounts(c.id)
      return rankPartners(shown.map((p) => ({ name: p.name, logo: p.logo, count: counts.get(p.code) ?? 0 })))
    },

    /** Partners ranked by actions through their code (every partner, or only those on the public leaderboard). */
    async ranking (c: Pick<CampaignData, 'id'>, publicOnly = false) {
      const [list, counts] = await Promise.all([repo.list(c.id), repo.refCounts(c.id)])
      const all = rankPartners(list.map((p) => ({ id: p.id, name: p.name, code: p.code, logo: p.logo, onLeaderboard: p.onLeaderboard, count: counts.get(p.code) ?? 0 })))
      return publicOnly ? rankPartners(all.filter((p) => p.onLeaderboard)) : all
    },

    /** A partner's private page data: actions per target, channel and hour, and their rank among the campaign's partners. */
    async stats (p: PartnerRow) {
      const [rows, ranking] = await Promise.all([repo.codeCounts(p.campaignId, p.code), this.ranking({ id: p.campaignId })])
      const of = (d: string) => rows.filter((r) => r.dimension === d).map((r) => ({ key: r.key, count: r.count })).sort((a, b) => b.count - a.count || a.key.localeCompare(b.key))
      const me = ranking.find((r) => r.id === p.id)
      return {
        total: me?.count ?? 0,
        rank: me?.rank ?? ranking.length,
        partners: ranking.length,
        targets: of('ref_target'),
        channels: of('ref_channel'),
        hours: of('ref_hour').sort((a, b) => a.key.localeCompare(b.key))
      }
    }
  }
}
