import { and, desc, eq, inArray, lt, sql, type SQL } from 'drizzle-orm'
import type pg from 'pg'
import { inTransaction, type Db } from '../db/client.ts'
import { actions, bottleMessages, targets, users, type BottleStatus, type Channel } from '../db/schema.ts'
import { fingerprint, holdReasons, type HoldReason } from '../domain/bottle-rules.ts'
import { AGGREGATE_SQL, BATCH_COLUMNS_OF_A, insertAction, type NewAction, type RecordedAction } from './action-repo.ts'

/** What a bottle message adds to its action: the text as it goes in the bottle and the signature given with consent. */
export interface NewBottleMessage {
  text: string
  signatureName: string | null
  signatureTown: string | null
  publishConsent: boolean
  consentVersion: string | null
  /** the hash of the supporter's withdrawal token (the token is shown to them once, never stored) */
  withdrawTokenHash?: string | null
}

export interface RecordedBottle {
  /** the network send recorded with it (a copy to the bottle), if any */
  primary: RecordedAction | null
  /** the action with channel bottle that counts the message */
  action: RecordedAction
  messageId: number
  status: BottleStatus
  holdReasons: HoldReason[]
  /** true when this call created the message (a repeat of the key returns the first one) */
  created: boolean
}

/** A message as the public wall shows it: the signature only when the supporter agreed to publish it. */
export interface WallItem {
  id: number
  text: string
  locale: string
  targetId: string
  targetName: string
  signatureName: string | null
  signatureTown: string | null
  featured: boolean
  createdAt: Date
}

/** A message as the moderation queue shows it. */
export interface QueueItem extends WallItem {
  status: BottleStatus
  holdReasons: string[]
  publishConsent: boolean
  consentVersion: string | null
  /** the channel of the send it was copied from, or bottle */
  sentOn: Channel | null
  reviewedByEmail: string | null
  reviewedAt: Date | null
}

export interface BottleFilter { targetId?: string, locale?: string, status?: BottleStatus | readonly BottleStatus[], featured?: boolean, before?: number }

export type ModerationOp = 'approve' | 'reject' | 'feature' | 'unfeature'

/** One message whose state a moderation changed: before and after, for the audit log and the live wall. */
export interface Moderated { id: number, targetId: string, targetName: string, text: string, locale: string, before: { status: BottleStatus, featured: boolean }, after: { status: BottleStatus, featured: boolean } }

export type BottleRepo = ReturnType<typeof createBottleRepo>

const wallColumns = {
  id: bottleMessages.id,
  text: bottleMessages.text,
  locale: bottleMessages.locale,
  targetId: bottleMessages.targetId,
  targetName: targets.name,
  // Never read a signature without its consent: the wall and the queue's public preview share these columns.
  signatureName: sql<string | null>`CASE WHEN ${bottleMessages.publishConsent} THEN ${bottleMessages.signatureName} END`,
  signatureTown: sql<string | null>`CASE WHEN ${bottleMessages.publishConsent} THEN ${bottleMessages.signatureTown} END`,
  featured: bottleMessages.featured,
  createdAt: bottleMessages.createdAt
}

/**
 * A rejected message counts nowhere: its action is marked discounted and, once tallied, taken out of every counter;
 * approving it again puts it back. Rows the tally has not reached yet are left to it (it skips discounted rows), and
 * a suspect row (a window the team marked) is out of the counters already: its status changes nothing there.
 */
async function recount (tx: Pick<Db, 'execute'>, campaignId: string, idList: SQL, sign: 1 | -1): Promise<void> {
  await tx.execute(sql`
    WITH changed AS (
      UPDATE actions a SET discounted = (b.status = 'rejected')
      FROM bottle_messages b
      WHERE b.campaign_id = ${campaignId} AND b.id IN (${idList}) AND a.id = b.action_id AND a.discounted <> (b.status = 'rejected')
      RETURNING ${sql.raw(BATCH_COLUMNS_OF_A)}, a.tallied, a.suspect
    ),
    batch AS (SELECT * FROM changed WHERE tallied AND NOT suspect),
    ${sql.raw(AGGREGATE_SQL)}
    INSERT INTO campaign_counts (campaign_id, dimension, key, count)
    SELECT ${campaignId}, dimension, key, n * ${sign} FROM agg WHERE n > 0
    ON CONFLICT (campaign_id, dimension, key) DO UPDATE SET count = campaign_counts.count + EXCLUDED.count`)
}

/** The bottle's messages: recorded with their action in one transaction, moderated, and read for the wall. */
export function createBottleRepo (pool: pg.Pool, db: Db) {
  function where (campaignId: string, f: BottleFilter): SQL | undefined {
    return and(
      eq(bottleMessages.campaignId, campaignId),
      typeof f.status === 'string' ? eq(bottleMessages.status, f.status) : f.status ? inArray(bottleMessages.status, [...f.status]) : undefined,
      f.featured ? eq(bottleMessages.featured, true) : undefined,
      f.targetId ? eq(bottleMessages.targetId, f.targetId) : undefined,
      f.locale ? eq(bottleMessages.locale, f.locale) : undefined,
      f.before ? lt(bottleMessages.id, f.before) : undefined
    )
  }

  return {
    /**
     * Records a bottle message with the action that counts it (and the network send it copies, if any) in one
     * transaction. The automatic holds run here, against the campaign's messages so far; a repeat of the same
     * key returns the first recording and adds nothing.
     */
    async record (args: { primary: NewAction | null, action: NewAction, message: NewBottleMessage, blockedWords: readonly string[] }): Promise<RecordedBottle> {
      return inTransaction(pool, async (client): Promise<RecordedBottle> => {
        const primary = args.primary ? await insertAction(client, args.primary) : null
        const action = await insertAction(client, args.action)
        if (!action.created) {
          const existing = (await client.query<{ id: string, status: BottleStatus, hold_reasons: HoldReason[] }>(
            'SELECT id, status, hold_reasons FROM bottle_messages WHERE action_id = $1', [action.id])).rows[0]
          if (!existing) throw new Error('bottle action without its message')
          return { primary, action, messageId: Number(existing.id), status: existing.status, holdReasons: existing.hold_reasons, created: false }
        }
        const m = args.message
        const fp = fingerprint(m.text)
        const same = (await client.query<{ n: string }>(
          'SELECT count(*) AS n FROM bottle_messages WHERE campaign_id = $1 AND fingerprint = $2', [args.action.campaignId, fp])).rows[0]
        const signature = [m.signatureName, m.signatureTown].filter(Boolean).join(' ')
        const reasons = holdReasons({ text: m.text, signature, blockedWords: args.blockedWords, sameFingerprint: Number(same?.n ?? 0) })
        const status: BottleStatus = reasons.length ? 'held' : 'pending'
        const inserted = await client.query<{ id: string }>(
          `INSERT INTO bottle_messages (action_id, campaign_id, target_id, locale, text, signature_name, signature_town, publish_consent, consent_version, status, hold_reasons, fingerprint, withdraw_token_hash)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`,
          [action.id, args.action.campaignId, args.action.targetId, args.action.locale, m.text, m.signatureName, m.signatureTown, m.publishConsent, m.consentVersion, status, reasons, fp, m.withdrawTokenHash ?? null])
        return { primary, action, messageId: Number(inserted.rows[0]!.id), status, holdReasons: reasons, created: true }
      })
    },

    /** Approved messages for the wall, newest first, limit + 1 read so the caller knows whether there are older ones. */
    async wall (campaignId: string, f: Omit<BottleFilter, 'status' | 'featured'>, limit: number): Promise<WallItem[]> {
      return db.select(wallColumns).from(bottleMessages)
        .innerJoin(targets, eq(targets.id, bottleMessages.targetId))
        .where(where(campaignId, { ...f, status: 'approved' }))
        .orderBy(desc(bottleMessages.id)).limit(limit + 1)
    },

    /** The team's picks among approved messages (featured), newest first: pinned above the wall's first page. */
    async wallFeatured (campaignId: string, f: Omit<BottleFilter, 'status' | 'featured' | 'before'>, limit: number): Promise<WallItem[]> {
      return db.select(wallColumns).from(bottleMessages)
        .innerJoin(targets, eq(targets.id, bottleMessages.targetId))
        .where(where(campaignId, { ...f, status: 'approved', featured: true }))
        .orderBy(desc(bottleMessages.id)).limit(limit)
    },

    /** How many approved messages match the wall's filters. */
    async wallCount (campaignId: string, f: Omit<BottleFilter, 'status' | 'featured' | 'before'>): Promise<number> {
      const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(bottleMessages).where(where(campaignId, { ...f, status: 'approved' }))
      return row?.n ?? 0
    },

    /** Some messages as the wall would show them, only those approved. */
    async wallItems (campaignId: string, ids: readonly number[]): Promise<WallItem[]> {
      if (ids.length === 0) return []
      return db.select(wallColumns).from(bottleMessages)
        .innerJoin(targets, eq(targets.id, bottleMessages.targetId))
        .where(and(eq(bottleMessages.campaignId, campaignId), eq(bottleMessages.status, 'approved'), inArray(bottleMessages.id, [...ids])))
    },

    /** The moderation queue, newest first, limit + 1 read. */
    async queue (campaignId: string, f: BottleFilter, limit: number): Promise<QueueItem[]> {
      return db.select({
        ...wallColumns,
        // The team sees what the supporter typed even without consent (to judge it); the view says it stays private.
        signatureName: bottleMessages.signatureName,
        signatureTown: bottleMessages.signatureTown,
        status: bottleMessages.status,
        holdReasons: bottleMessages.holdReasons,
        publishConsent: bottleMessages.publishConsent,
        consentVersion: bottleMessages.consentVersion,
        sentOn: sql<Channel | null>`(SELECT p.channel FROM ${actions} p JOIN ${actions} a ON a.id = ${bottleMessages.actionId}
          WHERE p.campaign_id = a.campaign_id AND p.key = a.key AND p.target_id = a.target_id AND p.channel <> 'bottle' LIMIT 1)`,
        reviewedByEmail: users.email,
        reviewedAt: bottleMessages.reviewedAt
      }).from(bottleMessages)
        .innerJoin(targets, eq(targets.id, bottleMessages.targetId))
        .leftJoin(users, eq(users.id, bottleMessages.reviewedBy))
        .where(where(campaignId, f))
        .orderBy(desc(bottleMessages.id)).limit(limit + 1)
    },

    /** Messages per status (held, pending, approved, rejected) and featured, within the target and language filters. */
    async counts (campaignId: string, f: Omit<BottleFilter, 'status' | 'featured' | 'before'>): Promise<Record<BottleStatus | 'featured' | 'all', number>> {
      const rows = await db.select({ status: bottleMessages.status, n: sql<number>`count(*)::int`, featured: sql<number>`count(*) FILTER (WHERE ${bottleMessages.featured})::int` })
        .from(bottleMessages).where(where(campaignId, f)).groupBy(bottleMessages.status)
      const out = { pending: 0, held: 0, approved: 0, rejected: 0, featured: 0, all: 0 }
      for (const r of rows) {
        out[r.status] = r.n
        out.featured += r.featured
        out.all += r.n
      }
      return out
    },

    /** The languages the campaign's bottle messages are in. */
    async locales (campaignId: string): Promise<string[]> {
      const rows = await db.selectDistinct({ locale: bottleMessages.locale }).from(bottleMessages).where(eq(bottleMessages.campaignId, campaignId))
      return rows.map((r) => r.locale).sort()
    },

    /**
     * Applies one moderation to messages of a campaign (others' ids are ignored) and returns those it changed.
     * Featuring approves; rejecting unfeatures; unfeaturing leaves the status alone. Runs in the caller's transaction.
     */
    async moderate (tx: Pick<Db, 'execute'>, campaignId: string, ids: readonly number[], op: ModerationOp, userId: string): Promise<Moderated[]> {
      if (ids.length === 0) return []
      // Only the rows the operation changes are touched, so a repeat leaves the reviewer and time of the first.
      const changes = {
        approve: sql`status <> 'approved'`,
        reject: sql`status <> 'rejected'`,
        feature: sql`NOT (status = 'approved' AND featured)`,
        unfeature: sql`featured`
      }[op]
      const set = {
        approve: sql`status = 'approved'`,
        reject: sql`status = 'rejected', featured = false`,
        feature: sql`status = 'approved', featured = true`,
        unfeature: sql`featured = false`
      }[op]
      const idList = sql.join(ids.map((id) => sql`${id}`), sql`, `)
      // The tally's lock: a rejection takes its action out of the counters, and the tally must not count it meanwhile.
      await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtextextended('tally:' || ${campaignId}::text, 0))`)
      const res = await tx.execute<{ id: string, target_id: string, target_name: string, text: string, locale: string, was_status: BottleStatus, was_featured: boolean, status: BottleStatus, featured: boolean }>(sql`
        WITH before AS (
          SELECT id, target_id, locale, text, status, featured FROM bottle_messages WHERE campaign_id = ${campaignId} AND id IN (${idList}) AND ${changes} FOR UPDATE
        ), upd AS (
          UPDATE bottle_messages b SET ${set}, reviewed_by = ${userId}, reviewed_at = now()
          FROM before WHERE b.id = before.id
          RETURNING b.id, b.status, b.featured
        )
        SELECT before.id, before.target_id, (SELECT name FROM targets WHERE id = before.target_id) AS target_name, before.text, before.locale, before.status AS was_status, before.featured AS was_featured, upd.status, upd.featured
        FROM before JOIN upd ON upd.id = before.id ORDER BY before.id`)
      await recount(tx, campaignId, idList, op === 'reject' ? -1 : 1)
      return res.rows.map((r) => ({ id: Number(r.id), targetId: r.target_id, targetName: r.target_name, text: r.text, locale: r.locale, before: { status: r.was_status, featured: r.was_featured }, after: { status: r.status, featured: r.featured } }))
    }
  }
}
