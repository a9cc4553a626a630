import { and, asc, eq } from 'drizzle-orm'
import type { Redis } from 'ioredis'
import type { Db } from '../db/client.ts'
import { campaigns, networkPostCounts, targets } from '../db/schema.ts'
import { buildProgress, type Progress } from '../domain/progress.ts'
import type { ActionRepo } from '../repos/action-repo.ts'
import type { Channels } from './bus.ts'

export interface ProgressMessage { campaignId: string, progress: Progress }

export type ProgressService = ReturnType<typeof createProgressService>

/** Reads a campaign's progress from its counters and publishes it to every web instance. */
export function createProgressService ({ db, actionRepo, redis, channels }: { db: Db, actionRepo: Pick<ActionRepo, 'counts'>, redis: Redis, channels: Channels }) {
  async function read (campaignId: string): Promise<Progress | null> {
    const [campaign] = await db.select({ slug: campaigns.slug, goal: campaigns.goal, showPublicPosts: campaigns.showPublicPosts }).from(campaigns).where(eq(campaigns.id, campaignId))
    if (!campaign) return null
    const [targetRows, counts, posts] = await Promise.all([
      db.select({ id: targets.id, name: targets.name }).from(targets).where(eq(targets.campaignId, campaignId)).orderBy(asc(targets.position), asc(targets.name)),
      actionRepo.counts(campaignId),
      campaign.showPublicPosts
        ? db.select({ count: networkPostCounts.count }).from(networkPostCounts).where(and(eq(networkPostCounts.campaignId, campaignId), eq(networkPostCounts.dimension, 'total'), eq(networkPostCounts.key, '')))
        : Promise.resolve(null)
    ])
    return buildProgress(campaign, targetRows, counts, new Date(), posts ? Number(posts[0]?.count ?? 0) : undefined)
  }

  /** Reads and publishes; returns what it published. */
  async function publish (campaignId: string): Promise<Progress | null> {
    const progress = await read(campaignId)
    if (progress) {
      const message: ProgressMessage = { campaignId, progress }
      await redis.publish(channels.progress, JSON.stringify(message))
    }
    return progress
  }

  return {
    read,
    publish,
    /** Publishes when the campaign shows its public posts (listening stored or deleted some); false otherwise. */
    async publishPosts (campaignId: string): Promise<boolean> {
      const [c] = await db.select({ on: campaigns.showPublicPosts }).from(campaigns).where(eq(campaigns.id, campaignId))
      if (!c?.on) return false
      return (await publish(campaignId)) !== null
    }
  }
}

/**
 * Coalesces progress publishes per campaign inside a process, like the tally's: the first request of a window arms
 * a timer and the timer makes one publish, so a burst of posts costs one read and one event per window.
 */
export function createProgressRequester (publish: (campaignId: string) => Promise<unknown>, windowMs: number, onError: (err: unknown) => void) {
  const armed = new Set<string>()
  return (campaignId: string): void => {
    if (armed.has(campaignId)) return
    armed.add(campaignId)
    setTimeout(() => {
      armed.delete(campaignId)
      publish(campaignId).catch(onError)
    }, windowMs).unref()
  }
}
