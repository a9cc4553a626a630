import type { Redis } from 'ioredis'
import type { NetworkPostRepo } from '../repos/network-post-repo.ts'
import type { AuditService } from './audit-service.ts'
import type { SessionUser } from './auth-service.ts'
import type { Channels } from './bus.ts'

export type ListeningService = ReturnType<typeof createListeningService>

/** The team's side of listening: the campaign's settings, and keeping public posts in the bottle's selection (quoted by the dossier). */
export function createListeningService ({ repo, audit, redis, channels }: {
  repo: Pick<NetworkPostRepo, 'select' | 'settings' | 'saveSettings'>
  audit: Pick<AuditService, 'record'>
  redis: Pick<Redis, 'publish'>
  channels: Pick<Channels, 'dashboard'>
}) {
  return {
    settings: repo.settings,

    /** Saves which Mastodon instances the campaign watches; false when there is no such campaign. */
    async saveSettings (user: Pick<SessionUser, 'id' | 'email'>, campaignId: string, next: { instances: string[] }): Promise<boolean> {
      const before = await repo.settings(campaignId)
      if (!before || !(await repo.saveSettings(campaignId, next))) return false
      await audit.record(user, { action: 'update', entity: 'listening', entityId: campaignId, campaignId, before, after: next })
      return true
    },

    /** Puts a post in (or takes it out of) the selection; false when the campaign has no such post. */
    async select (user: Pick<SessionUser, 'id' | 'email'>, campaignId: string, postId: number, on: boolean): Promise<boolean> {
      if (!(await repo.select(campaignId, postId, user.id, on))) return false
      await audit.record(user, { action: on ? 'select' : 'unselect', entity: 'network_post', entityId: String(postId), campaignId })
      // Open dashboards show the change (a lost publish only delays it to the next refresh).
      await redis.publish(channels.dashboard, JSON.stringify({ campaignId })).catch(() => {})
      return true
    }
  }
}
