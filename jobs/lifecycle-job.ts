import type { CampaignAdminService } from '../server/services/campaign-admin-service.ts'
import type { JobPayloads } from '../server/queues.ts'

// A delayed job may be promoted a little before its time (clocks of the Redis host and of this process differ): it waits that out.
const MAX_EARLY_MS = 10_000

/**
 * Opens or closes a campaign when its time has come. The job only says "look again": the campaign is re-read in
 * PostgreSQL and changed only if its stored time is still the job's and the change is still due, so a job whose
 * time was edited, or one that runs twice, does nothing.
 */
export async function runTransitionJob (service: Pick<CampaignAdminService, 'load' | 'applyDue'>, job: JobPayloads['lifecycle']['transition']): Promise<'gone' | 'stale' | 'early' | 'applied' | 'nothing due'> {
  const c = await service.load(job.campaignId)
  if (!c) return 'gone'
  const stored = job.to === 'live' ? c.opensAt : c.closesAt
  if (!stored || stored.getTime() !== Date.parse(job.at)) return 'stale'
  const wait = stored.getTime() - Date.now()
  if (wait > MAX_EARLY_MS) return 'early'
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
  const applied = await service.applyDue(job.campaignId)
  return applied.length > 0 ? 'applied' : 'nothing due'
}
