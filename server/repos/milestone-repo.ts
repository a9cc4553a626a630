import type pg from 'pg'
import { DEFAULT_PLAN, crossedMilestones, type MilestoneKind, type MilestonePlan } from '../domain/milestones.ts'

/** A milestone a campaign reached. */
export interface Milestone {
  id: number
  campaignId: string
  threshold: number
  kind: MilestoneKind
  percent: number | null
  goal: number
  reachedAt: Date
  mailStatus: 'pending' | 'sent' | 'skipped'
  mailedAt: Date | null
}

type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>

interface MilestoneRow {
  id: string
  campaign_id: string
  threshold: number
  kind: MilestoneKind
  percent: number | null
  goal: number
  reached_at: Date
  mail_status: Milestone['mailStatus']
  mailed_at: Date | null
}

const COLUMNS = 'id, campaign_id, threshold, kind, percent, goal, reached_at, mail_status, mailed_at'

const toMilestone = (r: MilestoneRow): Milestone => ({
  id: Number(r.id),
  campaignId: r.campaign_id,
  threshold: r.threshold,
  kind: r.kind,
  percent: r.percent,
  goal: r.goal,
  reachedAt: r.reached_at,
  mailStatus: r.mail_status,
  mailedAt: r.mailed_at
})

export type MilestoneRepo = ReturnType<typeof createMilestoneRepo>

/** Milestone plans and reached milestones; recordCrossed runs inside the tally's transaction. */
export function createMilestoneRepo (pool: pg.Pool) {
  async function planOf (db: Queryable, campaignId: string): Promise<MilestonePlan> {
    const res = await db.query<{ percents: number[], counts: number[], step_ups: boolean }>(
      'SELECT percents, counts, step_ups FROM milestone_plans WHERE campaign_id = $1', [campaignId])
    const row = res.rows[0]
    return row ? { percents: row.percents, counts: row.counts, stepUps: row.step_ups } : { ...DEFAULT_PLAN }
  }

  return {
    /** The campaign's plan (the default one until the team changes it). */
    plan: (campaignId: string) => planOf(pool, campaignId),

    /** Saves a campaign's plan. */
    async savePlan (campaignId: string, plan: MilestonePlan): Promise<void> {
      await pool.query(`
        INSERT INTO milestone_plans (campaign_id, percents, counts, step_ups, updated_at) VALUES ($1, $2, $3, $4, now())
        ON CONFLICT (campaign_id) DO UPDATE SET percents = EXCLUDED.percents, counts = EXCLUDED.counts, step_ups = EXCLUDED.step_ups, updated_at = now()`,
      [campaignId, plan.percents, plan.counts, plan.stepUps])
    },

    /**
     * Records the thresholds a tally batch crossed (total went from before to after), in the tally's transaction.
     * The unique index makes a second record of a threshold a no-op, so only the first writer gets its id back.
     */
    async recordCrossed (client: pg.PoolClient, campaignId: string, before: number, after: number): Promise<number[]> {
      const goalRes = await client.query<{ goal: number }>('SELECT goal FROM campaigns WHERE id = $1', [campaignId])
      const goal = goalRes.rows[0]?.goal
      if (goal === undefined) return []
      const crossed = crossedMilestones(before, after, goal, await planOf(client, campaignId))
      if (crossed.length === 0) return []
      const res = await client.query<{ id: string }>(`
        INSERT INTO milestones (campaign_id, threshold, kind, percent, goal)
        SELECT $1, t, k, NULLIF(p, 0), $5 FROM unnest($2::int[], $3::text[], $4::int[]) AS x(t, k, p)
        ON CONFLICT (campaign_id, threshold) DO NOTHING
        RETURNING id`,
      [campaignId, crossed.map((c) => c.threshold), crossed.map((c) => c.kind), crossed.map((c) => c.percent ?? 0), goal])
      return res.rows.map((r) => Number(r.id))
    },

    /** A campaign's reached milestones, latest first. */
    async list (campaignId: string): Promise<Milestone[]> {
      const res = await pool.query<MilestoneRow>(`SELECT ${COLUMNS} FROM milestones WHERE campaign_id = $1 ORDER BY threshold DESC`, [campaignId])
      return res.rows.map(toMilestone)
    },

    /** Takes the notice of a milestone for leaseMs if nobody sent it and nobody holds it; null otherwise. */
    async claimMail (id: number, leaseMs: number): Promise<Milestone | null> {
      const res = await pool.query<MilestoneRow>(`
        UPDATE milestones SET mail_claimed_until = now() + $2 * interval '1 millisecond', mail_attempts = mail_attempts + 1
        WHERE id = $1 AND mail_status = 'pending' AND (mail_claimed_until IS NULL OR mail_claimed_until < now())
        RETURNING ${COLUMNS}`, [id, leaseMs])
      const row = res.rows[0]
      return row ? toMilestone(row) : null
    },

    /** Marks a claimed notice as sent or skipped (no mail server, nobody to tell). */
    async finishMail (id: number, status: 'sent' | 'skipped'): Promise<void> {
      await pool.query("UPDATE milestones SET mail_status = $2::milestone_mail_status, mailed_at = CASE WHEN $2::milestone_mail_status = 'sent' THEN now() END, mail_claimed_until = NULL WHERE id = $1 AND mail_status = 'pending'", [id, status])
    },

    /** Gives a claimed notice back after a failed send, so a retry may take it at once. */
    async releaseMail (id: number): Promise<void> {
      await pool.query("UPDATE milestones SET mail_claimed_until = NULL WHERE id = $1 AND mail_status = 'pending'", [id])
    },

    /** Notices still to send that nobody holds (for the worker's sweep). */
    async pendingMail (): Promise<number[]> {
      const res = await pool.query<{ id: string }>("SELECT id FROM milestones WHERE mail_status = 'pending' AND (mail_claimed_until IS NULL OR mail_claimed_until < now()) ORDER BY id LIMIT 100")
      return res.rows.map((r) => Number(r.id))
    }
  }
}
