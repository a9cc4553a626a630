import { sql } from 'drizzle-orm'
import type { Redis } from 'ioredis'
import type { Db } from '../db/client.ts'
import { postAnswers, type Channel } from '../db/schema.ts'
import type { Channels } from './bus.ts'

/** The networks a supporter leaves the site for: the thank-you page asks whether the post went out. */
export const ASKED_CHANNELS: readonly Channel[] = ['x', 'bluesky', 'mastodon', 'threads']

export type PostAnswerService = ReturnType<typeof createPostAnswerService>

/** "Did you post it?": anonymous answers counted per campaign, channel and answer; nothing else is kept. */
export function createPostAnswerService ({ db, redis, channels, onPublishError }: { db: Db, redis: Redis, channels: Channels, onPublishError: (err: Error) => void }) {
  return {
    /** Counts one answer, then tells the open dashboards (their "Did you post it?" table moves live). */
    async record (campaignId: string, channel: Channel, posted: boolean): Promise<void> {
      await db.insert(postAnswers).values({ campaignId, channel, posted, count: 1 })
        .onConflictDoUpdate({ target: [postAnswers.campaignId, postAnswers.channel, postAnswers.posted], set: { count: sql`${postAnswers.count} + 1` } })
      // The answer is counted: a lost announcement only delays the table to the dashboard's next read.
      await redis.publish(channels.dashboard, JSON.stringify({ campaignId })).catch(onPublishError)
    }
  }
}
