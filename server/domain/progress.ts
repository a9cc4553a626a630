import type { CountRow } from '../repos/action-repo.ts'
import { currentGoal } from './goals.ts'

/** The public progress document: progress.json and every SSE event carry it whole (absolute totals, no replay needed). */
export interface Progress {
  slug: string
  total: number
  goal: number
  targets: Array<{ id: string, name: string, count: number }>
  channels: Record<string, number>
  locales: Record<string, number>
  updatedAt: string
  /** public posts stored by listening; present only when the campaign shows them */
  publicPosts?: number
}

/** Builds the progress document of a campaign from its counters. */
export function buildProgress (
  campaign: { slug: string, goal: number },
  targets: ReadonlyArray<{ id: string, name: string }>,
  counts: readonly CountRow[],
  now: Date,
  publicPosts?: number
): Progress {
  let total = 0
  const byTarget = new Map<string, number>()
  const channels: Record<string, number> = {}
  const locales: Record<string, number> = {}
  for (const c of counts) {
    if (c.dimension === 'total') total = c.count
    else if (c.dimension === 'target') byTarget.set(c.key, c.count)
    else if (c.dimension === 'channel') channels[c.key] = c.count
    else if (c.dimension === 'locale') locales[c.key] = c.count
  }
  return {
    slug: campaign.slug,
    total,
    goal: currentGoal(total, campaign.goal),
    targets: targets.map((t) => ({ id: t.id, name: t.name, count: byTarget.get(t.id) ?? 0 })),
    channels,
    locales,
    updatedAt: now.toISOString(),
    ...(publicPosts === undefined ? {} : { publicPosts })
  }
}
