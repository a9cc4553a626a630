import { and, asc, eq, sql } from 'drizzle-orm'
import type { Db } from '../db/client.ts'
import { targetPhotos, targets } from '../db/schema.ts'
import type { TargetValues } from '../domain/target-rules.ts'

export type TargetRow = typeof targets.$inferSelect
/** A transaction or the database itself. */
export type Tx = Pick<Db, 'select' | 'insert' | 'update' | 'delete' | 'execute'>

// One INSERT carries at most this many rows (PostgreSQL takes at most 65,535 parameters per statement).
const BATCH = 1_000
const POSITION_MAX = 32_767

export type TargetRepo = ReturnType<typeof createTargetRepo>

/** Targets of a campaign as the admin sees them (active or not), and their stored photos. */
export function createTargetRepo (db: Db) {
  return {
    /** Every target of a campaign, in display order. */
    async list (campaignId: string, tx: Tx = db): Promise<TargetRow[]> {
      return tx.select().from(targets).where(eq(targets.campaignId, campaignId)).orderBy(asc(targets.position), asc(targets.name))
    },

    /** Every target's id and name, in display order (filters and labels on the admin's lists). */
    async names (campaignId: string): Promise<Array<{ id: string, name: string }>> {
      return db.select({ id: targets.id, name: targets.name }).from(targets).where(eq(targets.campaignId, campaignId)).orderBy(asc(targets.position), asc(targets.name))
    },

    /** A target, only if it belongs to the campaign. */
    async find (campaignId: string, targetId: string, tx: Tx = db): Promise<TargetRow | null> {
      const [row] = await tx.select().from(targets).where(and(eq(targets.campaignId, campaignId), eq(targets.id, targetId)))
      return row ?? null
    },

    /** Serialises the changes to a campaign's target list (imports and single adds), so duplicate checks hold until commit. */
    async lock (campaignId: string, tx: Tx): Promise<void> {
      await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtextextended(${'targets:' + campaignId}, 0))`)
    },

    /** Adds targets after the campaign's last one, in the given order. */
    async insert (campaignId: string, values: readonly TargetValues[], tx: Tx): Promise<TargetRow[]> {
      const [last] = await tx.select({ max: sql<number | null>`max(${targets.position})` }).from(targets).where(eq(targets.campaignId, campaignId))
      const start = (last?.max ?? -1) + 1
      const out: TargetRow[] = []
      for (let i = 0; i < values.length; i += BATCH) {
        const rows = values.slice(i, i + BATCH).map((v, j) => ({ campaignId, ...v, position: Math.min(start + i + j, POSITION_MAX) }))
        out.push(...await tx.insert(targets).values(rows).returning())
      }
      return out
    },

    async update (targetId: string, values: Partial<TargetValues> & { active?: boolean, photoUrl?: string | null }, tx: Tx = db): Promise<TargetRow> {
      const [row] = await tx.update(targets).set(values).where(eq(targets.id, targetId)).returning()
      return row!
    },

    async photo (targetId: string): Promise<{ contentType: string, data: Buffer, etag: string } | null> {
      const [row] = await db.select({ contentType: targetPhotos.contentType, data: targetPhotos.data, etag: targetPhotos.etag }).from(targetPhotos).where(eq(targetPhotos.targetId, targetId))
      return row ?? null
    },

    async savePhoto (targetId: string, photo: { contentType: string, data: Buffer, etag: string }, tx: Tx): Promise<void> {
      await tx.insert(targetPhotos).values({ targetId, ...photo })
        .onConflictDoUpdate({ target: targetPhotos.targetId, set: { ...photo, updatedAt: sql`now()` } })
    },

    async removePhoto (targetId: string, tx: Tx): Promise<void> {
      await tx.delete(targetPhotos).where(eq(targetPhotos.targetId, targetId))
    }
  }
}
