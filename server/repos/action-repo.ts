import type pg from 'pg'
import { inTransaction } from '../db/client.ts'
import { CHALLENGE_INDEX, type Channel } from '../db/schema.ts'

export interface NewAction {
  campaignId: string
  targetId: string
  messageId: string | null
  channel: Channel
  locale: string
  text: string
  ref: string | null
  key: string
  /** reach: the supporter link it came through, the sender's own link code, the form it came from */
  fromCode?: string | null
  linkCode?: string | null
  source?: 'page' | 'embed'
  /** the solved challenge it answered (bot defence), good for this send only */
  challengeId?: string | null
}

/** The error an INSERT raises when the send's solved challenge was already another send's (see CHALLENGE_INDEX). */
export function isChallengeReplay (err: unknown): boolean {
  const e = err as { code?: string, constraint?: string }
  return e?.code === '23505' && e.constraint === CHALLENGE_INDEX
}

export interface RecordedAction { id: number, text: string, created: boolean }

export interface CountRow { dimension: string, key: string, count: number }

export type ActionRepo = ReturnType<typeof createActionRepo>

const INSERT_ACTION_SQL = `INSERT INTO actions (campaign_id, target_id, message_id, channel, locale, text, ref, key, from_code, link_code, source, challenge_id)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
               ON CONFLICT (campaign_id, key, target_id, channel) DO NOTHING
               RETURNING id, text`
const FIND_ACTION_SQL = 'SELECT id, text FROM actions WHERE campaign_id = $1 AND key = $2 AND target_id = $3 AND channel = $4'

/**
 * Inserts an action once per idempotency key; a repeat returns the first row. On the pool it is committed when it
 * resolves; on a client it joins that client's transaction (the bottle records its action so).
 */
export async function insertAction (db: pg.Pool | pg.PoolClient, a: NewAction): Promise<RecordedAction> {
  const inserted = await db.query<{ id: string, text: string }>({
    name: 'action-insert',
    text: INSERT_ACTION_SQL,
    values: [a.campaignId, a.targetId, a.messageId, a.channel, a.locale, a.text, a.ref, a.key, a.fromCode ?? null, a.linkCode ?? null, a.source ?? 'page', a.challengeId ?? null]
  })
  const row = inserted.rows[0]
  if (row) return { id: Number(row.id), text: row.text, created: true }
  // The conflicting insert has committed (a unique index waits for it), so this read sees it.
  const existing = await db.query<{ id: string, text: string }>({
    name: 'action-find-by-key',
    text: FIND_ACTION_SQL,
    values: [a.campaignId, a.key, a.targetId, a.channel]
  })
  const found = existing.rows[0]
  if (!found) throw new Error('idempotent insert found no row')
  return { id: Number(found.id), text: found.text, created: false }
}

// Both the tally and the rebuild take this per-campaign transaction lock, so they never interleave.
export const LOCK_SQL = "SELECT pg_advisory_xact_lock(hashtextextended('tally:' || $1::text, 0))"

// The batch's columns every dimension reads (the tally, the rebuild and the bottle's recount select these).
export const BATCH_COLUMNS = 'target_id, channel, locale, ref, message_id, created_at, from_code, link_code, source'
/** The same columns of the `actions` row aliased `a` (an UPDATE … RETURNING that feeds a recount). */
export const BATCH_COLUMNS_OF_A = BATCH_COLUMNS.split(', ').map((col) => 'a.' + col).join(', ')

// Reach: how sends arrived (a partner's code, a supporter's link, the widget, or none: direct), each supporter link's
// actions (from) and each sender's own link (link: one key per supporter who was given a link), and per partner
// code its actions per target, channel, day and hour (the partner's private page reads only these).
const REACH_SQL = `
    UNION ALL SELECT 'reach', 'ref', count(*) FROM batch WHERE ref IS NOT NULL
    UNION ALL SELECT 'reach', 'from', count(*) FROM batch WHERE from_code IS NOT NULL
    UNION ALL SELECT 'reach', 'embed', count(*) FROM batch WHERE source = 'embed'
    UNION ALL SELECT 'reach', 'direct', count(*) FROM batch WHERE ref IS NULL AND from_code IS NULL AND source <> 'embed'
    UNION ALL SELECT 'from', from_code, count(*) FROM batch WHERE from_code IS NOT NULL GROUP BY from_code
    UNION ALL SELECT 'link', link_code, count(*) FROM batch WHERE link_code IS NOT NULL GROUP BY link_code
    UNION ALL SELECT 'ref_target', ref || '|' || target_id::text, count(*) FROM batch WHERE ref IS NOT NULL GROUP BY 2
    UNION ALL SELECT 'ref_channel', ref || '|' || channel::text, count(*) FROM batch WHERE ref IS NOT NULL GROUP BY 2
    UNION ALL SELECT 'ref_hour', ref || '|' || to_char(date_trunc('hour', created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD"T"HH24":00Z"'), count(*) FROM batch WHERE ref IS NOT NULL GROUP BY 2`

// Counts a set of action rows (the CTE "batch") into every dimension at once.
export const AGGREGATE_SQL = `
  agg AS (
    SELECT 'total' AS dimension, '' AS key, count(*) AS n FROM batch
    UNION ALL SELECT 'target', target_id::text, count(*) FROM batch GROUP BY target_id
    UNION ALL SELECT 'channel', channel::text, count(*) FROM batch GROUP BY channel
    UNION ALL SELECT 'locale', locale, count(*) FROM batch GROUP BY locale
    UNION ALL SELECT 'ref', ref, count(*) FROM batch WHERE ref IS NOT NULL GROUP BY ref
    UNION ALL SELECT 'message', message_id::text, count(*) FROM batch WHERE message_id IS NOT NULL GROUP BY message_id
    UNION ALL SELECT 'hour', to_char(date_trunc('hour', created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD"T"HH24":00Z"'), count(*) FROM batch GROUP BY 2
    UNION ALL SELECT 'minute', to_char(date_trunc('minute', created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD"T"HH24:MI"Z"'), count(*) FROM batch GROUP BY 2
    ${REACH_SQL}
  )`

/** Called inside a tally batch's transaction, after the counters moved from before to after (the total). */
export type OnCounted = (client: pg.PoolClient, campaignId: string, before: number, after: number) => Promise<void>

/** Action rows (the source of truth) and the counters derived from them. */
export function createActionRepo (pool: pg.Pool) {
  return {
    /** Inserts an action once per idempotency key; a repeat returns the first row. Committed when it resolves. */
    record: (a: NewAction): Promise<RecordedAction> => insertAction(pool, a),

    /** Whether this send (campaign, idempotency key, target, channel) is recorded already. */
    async exists (campaignId: string, key: string, targetId: string, channel: Channel): Promise<boolean> {
      const res = await pool.query({ name: 'action-find-by-key', text: FIND_ACTION_SQL, values: [campaignId, key, targetId, channel] })
      return res.rows.length > 0
    },

    /**
     * Counts not-yet-tallied actions of a campaign into its counters, batch by batch; each batch is one transaction,
     * which onCounted joins (milestones are recorded with the counts or not at all). Returns how many it counted.
     */
    async tally (campaignId: string, batchSize: number, onCounted?: OnCounted): Promise<number> {
      let counted = 0
      for (;;) {
        const done = await inTransaction(pool, async (client) => {
          await client.query(LOCK_SQL, [campaignId])
          const res = await client.query<{ marked: string, n: string | null, total: string | null }>(`
            WITH marked AS (
              UPDATE actions SET tallied = true
              WHERE id IN (SELECT id FROM actions WHERE campaign_id = $1 AND NOT tallied ORDER BY id LIMIT $2)
              RETURNING ${BATCH_COLUMNS}, discounted, suspect
            ),
            batch AS (SELECT * FROM marked WHERE NOT discounted AND NOT suspect),
            ${AGGREGATE_SQL},
            upsert AS (
              INSERT INTO campaign_counts (campaign_id, dimension, key, count)
              SELECT $1, dimension, key, n FROM agg WHERE n > 0
              ON CONFLICT (campaign_id, dimension, key) DO UPDATE SET count = campaign_counts.count + EXCLUDED.count
              RETURNING dimension, count
            )
            SELECT (SELECT count(*) FROM marked) AS marked, (SELECT n FROM agg WHERE dimension = 'total') AS n, (SELECT count FROM upsert WHERE dimension = 'total') AS total`, [campaignId, batchSize])
          const n = Number(res.rows[0]?.n ?? 0)
          const after = Number(res.rows[0]?.total ?? 0)
          if (n > 0 && onCounted) await onCounted(client, campaignId, after - n, after)
          return { n, marked: Number(res.rows[0]?.marked ?? 0) }
        })
        counted += done.n
        // A batch of only discounted (or suspect) rows counts nothing but is full: the rows after it still wait.
        if (done.marked < batchSize) return counted
      }
    },

    /**
     * Rebuilds every counter of a campaign from its action rows, in one transaction. The rows it marks tallied and
     * the rows it counts are read in one statement, so from one snapshot: a row committed meanwhile is neither
     * marked nor counted, and the next tally counts it once (at READ COMMITTED, two statements see two snapshots).
     */
    async rebuild (campaignId: string): Promise<void> {
      await inTransaction(pool, async (client) => {
        await client.query(LOCK_SQL, [campaignId])
        await client.query('DELETE FROM campaign_counts WHERE campaign_id = $1', [campaignId])
        await client.query(`
          WITH marked AS (UPDATE actions SET tallied = true WHERE campaign_id = $1 AND NOT tallied),
          batch AS (SELECT ${BATCH_COLUMNS} FROM actions WHERE campaign_id = $1 AND NOT discounted AND NOT suspect),
          ${AGGREGATE_SQL}
          INSERT INTO campaign_counts (campaign_id, dimension, key, count)
          SELECT $1, dimension, key, n FROM agg WHERE n > 0`, [campaignId])
      })
    },

    /** The counters of a campaign. */
    async counts (campaignId: string): Promise<CountRow[]> {
      const res = await pool.query<{ dimension: string, key: string, count: string }>(
        "SELECT dimension, key, count FROM campaign_counts WHERE campaign_id = $1 AND dimension IN ('total', 'target', 'channel', 'locale')",
        [campaignId])
      return res.rows.map((r) => ({ dimension: r.dimension, key: r.key, count: Number(r.count) }))
    },

    /** Campaigns that have actions the tally has not counted yet. */
    async campaignsWithUntallied (): Promise<string[]> {
      const res = await pool.query<{ campaign_id: string }>('SELECT DISTINCT campaign_id FROM actions WHERE NOT tallied')
      return res.rows.map((r) => r.campaign_id)
    }
  }
}
