import type { Deps } from '../server/deps.ts'

/** Applies the retention rules once (the daily job); returns how many campaigns it removed something from. */
export async function runRetention (deps: Pick<Deps, 'retention' | 'log'>, now = new Date()): Promise<{ campaigns: number }> {
  const removed = await deps.retention.apply(now)
  if (removed.size > 0) deps.log.info(`retention: personal data removed from ${removed.size} campaign(s), see the audit log`)
  return { campaigns: removed.size }
}
