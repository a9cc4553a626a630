import { describe, expect, it } from 'vitest'
import { DEFAULT_PLAN, crossedMilestones, milestoneLabel, nextMilestone, parsePlan, thresholdsBetween } from '../../server/domain/milestones.ts'

const thresholds = (xs: Array<{ threshold: number }>) => xs.map((x) => x.threshold)

describe('milestones', () => {
  it('crosses 25, 50, 75 and 100 % of the goal, then every step-up of the goal', () => {
    expect(crossedMilestones(0, 1000, 1000, DEFAULT_PLAN)).toEqual([
      { threshold: 250, kind: 'percent', percent: 25 },
      { threshold: 500, kind: 'percent', percent: 50 },
      { threshold: 750, kind: 'percent', percent: 75 },
      { threshold: 1000, kind: 'percent', percent: 100 }
    ])
    expect(crossedMilestones(1000, 12_000, 1000, DEFAULT_PLAN)).toEqual([
      { threshold: 2500, kind: 'step', percent: null },
      { threshold: 5000, kind: 'step', percent: null },
      { threshold: 10_000, kind: 'step', percent: null }
    ])
  })

  it('counts a threshold only in the batch that crosses it (before excluded, after included)', () => {
    expect(thresholds(crossedMilestones(249, 250, 1000, DEFAULT_PLAN))).toEqual([250])
    expect(crossedMilestones(250, 499, 1000, DEFAULT_PLAN)).toEqual([])
    expect(crossedMilestones(500, 500, 1000, DEFAULT_PLAN)).toEqual([])
    // Batches that together cover a range cross each threshold exactly once.
    const all: number[] = []
    for (let from = 0; from < 30_000; from += 137) all.push(...thresholds(crossedMilestones(from, from + 137, 1000, DEFAULT_PLAN)))
    expect(all).toEqual([250, 500, 750, 1000, 2500, 5000, 10_000, 25_000])
  })

  it('rounds shares of an odd goal up, adds the team’s own counts, and keeps one milestone per number', () => {
    const plan = { percents: [33, 100], counts: [100, 333, 2500], stepUps: true }
    expect(thresholdsBetween(0, 3000, 999, plan)).toEqual([
      { threshold: 100, kind: 'count', percent: null },
      { threshold: 330, kind: 'percent', percent: 33 },
      { threshold: 333, kind: 'count', percent: null },
      { threshold: 999, kind: 'percent', percent: 100 },
      { threshold: 1000, kind: 'step', percent: null },
      { threshold: 2500, kind: 'step', percent: null }
    ])
    expect(thresholds(thresholdsBetween(0, 3000, 999, { percents: [], counts: [], stepUps: false }))).toEqual([])
  })

  it('names the next milestone above a total', () => {
    expect(nextMilestone(0, 1000, DEFAULT_PLAN)).toMatchObject({ threshold: 250 })
    expect(nextMilestone(1000, 1000, DEFAULT_PLAN)).toMatchObject({ threshold: 2500, kind: 'step' })
    expect(nextMilestone(10, 100, { percents: [], counts: [], stepUps: false })).toBeNull()
    expect(nextMilestone(10, 100, { percents: [], counts: [5000], stepUps: false })).toMatchObject({ threshold: 5000, kind: 'count' })
  })

  it('reads the editor’s fields, refusing what is not a list of whole numbers in range', () => {
    expect(parsePlan({ percents: '100, 25 %; 50,50', counts: '10 000, 1\u202f000', stepUps: 'on' })).toEqual({ ok: true, plan: { percents: [25, 50, 100], counts: [1000, 10_000], stepUps: true } })
    expect(parsePlan({ percents: '', counts: '' })).toEqual({ ok: true, plan: { percents: [], counts: [], stepUps: false } })
    expect(parsePlan({ percents: '25, half' })).toEqual({ ok: false, errors: [{ field: 'percents', key: 'notNumbers' }] })
    expect(parsePlan({ percents: '-5' })).toEqual({ ok: false, errors: [{ field: 'percents', key: 'notNumbers' }] })
    expect(parsePlan({ percents: '0, 2000' })).toEqual({ ok: false, errors: [{ field: 'percents', key: 'outOfRange' }] })
    expect(parsePlan({ counts: Array.from({ length: 21 }, (_, i) => i + 1).join(',') })).toEqual({ ok: false, errors: [{ field: 'counts', key: 'tooMany' }] })
    expect(parsePlan({ percents: ['25'] })).toEqual({ ok: true, plan: { percents: [], counts: [], stepUps: false } })
  })

  it('labels each kind', () => {
    const t = (key: string, vars?: Record<string, string | number>) => `${key} ${JSON.stringify(vars)}`
    expect(milestoneLabel(t, { kind: 'percent', percent: 50, threshold: 500, goal: 1000 })).toBe('admin.dashboard.milestones.kind.percent {"percent":50,"count":500}')
    expect(milestoneLabel(t, { kind: 'step', percent: null, threshold: 2500, goal: 1000 })).toBe('admin.dashboard.milestones.kind.step {"count":2500,"next":5000}')
  })
})
