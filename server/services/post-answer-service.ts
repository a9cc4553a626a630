import { sql } from 'drizzle-orm'
import type { Db } from '../db/client.ts'
import { postAnswers, type Channel } from '../db/schema.ts'

/** The networks a supporter leaves the site for: the thank-you page asks whether the post went out. */
export const ASKED_CHANNELS: readonly Channel[] = ['x', 'bluesky', 'mastodon', 'threads']

export type PostAnswerService = ReturnType<typeof createPostAnswerService>

/** "Did you post it?": anonymous answers counted per campaign, channel and answer; nothing else is kept. */
export function createPostAnswerService ({ db }: { db: Db }) {
  return {
    /** Counts one answer. */
    async record (campaignId: string, channel: Channel, posted: boolean): Promise<void> {
      await db.insert(postAnswers).values({ campaignId, channel, posted, count: 1 })
        .onConflictDoUpdate({ target: [postAnswers.campaignId, postAnswers.channel, postAnswers.posted], set: { count: sql`${postAnswers.count} + 1` } })
    }
  }
}
