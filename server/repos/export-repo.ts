import type pg from 'pg'
import QueryStream from 'pg-query-stream'
import type { Channel } from '../db/schema.ts'
import type { ExportFilter } from '../domain/export-filter.ts'

/** One exported action, every value as text: id, created_at (ISO UTC), target_id, channel, locale, message_id, text, ref, suspect ('true' | 'false'). */
export type ActionCells = [id: string, createdAt: string, targetId: string, channel: Channel, locale: string, messageId: string | null, text: string, ref: string | null, suspect: 'true' | 'false']

export interface ExportTarget { id: string, name: string, role: Record<string, string>, organisation: string, country: string, active: boolean }

/** Reads of one campaign's actions on one connection, inside one read-only snapshot: a count and the rows streamed agree. */
export interface ExportSession {
  count: (filter: ExportFilter) => Promise<number>
  actions: (filter: ExportFilter) => AsyncGenerator<ActionCells[]>
}

export type ExportRepo = ReturnType<typeof createExportRepo>

// Rows fetched per round trip of the cursor: the most an export ever holds in memory at once.
const CURSOR_BATCH = 4000

// Formatted by PostgreSQL: a million Date objects would cost more than the rows themselves.
const ISO_UTC = 'to_char(created_at AT TIME ZONE \'UTC\', \'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"\')'

/** The WHERE clause of a filter over actions, with its parameters ($1 is the campaign). */
function where (campaignId: string, f: ExportFilter): { clause: string, values: unknown[] } {
  const values: unknown[] = [campaignId]
  // A rejected bottle message counts nowhere, exports included.
  const parts = ['campaign_id = $1', 'NOT discounted']
  const add = (sql: string, v: unknown) => { values.push(v); parts.push(sql.replace('?', `$${values.length}`)) }
  if (f.since) add('created_at >= ?', f.since)
  if (f.until) add('created_at < ?', f.until)
  if (f.targetId) add('target_id = ?', f.targetId)
  if (f.channel) add('channel = ?', f.channel)
  return { clause: parts.join(' AND '), values }
}

/** What the exports read: action rows streamed through a cursor, counts grouped by target and channel. */
export function createExportRepo (pool: pg.Pool) {
  return {
    /** Every target of a campaign (deactivated ones too: their actions still count), in display order. */
    async targets (campaignId: string): Promise<ExportTarget[]> {
      const res = await pool.query<ExportTarget>(
        'SELECT id, name, role, organisation, country, active FROM targets WHERE campaign_id = $1 ORDER BY position, name',
        [campaignId])
      return res.rows
    },

    /** When the campaign was created and last changed (OSDI's created_date and modified_date). */
    async campaignDates (campaignId: string): Promise<{ createdAt: Date, updatedAt: Date }> {
      const res = await pool.query<{ created_at: Date, updated_at: Date }>('SELECT created_at, updated_at FROM campaigns WHERE id = $1', [campaignId])
      const row = res.rows[0]
      if (!row) throw new Error(`no campaign ${campaignId}`)
      return { createdAt: row.created_at, updatedAt: row.updated_at }
    },

    /** How many actions the filter keeps, and when the first and the last were made. */
    async summary (campaignId: string, f: ExportFilter): Promise<{ count: number, first: Date | null, last: Date | null }> {
      const { clause, values } = where(campaignId, f)
      const res = await pool.query<{ n: string, first: Date | null, last: Date | null }>(
        `SELECT count(*) AS n, min(created_at) AS first, max(created_at) AS last FROM actions WHERE ${clause}`, values)
      const row = res.rows[0]
      return { count: Number(row?.n ?? 0), first: row?.first ?? null, last: row?.last ?? null }
    },

    /** Actions per target and channel, counted from the rows themselves (as the public count: suspect rows left out). */
    async countsByTargetChannel (campaignId: string, f: ExportFilter): Promise<Array<{ targetId: string, channel: Channel, count: number }>> {
      const { clause, values } = where(campaignId, f)
      const res = await pool.query<{ target_id: string, channel: Channel, n: string }>(
        `SELECT target_id, channel, count(*) AS n FROM actions WHERE ${clause} AND NOT suspect GROUP BY target_id, channel`, values)
      return res.rows.map((r) => ({ targetId: r.target_id, channel: r.channel, count: Number(r.n) }))
    },

    /**
     * Runs fn over a campaign's actions on one pooled connection inside a REPEATABLE READ, READ ONLY transaction and yields what it yields.
     * The connection goes back to the pool only after a clean COMMIT; a consumer that stops early (a download
     * cancelled) or an error discards it, so no half-read cursor or open transaction is ever handed to someone else.
     */
    async * session<T> (campaignId: string, fn: (s: ExportSession) => AsyncGenerator<T>): AsyncGenerator<T> {
      const client = await pool.connect()
      let clean = false
      try {
        await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY')
        yield * fn({
          async count (f) {
            const { clause, values } = where(campaignId, f)
            const res = await client.query<{ n: string }>(`SELECT count(*) AS n FROM actions WHERE ${clause}`, values)
            return Number(res.rows[0]?.n ?? 0)
          },
          async * actions (f) {
            const { clause, values } = where(campaignId, f)
            // Qualified: a bare "id" in ORDER BY would name the id::text output column and sort ids as text.
            const stream = client.query(new QueryStream(
              `SELECT id::text, ${ISO_UTC}, target_id::text, channel::text, locale, message_id::text, text, ref, suspect::text
               FROM actions WHERE ${clause} ORDER BY actions.created_at, actions.id`, values, { batchSize: CURSOR_BATCH, rowMode: 'array' }))
            let batch: ActionCells[] = []
            for await (const row of stream) {
              batch.push(row as ActionCells)
              if (batch.length === CURSOR_BATCH) {
                yield batch
                batch = []
              }
            }
            if (batch.length) yield batch
          }
        })
        await client.query('COMMIT')
        clean = true
      } finally {
        client.release(clean ? undefined : new Error('export ended before its end'))
      }
    }
  }
}
