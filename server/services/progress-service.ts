import { asc, eq } from 'drizzle-orm'
import type { Redis } from 'ioredis'
import type { Db } from '../db/client.ts'
import { campaigns, targets } from '../db/schema.ts'
import { buildProgress, type Progress } from '../domain/progress.ts'
import type { ActionRepo } from '../repos/action-repo.ts'
import type { Channels } from './bus.ts'

export interface ProgressMessage { campaignId: string, progress: Progress }

export type ProgressService = ReturnType<typeof createProgressService>

/** Reads a campaign's progress from its counters and publishes it to every web instance. */
export function createProgressService ({ db, actionRepo, redis, channels }: { db: Db, actionRepo: Pick<ActionRepo, 'counts'>, redis: Redis, channels: Channels }) {
  async function read (campaignId: string): Promise<Progress | null> {
    const [campaign] = await db.select({ slug: campaigns.slug, goal: campaigns.goal }).from(campaigns).where(eq(campaigns.id, campaignId))
    if (!campaign) return null
    const [targetRows, counts] = await Promise.all([
      db.select({ id: targets.id, name: targets.name }).from(targets).where(eq(targets.campaignId, campaignId)).orderBy(asc(targets.position), asc(targets.name)),
      actionRepo.counts(campaignId)
    ])
    return buildProgress(campaign, targetRows, counts, new Date())
  }

  return {
    read,
    /** Reads and publishes; returns what it published. */
    async publish (campaignId: string): Promise<Progress | null> {
      const progress = await read(campaignId)
      if (progress) {
        const message: ProgressMessage = { campaignId, progress }
        await redis.publish(channels.progress, JSON.stringify(message))
      }
      return progress
    }
  }
}
