import type { Deps } from '../server/deps.ts'

/** Counts a campaign's new actions exactly once and publishes its progress if anything changed. Safe to run twice. */
export async function tallyCampaign (deps: Pick<Deps, 'actionRepo' | 'progressService' | 'config'>, campaignId: string): Promise<number> {
  const counted = await deps.actionRepo.tally(campaignId, deps.config.tallyBatchSize)
  if (counted > 0) await deps.progressService.publish(campaignId)
  return counted
}
