import type { WindowInput } from '../domain/challenge-rules.ts'
import type { SuspectRepo } from '../repos/suspect-repo.ts'
import type { AuditService } from './audit-service.ts'
import type { SessionUser } from './auth-service.ts'

export type SuspectService = ReturnType<typeof createSuspectService>

/** Marking and un-marking windows of sends as suspicious: audited, and the public count told at once. */
export function createSuspectService ({ repo, audit, recounted }: {
  repo: SuspectRepo
  audit: Pick<AuditService, 'record'>
  /** the counters moved: publish the campaign's progress (pages, dashboards) */
  recounted: (campaignId: string) => Promise<unknown>
}) {
  return {
    /** Marks a window (already checked, see checkWindow); returns how many actions it covers, or null for another campaign's target. */
    async mark (user: Pick<SessionUser, 'id' | 'email'>, campaignId: string, w: WindowInput): Promise<{ id: number, actions: number, flagged: number } | null> {
      if (w.targetId && !await repo.hasTarget(campaignId, w.targetId)) return null
      const { window, flagged } = await repo.mark(campaignId, w, user.email)
      await audit.record(user, { action: 'suspect.mark', entity: 'suspect_window', entityId: String(window.id), campaignId, before: null, after: { ...w, actions: window.actions, flagged } })
      await recounted(campaignId).catch(() => {})
      return { id: window.id, actions: window.actions, flagged }
    },

    /** Un-marks a window; null when the campaign has no such window. */
    async unmark (user: Pick<SessionUser, 'id' | 'email'>, campaignId: string, windowId: number): Promise<{ restored: number } | null> {
      const done = await repo.unmark(campaignId, windowId)
      if (!done) return null
      const w = done.window
      await audit.record(user, { action: 'suspect.unmark', entity: 'suspect_window', entityId: String(w.id), campaignId, before: { startsAt: w.startsAt, endsAt: w.endsAt, targetId: w.targetId, channel: w.channel, actions: w.actions }, after: { restored: done.restored } })
      await recounted(campaignId).catch(() => {})
      return { restored: done.restored }
    },

    list: repo.list
  }
}
