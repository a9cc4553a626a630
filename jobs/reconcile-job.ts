import type { Deps } from '../server/deps.ts'

/** Rebuilds counters from the action rows (one campaign, or every campaign with a public count) and republishes them. */
export async function reconcileCounts (deps: Pick<Deps, 'actionRepo' | 'progressService' | 'campaignRepo'>, campaignId?: string): Promise<number> {
  const ids = campaignId ? [campaignId] : (await deps.campaignRepo.listPublic()).map((c) => c.id)
  for (const id of ids) {
    await deps.actionRepo.rebuild(id)
    await deps.progressService.publish(id)
  }
  return ids.length
}
