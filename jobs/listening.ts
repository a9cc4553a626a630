import type { Deps } from '../server/deps.ts'
import type { StoredPost } from '../server/repos/network-post-repo.ts'
import { createProgressRequester } from '../server/services/progress-service.ts'
import { createBlueskyDirectory, createListeningWatch } from '../server/services/listening-watch.ts'
import { createJetstreamConsumer } from './jetstream-consumer.ts'
import { createMastodonPoller } from './mastodon-poller.ts'

export interface RunningListening {
  jetstream: ReturnType<typeof createJetstreamConsumer>
  close: () => Promise<void>
}

/** Tells the open dashboards of every campaign a batch touched to read again (their live feed and counts). */
export function announcePosts (deps: Pick<Deps, 'redis' | 'channels' | 'outageLog'>, inserted: StoredPost[], deleted: StoredPost[], edited: string[] = [], requestProgress?: (campaignId: string) => void): void {
  const ids = new Set([...inserted, ...deleted].map((p) => p.campaignId).concat(edited))
  // The public count moves only with stored or deleted posts (an edit leaves it), and only campaigns showing it publish.
  if (requestProgress) for (const p of [...inserted, ...deleted]) requestProgress(p.campaignId)
  for (const campaignId of ids) {
    deps.redis.publish(deps.channels.dashboard, JSON.stringify({ campaignId })).catch((err: Error) => deps.outageLog('listening-publish', `posts stored, dashboards not told: ${err.message}`))
  }
}

/**
 * Starts the listening side of a worker: the Jetstream subscription (held by one worker at a time), the Mastodon
 * polls (claimed per source) and the hourly retention sweep. Off with LISTENING=off.
 */
export async function startListening (deps: Deps, { retentionEveryMs = 3_600_000 }: { retentionEveryMs?: number } = {}): Promise<RunningListening> {
  const { config, outageLog } = deps
  const directory = createBlueskyDirectory({ appviewUrl: config.blueskyAppviewUrl, allowHosts: config.outboundAllowHosts })
  const watch = createListeningWatch({ pool: deps.pool, directory, onError: (err) => outageLog('listening-watch', `listening: ${err.message}`) })
  // Not awaited: resolving the targets' handles may take a while on a slow AppView, and the worker's queues must not wait.
  watch.start().catch(() => {})
  const requestProgress = createProgressRequester((id) => deps.progressService.publishPosts(id), config.tallyIntervalMs, (err) => outageLog('listening-progress', `posts stored, public count not published: ${(err as Error).message}`))
  const onPosts = (inserted: StoredPost[], deleted: StoredPost[], edited?: string[]) => announcePosts(deps, inserted, deleted, edited, requestProgress)
  const jetstream = createJetstreamConsumer({
    databaseUrl: config.databaseUrl,
    repo: deps.networkPostRepo,
    watch,
    directory,
    url: config.jetstreamUrl,
    allowHosts: config.outboundAllowHosts,
    onPosts,
    onError: outageLog
  })
  const mastodon = createMastodonPoller({ repo: deps.networkPostRepo, campaigns: watch.get, allowHosts: config.outboundAllowHosts, onPosts, onError: outageLog })
  jetstream.start()
  mastodon.start()

  // Retention: idempotent, so every worker may run it; hourly keeps "N days after closing" to the hour.
  const sweep = async (): Promise<void> => {
    try {
      const n = await deps.networkPostRepo.deleteExpired(config.networkPostsRetentionDays)
      if (n > 0) deps.log.info(`listening: deleted ${n} public posts of campaigns closed over ${config.networkPostsRetentionDays} days ago`)
    } catch (err) {
      outageLog('listening-retention', `listening retention: ${(err as Error).message}`)
    }
  }
  await sweep()
  const retentionTimer = setInterval(() => { sweep().catch(() => {}) }, retentionEveryMs)

  return {
    jetstream,
    async close () {
      clearInterval(retentionTimer)
      watch.stop()
      await Promise.all([jetstream.close(), mastodon.close()])
    }
  }
}
