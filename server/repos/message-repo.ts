import { and, asc, eq, sql } from 'drizzle-orm'
import type { Db } from '../db/client.ts'
import { messages, type Channel } from '../db/schema.ts'
import type { Tx } from './target-repo.ts'

export type MessageRow = typeof messages.$inferSelect
export interface MessageValues { locale: string, targetId: string | null, body: string, channels: Channel[], subject: string }

export type MessageRepo = ReturnType<typeof createMessageRepo>

/** Message variants of a campaign as the admin sees them (active or not). */
export function createMessageRepo (db: Db) {
  return {
    /** Every variant of a campaign, in display order. */
    async list (campaignId: string): Promise<MessageRow[]> {
      return db.select().from(messages).where(eq(messages.campaignId, campaignId)).orderBy(asc(messages.locale), asc(messages.position), asc(messages.id))
    },

    /** A variant, only if it belongs to the campaign. */
    async find (campaignId: string, messageId: string): Promise<MessageRow | null> {
      const [row] = await db.select().from(messages).where(and(eq(messages.campaignId, campaignId), eq(messages.id, messageId)))
      return row ?? null
    },

    /** Adds a variant after the campaign's last one. */
    async insert (campaignId: string, values: MessageValues, tx: Tx): Promise<MessageRow> {
      const [last] = await tx.select({ max: sql<number | null>`max(${messages.position})` }).from(messages).where(eq(messages.campaignId, campaignId))
      const [row] = await tx.insert(messages).values({ campaignId, ...values, position: Math.min((last?.max ?? -1) + 1, 32_767) }).returning()
      return row!
    },

    async update (messageId: string, values: Partial<MessageValues> & { active?: boolean }, tx: Tx): Promise<MessageRow> {
      const [row] = await tx.update(messages).set(values).where(eq(messages.id, messageId)).returning()
      return row!
    }
  }
}
