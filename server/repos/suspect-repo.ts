import type pg from 'pg'
import { inTransaction } from '../db/client.ts'
import type { Channel } from '../db/schema.ts'
import type { WindowInput } from '../domain/challenge-rules.ts'
import { AGGREGATE_SQL, BATCH_COLUMNS_OF_A, LOCK_SQL } from './action-repo.ts'

/** A window of sends marked suspicious. */
export interface SuspectWindow {
  id: number
  startsAt: Date
  endsAt: Date
  targetId: string | null
  channel: Channel | null
  /** actions the window covered when marked */
  actions: number
  markedBy: string
  createdAt: Date
}

export type SuspectRepo = ReturnType<typeof createSuspectRepo>

// Whether window w covers action a.
const COVERS = `a.created_at >= w.starts_at AND a.created_at < w.ends_at
  AND (w.target_id IS NULL OR a.target_id = w.target_id) AND (w.channel IS NULL OR a.channel = w.channel)`

/**
 * Moves the rows a statement flagged or un-flagged ("changed") out of or back into the counters. Rows the tally has
 * not reached are left to it (it skips suspect rows); a discounted row (a rejected bottle message) is out already.
 * Returns how many rows left (or joined) the public count.
 */
const recountSql = (changed: string, sign: 1 | -1): string => `
  WITH changed AS (${changed} RETURNING ${BATCH_COLUMNS_OF_A}, a.tallied, a.discounted),
  batch AS (SELECT * FROM changed WHERE tallied AND NOT discounted),
  ${AGGREGATE_SQL},
  upsert AS (
    INSERT INTO campaign_counts (campaign_id, dimension, key, count)
    SELECT $1, dimension, key, n * ${sign} FROM agg WHERE n > 0
    ON CONFLICT (campaign_id, dimension, key) DO UPDATE SET count = campaign_counts.count + EXCLUDED.count
  )
  SELECT count(*) FILTER (WHERE NOT discounted) AS n FROM changed`

const row = (r: Record<string, unknown>): SuspectWindow => ({
  id: Number(r.id),
  startsAt: r.starts_at as Date,
  endsAt: r.ends_at as Date,
  targetId: r.target_id as string | null,
  channel: r.channel as Channel | null,
  actions: Number(r.actions),
  markedBy: r.marked_by as string,
  createdAt: r.created_at as Date
})

/** Suspicious windows and the `suspect` flag of the actions they cover, with the counters kept exact. */
export function createSuspectRepo (pool: pg.Pool) {
  return {
    /** Marks a window: flags the actions it covers and takes them out of every counter, in one transaction. */
    async mark (campaignId: string, w: WindowInput, markedBy: string): Promise<{ window: SuspectWindow, flagged: number }> {
      return inTransaction(pool, async (client) => {
        await client.query(LOCK_SQL, [campaignId])
        const inserted = await client.query(
          'INSERT INTO suspect_windows (campaign_id, starts_at, ends_at, target_id, channel, marked_by) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *',
          [campaignId, w.startsAt, w.endsAt, w.targetId, w.channel, markedBy])
        const win = row(inserted.rows[0]!)
        const flagged = await client.query<{ n: string }>(recountSql(`
          UPDATE actions a SET suspect = true FROM suspect_windows w
          WHERE w.id = $2 AND a.campaign_id = $1 AND NOT a.suspect AND ${COVERS}`, -1), [campaignId, win.id])
        const covered = await client.query<{ n: string }>(`SELECT count(*) AS n FROM actions a JOIN suspect_windows w ON w.id = $2 WHERE a.campaign_id = $1 AND ${COVERS}`, [campaignId, win.id])
        win.actions = Number(covered.rows[0]?.n ?? 0)
        await client.query('UPDATE suspect_windows SET actions = $2 WHERE id = $1', [win.id, win.actions])
        return { window: win, flagged: Number(flagged.rows[0]?.n ?? 0) }
      })
    },

    /** Un-marks a window: its actions no other window covers count again, exactly as before. Null when there is no such window. */
    async unmark (campaignId: string, windowId: number): Promise<{ window: SuspectWindow, restored: number } | null> {
      return inTransaction(pool, async (client) => {
        await client.query(LOCK_SQL, [campaignId])
        const deleted = await client.query('DELETE FROM suspect_windows WHERE id = $1 AND campaign_id = $2 RETURNING *', [windowId, campaignId])
        if (!deleted.rows[0]) return null
        const win = row(deleted.rows[0])
        const restored = await client.query<{ n: string }>(recountSql(`
          UPDATE actions a SET suspect = false
          WHERE a.campaign_id = $1 AND a.suspect AND a.created_at >= $2 AND a.created_at < $3
            AND ($4::uuid IS NULL OR a.target_id = $4) AND ($5::channel IS NULL OR a.channel = $5)
            AND NOT EXISTS (SELECT 1 FROM suspect_windows w WHERE w.campaign_id = $1 AND ${COVERS})`, 1),
        [campaignId, win.startsAt, win.endsAt, win.targetId, win.channel])
        return { window: win, restored: Number(restored.rows[0]?.n ?? 0) }
      })
    },

    /** Whether a target (active or not) is the campaign's. */
    async hasTarget (campaignId: string, targetId: string): Promise<boolean> {
      return (await pool.query('SELECT 1 FROM targets WHERE id = $1 AND campaign_id = $2', [targetId, campaignId])).rows.length > 0
    },

    /** A campaign's marked windows, newest first. */
    async list (campaignId: string): Promise<SuspectWindow[]> {
      const res = await pool.query('SELECT * FROM suspect_windows WHERE campaign_id = $1 ORDER BY starts_at DESC, id DESC LIMIT 100', [campaignId])
      return res.rows.map(row)
    }
  }
}
