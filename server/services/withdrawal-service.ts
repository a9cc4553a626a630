import { randomBytes } from 'node:crypto'
import type { Redis } from 'ioredis'
import type pg from 'pg'
import { inTransaction } from '../db/client.ts'
import { WITHDRAW_TOKEN_RE, hashWithdrawToken } from '../domain/privacy-rules.ts'
import { AGGREGATE_SQL, BATCH_COLUMNS_OF_A, LOCK_SQL } from '../repos/action-repo.ts'
import type { BottleEvent } from './bottle-hub.ts'
import type { Channels } from './bus.ts'

/** A bottle message as its author sees it on the withdrawal page. */
export interface OwnMessage { id: number, text: string, locale: string, targetName: string, signatureName: string | null, signatureTown: string | null, createdAt: Date }

export type WithdrawalService = ReturnType<typeof createWithdrawalService>

/** A new withdrawal token (144 random bits, base64url) and the hash kept in its place. */
export function newWithdrawToken (): { token: string, hash: string } {
  const token = randomBytes(18).toString('base64url')
  return { token, hash: hashWithdrawToken(token) }
}

/**
 * Supporters' withdrawal of their bottle messages through the private link given after the send: the message is
 * deleted, its action leaves the public count (discounted, like a rejection), dossiers not yet sent are rebuilt
 * without it, open walls drop it live, and the campaign's withdrawal counter goes up. Nothing of the message is logged.
 */
export function createWithdrawalService ({ pool, redis, channels, recounted }: {
  pool: pg.Pool
  redis: Pick<Redis, 'publish'>
  channels: Channels
  /** publishes the campaign's counts again after a withdrawal took a counted message out */
  recounted?: (campaignId: string) => Promise<unknown>
}) {
  return {
    /** The message a token opens in a campaign, or null (malformed, guessed, or already withdrawn). */
    async find (campaignId: string, token: string): Promise<OwnMessage | null> {
      if (!WITHDRAW_TOKEN_RE.test(token)) return null
      const res = await pool.query<{ id: string, text: string, locale: string, target_name: string, signature_name: string | null, signature_town: string | null, created_at: Date }>(
        `SELECT b.id, b.text, b.locale, t.name AS target_name, b.signature_name, b.signature_town, b.created_at
         FROM bottle_messages b JOIN targets t ON t.id = b.target_id WHERE b.campaign_id = $1 AND b.withdraw_token_hash = $2`,
        [campaignId, hashWithdrawToken(token)])
      const r = res.rows[0]
      return r ? { id: Number(r.id), text: r.text, locale: r.locale, targetName: r.target_name, signatureName: r.signature_name, signatureTown: r.signature_town, createdAt: r.created_at } : null
    },

    /** Withdraws the message a token opens; false when there is none (a replay finds nothing and changes nothing). */
    async withdraw (campaignId: string, token: string): Promise<boolean> {
      if (!WITHDRAW_TOKEN_RE.test(token)) return false
      const done = await inTransaction(pool, async (client) => {
        // The tally's lock: the action leaves the counters, and the tally must not count it meanwhile.
        await client.query(LOCK_SQL, [campaignId])
        const gone = (await client.query<{ id: string, action_id: string, target_id: string, locale: string, status: string }>(
          'DELETE FROM bottle_messages WHERE campaign_id = $1 AND withdraw_token_hash = $2 RETURNING id, action_id, target_id, locale, status',
          [campaignId, hashWithdrawToken(token)])).rows[0]
        if (!gone) return null
        // Out of the count (a counted row is subtracted from every counter), and its words out of the row.
        const counted = await client.query<{ n: string | null }>(`
          WITH was AS (SELECT id, discounted, suspect FROM actions WHERE id = $2 FOR UPDATE),
          changed AS (
            UPDATE actions a SET discounted = true, text = '' FROM was WHERE a.id = was.id
            RETURNING ${BATCH_COLUMNS_OF_A}, a.tallied, was.discounted AS was_discounted, was.suspect AS was_suspect
          ),
          batch AS (SELECT * FROM changed WHERE tallied AND NOT was_discounted AND NOT was_suspect),
          ${AGGREGATE_SQL},
          upsert AS (
            INSERT INTO campaign_counts (campaign_id, dimension, key, count)
            SELECT $1, dimension, key, -n FROM agg WHERE n > 0
            ON CONFLICT (campaign_id, dimension, key) DO UPDATE SET count = campaign_counts.count + EXCLUDED.count
          )
          SELECT (SELECT n FROM agg WHERE dimension = 'total') AS n`, [campaignId, gone.action_id])
        // A dossier built but not sent yet held the message: built again at its send.
        await client.query(`UPDATE deliveries SET built_at = NULL, pdf = NULL, html = NULL, mail = NULL, message_count = NULL, action_count = NULL, updated_at = now()
          WHERE campaign_id = $1 AND target_id = $2 AND status = 'queued' AND built_at IS NOT NULL`, [campaignId, gone.target_id])
        await client.query(`INSERT INTO campaign_withdrawals (campaign_id, count) VALUES ($1, 1)
          ON CONFLICT (campaign_id) DO UPDATE SET count = campaign_withdrawals.count + 1, updated_at = now()`, [campaignId])
        return { id: Number(gone.id), targetId: gone.target_id, locale: gone.locale, onWall: gone.status === 'approved', recount: Number(counted.rows[0]?.n ?? 0) > 0 }
      })
      if (!done) return false
      // Committed already: a lost publish only means open pages catch up at their next load.
      if (done.onWall) {
        const event: BottleEvent = { campaignId, approved: [], updated: [], removed: [{ id: done.id, targetId: done.targetId, locale: done.locale }] }
        await redis.publish(channels.bottle, JSON.stringify(event)).catch(() => {})
      }
      if (done.recount) await recounted?.(campaignId).catch(() => {})
      return true
    },

    /** How many messages supporters withdrew from a campaign. */
    async count (campaignId: string): Promise<number> {
      const res = await pool.query<{ count: string }>('SELECT count FROM campaign_withdrawals WHERE campaign_id = $1', [campaignId])
      return Number(res.rows[0]?.count ?? 0)
    }
  }
}
