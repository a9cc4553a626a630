import { and, eq, sql } from 'drizzle-orm'
import type { Redis } from 'ioredis'
import type { Db } from '../db/client.ts'
import { campaignCounts, shareClicks } from '../db/schema.ts'
import type { ShareNetwork } from '../domain/share-links.ts'
import type { Channels } from './bus.ts'

/** The dashboard's "Recruitment" section: how sends arrived, what supporter links brought, what was shared. */
export interface Recruitment {
  /** actions through a partner code, a supporter link, the widget, and direct (a send may be both ref and from) */
  reach: { ref: number, from: number, embed: number, direct: number }
  /** supporters given a link (a send with their own code), those whose link brought at least one more, and the share (%) */
  links: { given: number, brought: number, percent: number }
  /** share clicks per network, most first */
  shares: Array<{ key: string, count: number }>
  /** share clicks per message variant id (the variant the supporter had sent) */
  sharesByVariant: Array<{ key: string, count: number }>
}

export type ReachService = ReturnType<typeof createReachService>

/** Share clicks (counted per network and variant, nothing else kept), supporter link counts and the recruitment figures. */
export function createReachService ({ db, redis, channels, onPublishError }: { db: Db, redis: Redis, channels: Channels, onPublishError: (err: Error) => void }) {
  return {
    /** Counts one share click, then tells the open dashboards. */
    async recordShare (campaignId: string, network: ShareNetwork, variant: string): Promise<void> {
      await db.insert(shareClicks).values({ campaignId, network, variant, count: 1 })
        .onConflictDoUpdate({ target: [shareClicks.campaignId, shareClicks.network, shareClicks.variant], set: { count: sql`${shareClicks.count} + 1` } })
      await redis.publish(channels.dashboard, JSON.stringify({ campaignId })).catch(onPublishError)
    },

    /** Actions that came through a supporter's link (the counters' from dimension: exact once tallied). */
    async fromCount (campaignId: string, code: string): Promise<number> {
      const [row] = await db.select({ count: campaignCounts.count }).from(campaignCounts)
        .where(and(eq(campaignCounts.campaignId, campaignId), eq(campaignCounts.dimension, 'from'), eq(campaignCounts.key, code)))
      return Number(row?.count ?? 0)
    },

    /** The recruitment figures of a campaign, from the counters and the share clicks (never from action rows). */
    async recruitment (campaignId: string): Promise<Recruitment> {
      const [reachRows, linkRows, clickRows] = await Promise.all([
        db.select({ key: campaignCounts.key, count: campaignCounts.count }).from(campaignCounts)
          .where(and(eq(campaignCounts.campaignId, campaignId), eq(campaignCounts.dimension, 'reach'))),
        // Links given: one 'link' key per supporter code that sent; brought: those codes also seen as a 'from' key.
        db.execute<{ given: string, brought: string }>(sql`
          SELECT count(*) AS given, count(f.key) AS brought FROM campaign_counts l
          LEFT JOIN campaign_counts f ON f.campaign_id = l.campaign_id AND f.dimension = 'from' AND f.key = l.key
          WHERE l.campaign_id = ${campaignId} AND l.dimension = 'link'`),
        db.select({ network: shareClicks.network, variant: shareClicks.variant, count: shareClicks.count }).from(shareClicks).where(eq(shareClicks.campaignId, campaignId))
      ])
      const reach = { ref: 0, from: 0, embed: 0, direct: 0 }
      for (const r of reachRows) if (r.key in reach) reach[r.key as keyof typeof reach] = Number(r.count)
      const given = Number(linkRows.rows[0]?.given ?? 0)
      const brought = Number(linkRows.rows[0]?.brought ?? 0)
      const sum = (key: 'network' | 'variant') => {
        const m = new Map<string, number>()
        for (const r of clickRows) if (r[key]) m.set(r[key], (m.get(r[key]) ?? 0) + Number(r.count))
        return [...m].map(([k, count]) => ({ key: k, count })).sort((a, b) => b.count - a.count || a.key.localeCompare(b.key))
      }
      return { reach, links: { given, brought, percent: given ? Math.round((brought / given) * 1000) / 10 : 0 }, shares: sum('network'), sharesByVariant: sum('variant') }
    }
  }
}
