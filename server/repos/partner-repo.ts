import { and, asc, eq, sql } from 'drizzle-orm'
import type { Db } from '../db/client.ts'
import { campaignCounts, partnerLogos, partners } from '../db/schema.ts'
import type { PartnerValues } from '../domain/partner-rules.ts'

export type PartnerRow = typeof partners.$inferSelect
export type PartnerLogo = NonNullable<PartnerRow['logo']>
export type PartnerRepo = ReturnType<typeof createPartnerRepo>

/** A campaign's partners, and the counters the tally keeps per partner code (dimensions ref, ref_target, ref_channel, ref_hour). */
export function createPartnerRepo (db: Db) {
  return {
    /** Every partner of a campaign, by name. */
    async list (campaignId: string): Promise<PartnerRow[]> {
      return db.select().from(partners).where(eq(partners.campaignId, campaignId)).orderBy(asc(partners.name), asc(partners.code))
    },

    /** A partner, only if it belongs to the campaign. */
    async find (campaignId: string, id: string): Promise<PartnerRow | null> {
      const [row] = await db.select().from(partners).where(and(eq(partners.campaignId, campaignId), eq(partners.id, id)))
      return row ?? null
    },

    /** The partner whose stats link has this token hash (a revoked link has none). */
    async findByTokenHash (hash: string): Promise<PartnerRow | null> {
      const [row] = await db.select().from(partners).where(eq(partners.tokenHash, hash))
      return row ?? null
    },

    /** Adds a partner; null when the code is already another partner's in this campaign. */
    async insert (campaignId: string, v: PartnerValues): Promise<PartnerRow | null> {
      const [row] = await db.insert(partners).values({ campaignId, ...v }).onConflictDoNothing({ target: [partners.campaignId, partners.code] }).returning()
      return row ?? null
    },

    /** Changes a partner; 'taken' when the new code is another partner's. */
    async update (campaignId: string, id: string, v: Partial<PartnerValues> & { tokenHash?: string | null, tokenIssuedAt?: Date | null }): Promise<PartnerRow | null | 'taken'> {
      try {
        const [row] = await db.update(partners).set({ ...v, updatedAt: new Date() }).where(and(eq(partners.campaignId, campaignId), eq(partners.id, id))).returning()
        return row ?? null
      } catch (err) {
        if ((err as { code?: string, cause?: { code?: string } }).code === '23505' || (err as { cause?: { code?: string } }).cause?.code === '23505') return 'taken'
        throw err
      }
    },

    /** A partner's stored logo (the bytes), or null. */
    async logo (id: string): Promise<{ contentType: string, data: Buffer, etag: string } | null> {
      const [row] = await db.select({ contentType: partnerLogos.contentType, data: partnerLogos.data, etag: partnerLogos.etag }).from(partnerLogos).where(eq(partnerLogos.partnerId, id))
      return row ?? null
    },

    /** Stores (or, with null, removes) a partner's logo and the address pages show, together; null when the partner is gone. */
    async setLogo (campaignId: string, id: string, stored: { logo: PartnerLogo, contentType: string, data: Buffer, etag: string } | null): Promise<PartnerRow | null> {
      return db.transaction(async (tx) => {
        const [row] = await tx.update(partners).set({ logo: stored?.logo ?? null, updatedAt: new Date() }).where(and(eq(partners.campaignId, campaignId), eq(partners.id, id))).returning()
        if (!row) return null
        if (stored) {
          const bytes = { contentType: stored.contentType, data: stored.data, etag: stored.etag }
          await tx.insert(partnerLogos).values({ partnerId: id, ...bytes }).onConflictDoUpdate({ target: partnerLogos.partnerId, set: { ...bytes, updatedAt: sql`now()` } })
        } else {
          await tx.delete(partnerLogos).where(eq(partnerLogos.partnerId, id))
        }
        return row
      })
    },

    /** Removes a partner (its actions keep their code). */
    async remove (campaignId: string, id: string): Promise<PartnerRow | null> {
      const [row] = await db.delete(partners).where(and(eq(partners.campaignId, campaignId), eq(partners.id, id))).returning()
      return row ?? null
    },

    /** Actions per partner code (the counters' ref dimension). */
    async refCounts (campaignId: string): Promise<Map<string, number>> {
      const rows = await db.select({ key: campaignCounts.key, count: campaignCounts.count }).from(campaignCounts)
        .where(and(eq(campaignCounts.campaignId, campaignId), eq(campaignCounts.dimension, 'ref')))
      return new Map(rows.map((r) => [r.key, Number(r.count)]))
    },

    /** One partner code's counters: per target, channel and hour (keys without the code). */
    async codeCounts (campaignId: string, code: string): Promise<Array<{ dimension: string, key: string, count: number }>> {
      const rows = await db.select({ dimension: campaignCounts.dimension, key: campaignCounts.key, count: campaignCounts.count }).from(campaignCounts)
        .where(and(eq(campaignCounts.campaignId, campaignId), sql`${campaignCounts.dimension} IN ('ref_target', 'ref_channel', 'ref_hour')`,
          sql`starts_with(${campaignCounts.key}, ${code + '|'})`))
      return rows.map((r) => ({ dimension: r.dimension, key: r.key.slice(code.length + 1), count: Number(r.count) }))
    }
  }
}
