import type pg from 'pg'
import { currentGoal, percentOf } from '../domain/goals.ts'
import { nextMilestone, type MilestoneKind, type MilestonePlan, type Threshold } from '../domain/milestones.ts'
import type { MilestoneRepo } from '../repos/milestone-repo.ts'
import type { CampaignStatus } from '../db/schema.ts'
import type { NetworkPostRepo } from '../repos/network-post-repo.ts'
import type { Recruitment } from './reach-service.ts'
import type { SuspectWindow } from '../repos/suspect-repo.ts'
import type { SignalCounts } from './signal-service.ts'

export const MINUTES = 60
export const HOURS = 48
export const TOP_REFS = 20

export interface Bucket { t: string, n: number }
export interface Share { key: string, count: number }

/** A variant named by its first words, on one line. */
export function variantLabel (body: string, max = 70): string {
  const line = body.replace(/\s+/g, ' ').trim()
  const chars = [...line]
  return chars.length <= max ? line : chars.slice(0, max - 1).join('').trimEnd() + '…'
}

/** Where a campaign stands against its goal and its closing time. */
export type Verdict = 'reached' | 'onTrack' | 'behind' | 'stalled' | 'noDeadline' | 'notOpen'

/** Everything the dashboard shows; the page, dashboard.json and every SSE event carry it whole. */
export interface Dashboard {
  campaign: { id: string, slug: string, title: string, status: CampaignStatus, baseGoal: number, timeZone: string, closesAt: string | null }
  total: number
  goal: number
  percent: number
  rates: { perMinute: number, lastHour: number, previousHour: number }
  /** when the goal would be reached at the last hour's pace (null: no pace, or reached) */
  projectedAt: string | null
  verdict: Verdict
  minutes: Bucket[]
  hours: Bucket[]
  targets: Array<{ id: string, name: string, active: boolean, count: number }>
  channels: Share[]
  /** "Did you post it?" answers per network channel, from the thank-you page */
  posted: Array<{ channel: string, yes: number, no: number }>
  locales: Share[]
  /** actions per message variant (key: its id), every variant offered or counted, most sent first */
  variants: Array<Share & { label: string, locale: string, active: boolean }>
  refs: { top: Share[], others: number, distinct: number }
  milestones: Array<{ threshold: number, kind: MilestoneKind, percent: number | null, goal: number, reachedAt: string, mailStatus: string }>
  next: Threshold | null
  plan: MilestonePlan
  /** Listening: public posts seen on the networks, against the intents opened (X: intents only, it cannot be read) */
  networks: NetworksPart
  /** reach: how sends arrived, supporter links, share clicks and the partners' leaderboard (empty when not wired) */
  recruitment?: RecruitmentView
  updatedAt: string
  /** bot defence (added by the hub's reader, see deps.ts): the challenge's mode and state, its signals, the marked windows */
  defence?: {
    mode: 'off' | 'on' | 'auto'
    active: boolean
    autoUntil: string | null
    signals: SignalCounts | null
    windows: SuspectWindow[]
  }
}

/** The dashboard's Recruitment section (its own partial, views/admin/dashboard-recruitment.eta). */
export type RecruitmentView = Recruitment & { partners: Array<{ name: string, code: string, count: number, rank: number }> }

/** The dashboard's "On the networks" section. */
export interface NetworksPart {
  total: number
  byNetwork: Array<{ network: 'bluesky' | 'mastodon' | 'x', posts: number | null, intents: number }>
  targets: Array<{ id: string, name: string, count: number }>
  hours: Bucket[]
  feed: Array<{ id: number, network: string, url: string, authorHandle: string, authorName: string, text: string, postedAt: string, selected: boolean }>
  /** the Mastodon instances watched */
  settings: { instances: string[] }
}

export const FEED_SIZE = 20

const minuteKey = (ms: number): string => new Date(ms).toISOString().slice(0, 16) + 'Z'
const hourKey = (ms: number): string => new Date(ms).toISOString().slice(0, 13) + ':00Z'
const MINUTE = 60_000
const HOUR = 3_600_000

/** The last `count` buckets ending at `now` (zeros where nothing happened), oldest first. */
function series (counts: Map<string, number>, now: number, count: number, step: number, key: (ms: number) => string): Bucket[] {
  const end = Math.floor(now / step) * step
  const out: Bucket[] = []
  for (let i = count - 1; i >= 0; i--) {
    const t = key(end - i * step)
    out.push({ t, n: counts.get(t) ?? 0 })
  }
  return out
}

/** The answers to "Did you post it?" by channel, the most answered first. */
function postedByChannel (rows: Array<{ channel: string, posted: boolean, count: string }>): Dashboard['posted'] {
  const by = new Map<string, { channel: string, yes: number, no: number }>()
  for (const r of rows) {
    const e = by.get(r.channel) ?? { channel: r.channel, yes: 0, no: 0 }
    if (r.posted) e.yes += Number(r.count)
    else e.no += Number(r.count)
    by.set(r.channel, e)
  }
  return [...by.values()].sort((a, b) => b.yes + b.no - a.yes - a.no || a.channel.localeCompare(b.channel))
}

const sorted = (m: Map<string, number>): Share[] => [...m].map(([key, count]) => ({ key, count })).sort((a, b) => b.count - a.count || a.key.localeCompare(b.key))

/** Where the campaign stands: from the total, the goal the team set (reached is won, whatever the step-ups), the current goal, the pace and the closing time. */
export function verdictOf (total: number, baseGoal: number, goal: number, lastHour: number, closesAt: Date | null, now: number, status: CampaignStatus = 'live'): { verdict: Verdict, projectedAt: string | null } {
  if (total >= baseGoal || total >= goal) return { verdict: 'reached', projectedAt: null }
  // A campaign that has not opened has no pace to judge: no "not yet" verdict against it.
  if (status === 'draft' || status === 'scheduled') return { verdict: 'notOpen', projectedAt: null }
  if (lastHour <= 0) return { verdict: closesAt ? 'stalled' : 'noDeadline', projectedAt: null }
  const at = now + ((goal - total) / lastHour) * HOUR
  const projectedAt = new Date(Math.min(at, 8.64e15)).toISOString()
  if (!closesAt) return { verdict: 'noDeadline', projectedAt }
  return { verdict: at <= closesAt.getTime() ? 'onTrack' : 'behind', projectedAt }
}

export type DashboardService = ReturnType<typeof createDashboardService>

/** Reads a campaign's dashboard from the aggregate tables only (counters, milestones), never from the action rows. */
export function createDashboardService ({ pool, milestoneRepo, networkPostRepo, recruitment }: { pool: pg.Pool, milestoneRepo: Pick<MilestoneRepo, 'list' | 'plan'>, networkPostRepo: Pick<NetworkPostRepo, 'counts' | 'feed'>, recruitment?: (campaignId: string) => Promise<RecruitmentView> }) {
  async function read (campaignId: string, now = Date.now()): Promise<Dashboard | null> {
    const sinceMinute = minuteKey(now - (2 * MINUTES - 1) * MINUTE)
    const sinceHour = hourKey(now - (HOURS - 1) * HOUR)
    const [campaign, counts, targets, variants, milestones, plan, answers, postCounts, feed, reach] = await Promise.all([
      pool.query<{ id: string, slug: string, status: CampaignStatus, goal: number, time_zone: string, closes_at: Date | null, title: string | null, listening_instances: string[] }>({
        name: 'dashboard-campaign',
        text: `SELECT c.id, c.slug, c.status, c.goal, c.time_zone, c.closes_at, t.title, c.listening_instances
               FROM campaigns c LEFT JOIN campaign_texts t ON t.campaign_id = c.id AND t.locale = c.default_locale WHERE c.id = $1`,
        values: [campaignId]
      }),
      // Three index range scans on the counters' primary key: the bounded time windows and the small dimensions.
      pool.query<{ dimension: string, key: string, count: string }>({
        name: 'dashboard-counts',
        text: `SELECT dimension, key, count FROM campaign_counts WHERE campaign_id = $1 AND dimension IN ('total', 'target', 'channel', 'locale', 'ref', 'message')
               UNION ALL SELECT dimension, key, count FROM campaign_counts WHERE campaign_id = $1 AND dimension = 'minute' AND key >= $2
               UNION ALL SELECT dimension, key, count FROM campaign_counts WHERE campaign_id = $1 AND dimension = 'hour' AND key >= $3`,
        values: [campaignId, sinceMinute, sinceHour]
      }),
      pool.query<{ id: string, name: string, active: boolean }>({
        name: 'dashboard-targets',
        text: 'SELECT id, name, active FROM targets WHERE campaign_id = $1 ORDER BY position, name',
        values: [campaignId]
      }),
      // The variants' words, to name the rows of the split (their counts come from the counters like the others).
      pool.query<{ id: string, locale: string, body: string, active: boolean }>({
        name: 'dashboard-variants',
        text: 'SELECT id, locale, body, active FROM messages WHERE campaign_id = $1 ORDER BY locale, position, id',
        values: [campaignId]
      }),
      milestoneRepo.list(campaignId),
      milestoneRepo.plan(campaignId),
      pool.query<{ channel: string, posted: boolean, count: string }>({
        name: 'dashboard-post-answers',
        text: 'SELECT channel, posted, count FROM post_answers WHERE campaign_id = $1',
        values: [campaignId]
      }),
      networkPostRepo.counts(campaignId),
      networkPostRepo.feed(campaignId, FEED_SIZE),
      recruitment?.(campaignId)
    ])
    const c = campaign.rows[0]
    if (!c) return null

    let total = 0
    const dims: Record<string, Map<string, number>> = { target: new Map(), channel: new Map(), locale: new Map(), ref: new Map(), message: new Map(), minute: new Map(), hour: new Map() }
    for (const r of counts.rows) {
      if (r.dimension === 'total') total = Number(r.count)
      else dims[r.dimension]?.set(r.key, Number(r.count))
    }
    const minutes = series(dims.minute!, now, 2 * MINUTES, MINUTE, minuteKey)
    const lastHour = minutes.slice(MINUTES).reduce((s, b) => s + b.n, 0)
    const previousHour = minutes.slice(0, MINUTES).reduce((s, b) => s + b.n, 0)
    // The current minute is still filling: the pace per minute is the mean of the last five complete ones.
    const perMinute = minutes.slice(-6, -1).reduce((s, b) => s + b.n, 0) / 5
    const goal = currentGoal(total, c.goal)
    const { verdict, projectedAt } = verdictOf(total, c.goal, goal, lastHour, c.closes_at, now, c.status)
    const refs = sorted(dims.ref!)
    const byTarget = dims.target!
    return {
      campaign: { id: c.id, slug: c.slug, title: c.title ?? c.slug, status: c.status, baseGoal: c.goal, timeZone: c.time_zone, closesAt: c.closes_at?.toISOString() ?? null },
      total,
      goal,
      percent: percentOf(total, goal),
      rates: { perMinute: Math.round(perMinute * 10) / 10, lastHour, previousHour },
      projectedAt,
      verdict,
      minutes: minutes.slice(MINUTES),
      hours: series(dims.hour!, now, HOURS, HOUR, hourKey),
      targets: targets.rows.map((t) => ({ id: t.id, name: t.name, active: t.active, count: byTarget.get(t.id) ?? 0 }))
        .sort((a, b) => b.count - a.count || a.name.localeCompare(b.name)),
      channels: sorted(dims.channel!),
      posted: postedByChannel(answers.rows),
      locales: sorted(dims.locale!),
      variants: variants.rows.filter((v) => v.active || dims.message!.has(v.id))
        .map((v) => ({ key: v.id, label: variantLabel(v.body), locale: v.locale, active: v.active, count: dims.message!.get(v.id) ?? 0 }))
        .sort((a, b) => b.count - a.count),
      refs: { top: refs.slice(0, TOP_REFS), others: refs.slice(TOP_REFS).reduce((s, r) => s + r.count, 0), distinct: refs.length },
      milestones: milestones.map((m) => ({ threshold: m.threshold, kind: m.kind, percent: m.percent, goal: m.goal, reachedAt: m.reachedAt.toISOString(), mailStatus: m.mailStatus })),
      next: nextMilestone(total, c.goal, plan),
      plan,
      networks: {
        total: postCounts.get('total|') ?? 0,
        byNetwork: (['bluesky', 'mastodon', 'x'] as const).map((network) => ({
          network, posts: network === 'x' ? null : postCounts.get(`network|${network}`) ?? 0, intents: dims.channel!.get(network) ?? 0
        })),
        targets: targets.rows.map((t) => ({ id: t.id, name: t.name, count: postCounts.get(`target|${t.id}`) ?? 0 })).filter((t) => t.count > 0)
          .sort((a, b) => b.count - a.count || a.name.localeCompare(b.name)),
        hours: series(new Map([...postCounts].filter(([k]) => k.startsWith('hour|')).map(([k, n]) => [k.slice(5), n])), now, HOURS, HOUR, hourKey),
        feed: feed.map((p) => ({ id: p.id, network: p.network, url: p.url, authorHandle: p.authorHandle, authorName: p.authorName, text: p.text, postedAt: p.postedAt, selected: p.selected })),
        settings: { instances: c.listening_instances }
      },
      ...(reach ? { recruitment: reach } : {}),
      updatedAt: new Date(now).toISOString()
    }
  }

  /** Hourly counts of the last `hours` hours for several campaigns at once (the overview's sparklines), oldest first. */
  async function sparklines (campaignIds: string[], hours: number, now = Date.now()): Promise<Map<string, number[]>> {
    const out = new Map<string, number[]>()
    if (campaignIds.length === 0) return out
    const res = await pool.query<{ campaign_id: string, key: string, count: string }>({
      name: 'dashboard-sparklines',
      text: "SELECT campaign_id, key, count FROM campaign_counts WHERE campaign_id = ANY($1::uuid[]) AND dimension = 'hour' AND key >= $2",
      values: [campaignIds, hourKey(now - (hours - 1) * HOUR)]
    })
    const by = new Map<string, Map<string, number>>()
    for (const r of res.rows) {
      let m = by.get(r.campaign_id)
      if (!m) { m = new Map(); by.set(r.campaign_id, m) }
      m.set(r.key, Number(r.count))
    }
    for (const id of campaignIds) out.set(id, series(by.get(id) ?? new Map(), now, hours, HOUR, hourKey).map((b) => b.n))
    return out
  }

  return { read, sparklines }
}
