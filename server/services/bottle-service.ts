import { eq } from 'drizzle-orm'
import type { Redis } from 'ioredis'
import type { Db } from '../db/client.ts'
import { campaigns } from '../db/schema.ts'
import type { CampaignData } from '../repos/campaign-repo.ts'
import type { BottleRepo, ModerationOp, Moderated, WallItem } from '../repos/bottle-repo.ts'
import type { AuditService } from './audit-service.ts'
import type { SessionUser } from './auth-service.ts'
import type { BottleEvent, WallEventItem } from './bottle-hub.ts'
import type { Channels } from './bus.ts'

type User = Pick<SessionUser, 'id' | 'email'>

/** A wall item as JSON travels (the bus, SSE, the wall's JSON). */
export function wallEventItem (m: WallItem): WallEventItem {
  return { ...m, createdAt: m.createdAt.toISOString() }
}

export type BottleService = ReturnType<typeof createBottleService>

/** Curating the bottle: moderation (audited, pushed live to open walls) and the campaign's blocked words. */
export function createBottleService ({ db, repo, audit, redis, channels, announce, recounted }: {
  db: Db
  repo: Pick<BottleRepo, 'moderate' | 'wallItems'>
  audit: Pick<AuditService, 'record'>
  redis: Pick<Redis, 'publish'>
  channels: Channels
  /** tells every web instance the campaign's content changed (its blocked words are read at each send) */
  announce?: (slug: string) => Promise<void>
  /** publishes the campaign's counts again after a rejection took a message out of them (or an approval put it back) */
  recounted?: (campaignId: string) => Promise<unknown>
}) {
  return {
    /** Approves, rejects, features or unfeatures messages of a campaign; returns those that changed. */
    async moderate (user: User, c: Pick<CampaignData, 'id'>, ids: readonly number[], op: ModerationOp): Promise<Moderated[]> {
      const changed = await db.transaction(async (tx) => {
        const rows = await repo.moderate(tx, c.id, ids, op, user.id)
        for (const r of rows) {
          // The words and the target travel with the entry, so the log can say what was moderated (they do not change).
          const about = { text: r.text, target: r.targetName }
          await audit.record(user, { action: `bottle.${op}`, entity: 'bottle_message', entityId: String(r.id), campaignId: c.id, before: { ...about, ...r.before }, after: { ...about, ...r.after } }, tx)
        }
        return rows
      })
      if (changed.some((r) => (r.before.status === 'rejected') !== (r.after.status === 'rejected'))) {
        // Committed already: a lost publish only means open pages show the new counts at the next send.
        await recounted?.(c.id).catch(() => {})
      }
      const shown = changed.filter((r) => r.after.status === 'approved')
      const removed = changed.filter((r) => r.before.status === 'approved' && r.after.status !== 'approved')
      if (shown.length || removed.length) {
        const isNew = new Set(shown.filter((r) => r.before.status !== 'approved').map((r) => r.id))
        const items = (await repo.wallItems(c.id, shown.map((r) => r.id))).sort((a, b) => a.id - b.id).map(wallEventItem)
        const event: BottleEvent = {
          campaignId: c.id,
          approved: items.filter((m) => isNew.has(m.id)),
          updated: items.filter((m) => !isNew.has(m.id)),
          removed: removed.map((r) => ({ id: r.id, targetId: r.targetId, locale: r.locale }))
        }
        // Committed already: a lost publish only means open walls show the change at their next load.
        await redis.publish(channels.bottle, JSON.stringify(event)).catch(() => {})
      }
      return changed
    },

    /** Replaces a campaign's blocked-words list (already parsed); new messages are checked against it. */
    async setBlockedWords (user: User, c: Pick<CampaignData, 'id' | 'slug' | 'blockedWords'>, words: string[]): Promise<void> {
      await db.transaction(async (tx) => {
        await tx.update(campaigns).set({ blockedWords: words, updatedAt: new Date() }).where(eq(campaigns.id, c.id))
        await audit.record(user, { action: 'update', entity: 'campaign', entityId: c.id, campaignId: c.id, before: { blockedWords: c.blockedWords }, after: { blockedWords: words } }, tx)
      })
      await announce?.(c.slug)
    }
  }
}
