import type { Deps } from '../server/deps.ts'
import { enqueueMilestoneNotice } from '../server/queues.ts'

/**
 * Counts a campaign's new actions exactly once, records the milestones they crossed (in the same transaction),
 * asks for their notices and publishes the progress if anything changed. Safe to run twice.
 */
export async function tallyCampaign (deps: Pick<Deps, 'actionRepo' | 'milestoneRepo' | 'progressService' | 'queues' | 'config' | 'log'>, campaignId: string): Promise<number> {
  const reached: number[] = []
  const counted = await deps.actionRepo.tally(campaignId, deps.config.tallyBatchSize, async (client, id, before, after) => {
    reached.push(...await deps.milestoneRepo.recordCrossed(client, id, before, after))
  })
  if (counted > 0) await deps.progressService.publish(campaignId)
  for (const id of reached) {
    // A lost enqueue is not lost work: the worker's sweep finds notices still pending.
    await enqueueMilestoneNotice(deps.queues, id).catch((err: Error) => deps.log.warn(`milestone notice not queued (the sweep will): ${err.message}`))
  }
  return counted
}
