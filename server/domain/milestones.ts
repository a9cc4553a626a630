import { currentGoal } from './goals.ts'

/** Which thresholds a campaign announces: shares of its goal, extra counts, and each goal step-up. */
export interface MilestonePlan { percents: number[], counts: number[], stepUps: boolean }

export type MilestoneKind = 'percent' | 'count' | 'step'

/** One threshold of a plan, for a given goal. */
export interface Threshold { threshold: number, kind: MilestoneKind, percent: number | null }

export const DEFAULT_PLAN: MilestonePlan = Object.freeze({ percents: [25, 50, 75, 100], counts: [], stepUps: true }) as MilestonePlan

export const PLAN_LIMITS = { entries: 20, percentMax: 1000, countMax: 1_000_000_000 }

// A percentage of the goal, rounded up so "50 %" is never announced below half.
const share = (goal: number, percent: number): number => Math.max(1, Math.ceil((goal * percent) / 100))

// When two kinds land on the same number, the one the team reads most easily wins.
const RANK: Record<MilestoneKind, number> = { percent: 0, step: 1, count: 2 }

/** Every threshold of the plan in (above, upTo], sorted, one per number. */
export function thresholdsBetween (above: number, upTo: number, goal: number, plan: MilestonePlan): Threshold[] {
  if (upTo <= above) return []
  const found = new Map<number, Threshold>()
  const add = (t: Threshold): void => {
    if (t.threshold <= above || t.threshold > upTo) return
    const had = found.get(t.threshold)
    if (!had || RANK[t.kind] < RANK[had.kind]) found.set(t.threshold, t)
  }
  for (const p of plan.percents) add({ threshold: share(goal, p), kind: 'percent', percent: p })
  for (const c of plan.counts) add({ threshold: c, kind: 'count', percent: null })
  if (plan.stepUps) {
    // Reaching the goal is the first step-up; then every rung of the ladder the goal climbs to.
    const base = goal > 0 ? goal : 100
    for (let step = base; step <= upTo; step = currentGoal(step, base)) add({ threshold: step, kind: 'step', percent: null })
  }
  return [...found.values()].sort((a, b) => a.threshold - b.threshold)
}

/** The thresholds a total crossed going from before to after (a tally batch). */
export function crossedMilestones (before: number, after: number, goal: number, plan: MilestonePlan): Threshold[] {
  return thresholdsBetween(before, after, goal, plan)
}

/** The next threshold above a total, if the plan has one. */
export function nextMilestone (total: number, goal: number, plan: MilestonePlan): Threshold | null {
  // The ladder always has a rung above the total; without it, look as far as the largest planned number.
  const far = Math.max(currentGoal(total, goal > 0 ? goal : 100), ...plan.counts, ...plan.percents.map((p) => share(goal, p)))
  return thresholdsBetween(total, far, goal, plan)[0] ?? null
}

export type PlanError = { field: 'percents' | 'counts', key: 'notNumbers' | 'tooMany' | 'outOfRange' }

/** Reads a plan from the editor's fields ("25, 50, 75, 100"); whole numbers only, deduplicated and sorted. */
export function parsePlan (input: { percents?: unknown, counts?: unknown, stepUps?: unknown }): { ok: true, plan: MilestonePlan } | { ok: false, errors: PlanError[] } {
  const errors: PlanError[] = []
  const list = (field: PlanError['field'], raw: unknown, max: number): number[] => {
    const text = typeof raw === 'string' ? raw.trim() : ''
    if (!text) return []
    // Commas or semicolons separate; spaces, dots and apostrophes inside a number are thousands separators ("10 000").
    const parts = text.split(/[,;\n]+/).map((p) => p.replace(/[\s\u202f\u00a0._']/g, '').replace(/%$/, '')).filter(Boolean)
    if (parts.some((p) => !/^\d{1,10}$/.test(p))) { errors.push({ field, key: 'notNumbers' }); return [] }
    const values = [...new Set(parts.map(Number))].sort((a, b) => a - b)
    if (values.length > PLAN_LIMITS.entries) { errors.push({ field, key: 'tooMany' }); return [] }
    if (values.some((v) => v < 1 || v > max)) { errors.push({ field, key: 'outOfRange' }); return [] }
    return values
  }
  const percents = list('percents', input.percents, PLAN_LIMITS.percentMax)
  const counts = list('counts', input.counts, PLAN_LIMITS.countMax)
  if (errors.length) return { ok: false, errors }
  const stepUps = input.stepUps === 'on' || input.stepUps === 'true' || input.stepUps === true
  return { ok: true, plan: { percents, counts, stepUps } }
}

/** The label of a milestone in one language ("50 % of the goal", "the goal of 1,000 actions"). */
export function milestoneLabel (t: (key: string, vars?: Record<string, string | number>) => string, m: { kind: MilestoneKind, percent: number | null, threshold: number, goal: number }): string {
  if (m.kind === 'percent') return t('admin.dashboard.milestones.kind.percent', { percent: m.percent ?? 0, count: m.threshold })
  if (m.kind === 'step') return t('admin.dashboard.milestones.kind.step', { count: m.threshold, next: currentGoal(m.threshold, m.goal) })
  return t('admin.dashboard.milestones.kind.count', { count: m.threshold })
}
