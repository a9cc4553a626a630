import type { Redis } from 'ioredis'
import type pg from 'pg'
import type { RetentionSettings } from '../config.ts'
import { inTransaction } from '../db/client.ts'
import { NOTHING_REMOVED, removedAnything, retentionCutoffs, type RemovedCounts } from '../domain/privacy-rules.ts'
import { LOCK_SQL } from '../repos/action-repo.ts'
import type { AuditService } from './audit-service.ts'
import type { SessionUser } from './auth-service.ts'
import type { BottleEvent, RemovedItem } from './bottle-hub.ts'
import type { Channels } from './bus.ts'

type Client = pg.PoolClient
type PerCampaign = Map<string, RemovedCounts>

/** Action texts blanked per statement: a daily run over a big table is many short transactions, not one long one. */
const TEXT_BATCH = 10_000

/** One kind of personal data a campaign's purge removes: returns how much. */
type PurgeStep = (client: Client, campaignId: string) => Promise<{ counts: Partial<RemovedCounts>, offWall?: RemovedItem[] }>

/**
 * What a purge removes, kind by kind. Counts (campaign_counts, post answers, milestones, delivery logs) are not
 * personal and stay. A new kind of personal data (public posts…) adds its step here, and the test of the purge
 * asserts it is gone.
 */
const PURGE_STEPS: PurgeStep[] = [
  // The bottle's messages, signatures with them; their actions stay, so every count stays exact.
  async (client, campaignId) => {
    const res = await client.query<{ id: string, target_id: string, locale: string, status: string }>(
      'DELETE FROM bottle_messages WHERE campaign_id = $1 RETURNING id, target_id, locale, status', [campaignId])
    const offWall = res.rows.filter((r) => r.status === 'approved').map((r) => ({ id: Number(r.id), targetId: r.target_id, locale: r.locale }))
    return { counts: { messages: res.rowCount ?? 0 }, offWall }
  },
  // Every action's text (free texts and the bottle's copies); target, channel, variant and time stay for the counts.
  async (client, campaignId) => {
    const res = await client.query("UPDATE actions SET text = '' WHERE campaign_id = $1 AND text <> ''", [campaignId])
    return { counts: { texts: res.rowCount ?? 0 } }
  },
  // The dossiers' files (PDF, HTML, e-mail): the delivery log and its counts stay.
  async (client, campaignId) => {
    const res = await client.query(`UPDATE deliveries SET pdf = NULL, html = NULL, mail = NULL, updated_at = now()
      WHERE campaign_id = $1 AND (pdf IS NOT NULL OR html IS NOT NULL OR mail IS NOT NULL)`, [campaignId])
    return { counts: { dossiers: res.rowCount ?? 0 } }
  }
]

export type RetentionService = ReturnType<typeof createRetentionService>

/** Retention enforced (the daily job) and a closed campaign's personal data purged at once (an owner's button). */
export function createRetentionService ({ pool, audit, settings, redis, channels }: {
  pool: pg.Pool
  audit: Pick<AuditService, 'record'>
  settings: RetentionSettings
  redis: Pick<Redis, 'publish'>
  channels: Channels
}) {
  function add (into: PerCampaign, rows: Array<{ campaign_id: string, n: string }>, field: keyof RemovedCounts): void {
    for (const r of rows) {
      const counts = into.get(r.campaign_id) ?? { ...NOTHING_REMOVED }
      counts[field] += Number(r.n)
      into.set(r.campaign_id, counts)
    }
  }

  async function offWall (campaignId: string, removed: RemovedItem[]): Promise<void> {
    // Open walls drop them live; in slices, so one pub/sub message stays small.
    for (let i = 0; i < removed.length; i += 1000) {
      const event: BottleEvent = { campaignId, approved: [], updated: [], removed: removed.slice(i, i + 1000) }
      await redis.publish(channels.bottle, JSON.stringify(event)).catch(() => {})
    }
  }

  return {
    /**
     * Applies every retention rule once, as of `now`; idempotent (what is gone stays gone, a second run removes
     * nothing). Writes one audit entry per campaign it removed something from (a system actor, counts only).
     */
    async apply (now = new Date()): Promise<PerCampaign> {
      const cut = retentionCutoffs(settings, now)
      const removed: PerCampaign = new Map()
      await inTransaction(pool, async (client) => {
        // Not selected for a dossier (never approved), their campaign closed long enough: the message, and its words in the action.
        const res = await client.query<{ kind: 'messages' | 'texts', campaign_id: string, n: string }>(`
          WITH gone AS (
            DELETE FROM bottle_messages b USING campaigns c
            WHERE c.id = b.campaign_id AND c.status = 'closed' AND c.closes_at < $1 AND b.status <> 'approved'
            RETURNING b.campaign_id, b.action_id
          ), blanked AS (
            UPDATE actions a SET text = '' FROM gone WHERE a.id = gone.action_id AND a.text <> '' RETURNING a.campaign_id
          )
          SELECT 'messages' AS kind, campaign_id, count(*) AS n FROM gone GROUP BY campaign_id
          UNION ALL SELECT 'texts', campaign_id, count(*) FROM blanked GROUP BY campaign_id`, [cut.closedBefore])
        add(removed, res.rows.filter((r) => r.kind === 'messages'), 'messages')
        add(removed, res.rows.filter((r) => r.kind === 'texts'), 'texts')

        // Signatures of delivered messages, after the delivery (longer when the campaign keeps its dossiers as
        // proof); and, whatever happened, once the campaign has been closed for the proof period.
        const signatures = await client.query<{ campaign_id: string, n: string }>(`
          WITH cleared AS (
            UPDATE bottle_messages b SET signature_name = NULL, signature_town = NULL
            FROM campaigns c
            WHERE c.id = b.campaign_id AND (b.signature_name IS NOT NULL OR b.signature_town IS NOT NULL) AND (
              EXISTS (SELECT 1 FROM deliveries d WHERE d.campaign_id = b.campaign_id AND d.target_id = b.target_id AND d.status = 'sent'
                AND d.sent_at >= b.created_at AND d.sent_at < CASE WHEN c.keep_dossiers_as_proof THEN $2::timestamptz ELSE $1::timestamptz END)
              OR (c.status = 'closed' AND c.closes_at < $2))
            RETURNING b.campaign_id
          )
          SELECT campaign_id, count(*) AS n FROM cleared GROUP BY campaign_id`, [cut.deliveredBefore, cut.proofDeliveredBefore])
        add(removed, signatures.rows, 'signatures')

        // The dossiers' files hold the signatures too: deleted on the same schedule (failed ones once the campaign is long closed).
        const dossiers = await client.query<{ campaign_id: string, n: string }>(`
          WITH cleared AS (
            UPDATE deliveries d SET pdf = NULL, html = NULL, mail = NULL, updated_at = now()
            FROM campaigns c
            WHERE c.id = d.campaign_id AND (d.pdf IS NOT NULL OR d.html IS NOT NULL OR d.mail IS NOT NULL) AND (
              (d.status = 'sent' AND d.sent_at < CASE WHEN c.keep_dossiers_as_proof THEN $2::timestamptz ELSE $1::timestamptz END)
              OR (d.status = 'failed' AND c.status = 'closed' AND c.closes_at < $3))
            RETURNING d.campaign_id
          )
          SELECT campaign_id, count(*) AS n FROM cleared GROUP BY campaign_id`, [cut.deliveredBefore, cut.proofDeliveredBefore, cut.closedBefore])
        add(removed, dossiers.rows, 'dossiers')
      })

      // Supporters' texts on network sends: the row, its variant and its counts stay.
      for (;;) {
        const res = await pool.query<{ campaign_id: string, n: string }>(`
          WITH blanked AS (
            UPDATE actions SET text = '' WHERE id IN (
              SELECT id FROM actions WHERE channel <> 'bottle' AND text <> '' AND created_at < $1 LIMIT ${TEXT_BATCH})
            RETURNING campaign_id
          )
          SELECT campaign_id, count(*) AS n FROM blanked GROUP BY campaign_id`, [cut.sentBefore])
        add(removed, res.rows, 'texts')
        if (res.rows.reduce((sum, r) => sum + Number(r.n), 0) < TEXT_BATCH) break
      }

      // The slug names the campaign in the audit log's sentence.
      const slugs = new Map((await pool.query<{ id: string, slug: string }>('SELECT id, slug FROM campaigns WHERE id = ANY($1)', [[...removed.keys()]])).rows.map((r) => [r.id, r.slug]))
      for (const [campaignId, counts] of removed) {
        if (!removedAnything(counts)) continue
        await audit.record(null, { action: 'retention', entity: 'campaign', entityId: campaignId, campaignId, after: { slug: slugs.get(campaignId) ?? null, removed: counts, settings } })
      }
      return removed
    },

    /** Removes a closed campaign's personal data at once; counts stay exact. Audited with what it removed (counts). */
    async purge (user: Pick<SessionUser, 'id' | 'email'>, campaignId: string): Promise<RemovedCounts | 'notClosed'> {
      const result = await inTransaction(pool, async (client) => {
        const campaign = (await client.query<{ status: string, slug: string }>('SELECT status, slug FROM campaigns WHERE id = $1 FOR UPDATE', [campaignId])).rows[0]
        if (campaign?.status !== 'closed') return 'notClosed' as const
        // The tally's lock: nothing is counted while the campaign's rows change.
        await client.query(LOCK_SQL, [campaignId])
        const counts: RemovedCounts = { ...NOTHING_REMOVED }
        const wall: RemovedItem[] = []
        for (const step of PURGE_STEPS) {
          const done = await step(client, campaignId)
          for (const [k, v] of Object.entries(done.counts) as Array<[keyof RemovedCounts, number]>) counts[k] += v
          wall.push(...done.offWall ?? [])
        }
        await client.query('UPDATE campaigns SET purged_at = now(), updated_at = now() WHERE id = $1', [campaignId])
        await client.query(`INSERT INTO audit_log (user_id, user_email, action, entity, entity_id, campaign_id, after)
          VALUES ($1, $2, 'purge', 'campaign', $3::text, $3::uuid, $4)`, [user.id, user.email, campaignId, JSON.stringify({ slug: campaign.slug, removed: counts })])
        return { counts, wall }
      })
      if (result === 'notClosed') return result
      await offWall(campaignId, result.wall)
      return result.counts
    }
  }
}
