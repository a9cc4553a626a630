import type pg from 'pg'
import type { PostNetwork } from '../db/schema.ts'
import { RECHECK_TIERS } from '../domain/listening.ts'

/** Minutes between two re-checks of a status, by its age, as SQL (RECHECK_TIERS: numbers only, written once). */
const RECHECK_MINUTES = `CASE ${RECHECK_TIERS.map((t) => t.youngerThanHours === null
  ? `ELSE ${t.everyMinutes}`
  : `WHEN posted_at > now() - interval '${t.youngerThanHours} hours' THEN ${t.everyMinutes}`).join(' ')} END`

/** Which of a campaign's posts a page of the list shows. */
export interface PostFilter { network?: PostNetwork, targetId?: string, selected?: boolean, before?: number }

/** A matching post to store for one campaign. */
export interface NewPost {
  campaignId: string
  network: PostNetwork
  uri: string
  url: string
  authorHandle: string
  authorName: string
  text: string
  language: string | null
  postedAt: string
  matchedTags: string[]
  matchedTargets: string[]
  sourceInstance?: string | null
  sourceId?: string | null
}

/** A stored post as the team sees it: what was stored (without where a Mastodon copy came from), its id and selection. */
export type StoredPost = Omit<NewPost, 'sourceInstance' | 'sourceId'> & { id: number, selected: boolean }

/** Where a listening source stands, saved with the writes it covers. */
export interface CursorUpdate {
  source: string
  cursor?: string | null
  status?: string
  lastError?: string | null
  nextPollAt?: Date | null
  lastEventAt?: Date | null
}

export interface CursorRow { source: string, cursor: string | null, status: string, lastError: string | null, nextPollAt: Date | null, lastEventAt: Date | null, updatedAt: Date }

interface PostRow {
  id: string
  campaign_id: string
  network: PostNetwork
  uri: string
  url: string
  author_handle: string
  author_name: string
  text: string
  language: string | null
  posted_at: Date
  matched_tags: string[]
  matched_targets: string[]
  selected_at: Date | null
}

const POST_COLUMNS = 'id, campaign_id, network, uri, url, author_handle, author_name, text, language, posted_at, matched_tags, matched_targets, selected_at'

const toPost = (r: PostRow): StoredPost => ({
  id: Number(r.id),
  campaignId: r.campaign_id,
  network: r.network,
  uri: r.uri,
  url: r.url,
  authorHandle: r.author_handle,
  authorName: r.author_name,
  text: r.text,
  language: r.language,
  postedAt: r.posted_at.toISOString(),
  matchedTags: r.matched_tags,
  matchedTargets: r.matched_targets,
  selected: r.selected_at !== null
})

/** The hour bucket of a time, as the counters key it (2026-12-04T09:00Z). */
export const postHourKey = (iso: string | Date): string => new Date(iso).toISOString().slice(0, 13) + ':00Z'

/** The counter deltas of some posts: total, per network, per target, per hour (sign +1 on insert, -1 on delete). */
function deltas (rows: PostRow[], sign: 1 | -1): Array<{ campaign_id: string, dimension: string, key: string, n: number }> {
  const by = new Map<string, { campaign_id: string, dimension: string, key: string, n: number }>()
  const add = (campaignId: string, dimension: string, key: string) => {
    const k = `${campaignId}|${dimension}|${key}`
    const e = by.get(k)
    if (e) e.n += sign
    else by.set(k, { campaign_id: campaignId, dimension, key, n: sign })
  }
  for (const r of rows) {
    add(r.campaign_id, 'total', '')
    add(r.campaign_id, 'network', r.network)
    add(r.campaign_id, 'hour', postHourKey(r.posted_at))
    for (const t of r.matched_targets) {
      add(r.campaign_id, 'target', t)
      add(r.campaign_id, 'target-network', `${t}:${r.network}`)
    }
  }
  return [...by.values()]
}

export type NetworkPostRepo = ReturnType<typeof createNetworkPostRepo>

/** The listened posts, their counters (kept in the same transaction as the rows) and the sources' cursors. */
export function createNetworkPostRepo (pool: pg.Pool) {
  async function bump (client: pg.PoolClient, rows: PostRow[], sign: 1 | -1): Promise<void> {
    const d = deltas(rows, sign)
    if (d.length === 0) return
    await client.query(
      `INSERT INTO network_post_counts (campaign_id, dimension, key, count)
       SELECT campaign_id, dimension, key, n FROM json_to_recordset($1::json) AS x(campaign_id uuid, dimension text, key text, n bigint)
       ON CONFLICT (campaign_id, dimension, key) DO UPDATE SET count = network_post_counts.count + excluded.count`,
      [JSON.stringify(d)]
    )
  }

  async function saveCursor (client: Pick<pg.Pool, 'query'>, c: CursorUpdate): Promise<void> {
    await client.query(
      `INSERT INTO listening_cursors (source, cursor, status, last_error, next_poll_at, last_event_at, updated_at)
       VALUES ($1, $2, coalesce($3, 'ok'), $4, $5, $6, now())
       ON CONFLICT (source) DO UPDATE SET
         cursor = CASE WHEN $7 THEN excluded.cursor ELSE listening_cursors.cursor END,
         status = coalesce($3, listening_cursors.status),
         last_error = CASE WHEN $8 THEN excluded.last_error ELSE listening_cursors.last_error END,
         next_poll_at = CASE WHEN $9 THEN excluded.next_poll_at ELSE listening_cursors.next_poll_at END,
         last_event_at = coalesce($6, listening_cursors.last_event_at),
         updated_at = now()`,
      [c.source, c.cursor ?? null, c.status ?? null, c.lastError ?? null, c.nextPollAt ?? null, c.lastEventAt ?? null,
        c.cursor !== undefined, c.lastError !== undefined, c.nextPollAt !== undefined]
    )
  }

  return {
    /**
     * Stores new posts (a uri already stored for the campaign is skipped: replays and the same status seen through
     * several instances count once), removes deleted ones by uri, adjusts the counters and saves the cursor, all in one
     * transaction: the cursor never gets ahead of the writes it covers.
     */
    async applyBatch ({ inserts = [], deletes = [], cursor }: { inserts?: NewPost[], deletes?: string[], cursor?: CursorUpdate }): Promise<{ inserted: StoredPost[], deleted: StoredPost[] }> {
      const client = await pool.connect()
      try {
        await client.query('BEGIN')
        let inserted: PostRow[] = []
        let deleted: PostRow[] = []
        if (inserts.length) {
          const res = await client.query<PostRow>(
            `INSERT INTO network_posts (campaign_id, network, uri, url, author_handle, author_name, text, language, posted_at, matched_tags, matched_targets, source_instance, source_id, checked_at)
             SELECT campaign_id, network, uri, url, author_handle, author_name, text, language, posted_at, matched_tags, matched_targets, source_instance, source_id, now()
             FROM json_to_recordset($1::json) AS x(campaign_id uuid, network post_network, uri text, url text, author_handle text, author_name text, text text,
               language text, posted_at timestamptz, matched_tags text[], matched_targets uuid[], source_instance text, source_id text)
             ON CONFLICT (campaign_id, uri) DO NOTHING
             RETURNING ${POST_COLUMNS}`,
            [JSON.stringify(inserts.map((p) => ({
              campaign_id: p.campaignId,
              network: p.network,
              uri: p.uri,
              url: p.url,
              author_handle: p.authorHandle,
              author_name: p.authorName,
              text: p.text,
              language: p.language,
              posted_at: p.postedAt,
              matched_tags: p.matchedTags,
              matched_targets: p.matchedTargets,
              source_instance: p.sourceInstance ?? null,
              source_id: p.sourceId ?? null
            })))]
          )
          inserted = res.rows
          await bump(client, inserted, 1)
        }
        if (deletes.length) {
          const res = await client.query<PostRow>(`DELETE FROM network_posts WHERE uri = ANY($1::text[]) RETURNING ${POST_COLUMNS}`, [deletes])
          deleted = res.rows
          await bump(client, deleted, -1)
        }
        if (cursor) await saveCursor(client, cursor)
        await client.query('COMMIT')
        return { inserted: inserted.map(toPost), deleted: deleted.map(toPost) }
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {})
        throw err
      } finally {
        client.release()
      }
    },

    /** A status's new text after an edit (Mastodon), everywhere it is stored. */
    async updateText (uri: string, text: string, language: string | null): Promise<string[]> {
      const res = await pool.query<{ campaign_id: string }>('UPDATE network_posts SET text = $2, language = $3, checked_at = now() WHERE uri = $1 RETURNING campaign_id', [uri, text, language])
      return res.rows.map((r) => r.campaign_id)
    },

    /** Marks posts as re-checked now. */
    async markChecked (uris: string[]): Promise<void> {
      if (uris.length) await pool.query('UPDATE network_posts SET checked_at = now() WHERE uri = ANY($1::text[])', [uris])
    },

    /**
     * The Mastodon statuses due to be asked for again (RECHECK_TIERS: the younger, the more often), the most overdue
     * first, at most `perInstance` for each instance they were seen through.
     */
    async dueForRecheck (perInstance: number): Promise<Array<{ uri: string, sourceInstance: string, sourceId: string }>> {
      const res = await pool.query<{ uri: string, source_instance: string, source_id: string }>({
        name: 'network-posts-due-recheck',
        text: `WITH due AS (
                 SELECT DISTINCT ON (uri) uri, source_instance, source_id,
                        COALESCE(checked_at, '-infinity'::timestamptz) + make_interval(mins => ${RECHECK_MINUTES}) AS due_at
                 FROM network_posts
                 WHERE network = 'mastodon' AND source_instance IS NOT NULL AND source_id IS NOT NULL
                 ORDER BY uri, checked_at NULLS FIRST
               ), ranked AS (
                 SELECT uri, source_instance, source_id, row_number() OVER (PARTITION BY source_instance ORDER BY due_at, uri) AS n
                 FROM due WHERE due_at <= now()
               )
               SELECT uri, source_instance, source_id FROM ranked WHERE n <= $1 ORDER BY source_instance, n`,
        values: [perInstance]
      })
      return res.rows.map((r) => ({ uri: r.uri, sourceInstance: r.source_instance, sourceId: r.source_id }))
    },

    /** Every stored Bluesky uri (deletions on the firehose are looked up here, in memory, before any write). */
    async blueskyUris (): Promise<string[]> {
      const res = await pool.query<{ uri: string }>("SELECT DISTINCT uri FROM network_posts WHERE network = 'bluesky'")
      return res.rows.map((r) => r.uri)
    },

    /** The campaign's latest posts, newest first. */
    async feed (campaignId: string, limit = 20): Promise<StoredPost[]> {
      const res = await pool.query<PostRow>({ name: 'network-posts-feed', text: `SELECT ${POST_COLUMNS} FROM network_posts WHERE campaign_id = $1 ORDER BY posted_at DESC, id DESC LIMIT $2`, values: [campaignId, limit] })
      return res.rows.map(toPost)
    },

    /**
     * A page of the campaign's posts, newest first, filtered by network, by a target they are addressed to and to the
     * selected ones; `before` is the id of the last post of the page before (keyset on the time posted, then the id).
     */
    async list (campaignId: string, f: PostFilter, limit: number): Promise<StoredPost[]> {
      const res = await pool.query<PostRow>({
        name: 'network-posts-list',
        text: `SELECT ${POST_COLUMNS} FROM network_posts
               WHERE campaign_id = $1 AND ($2::post_network IS NULL OR network = $2) AND ($3::uuid IS NULL OR $3 = ANY(matched_targets))
                 AND (NOT $4 OR selected_at IS NOT NULL)
                 AND ($5::bigint IS NULL OR (posted_at, id) < (SELECT b.posted_at, b.id FROM network_posts b WHERE b.id = $5 AND b.campaign_id = $1))
               ORDER BY posted_at DESC, id DESC LIMIT $6`,
        values: [campaignId, f.network ?? null, f.targetId ?? null, f.selected ?? false, f.before ?? null, limit]
      })
      return res.rows.map(toPost)
    },

    /** How many posts of the campaign an editor kept for the dossier. */
    async selectedCount (campaignId: string): Promise<number> {
      const res = await pool.query<{ n: string }>('SELECT count(*) AS n FROM network_posts WHERE campaign_id = $1 AND selected_at IS NOT NULL', [campaignId])
      return Number(res.rows[0]?.n ?? 0)
    },

    /** The posts an editor kept for the dossier, oldest first. */
    async selected (campaignId: string): Promise<StoredPost[]> {
      const res = await pool.query<PostRow>(`SELECT ${POST_COLUMNS} FROM network_posts WHERE campaign_id = $1 AND selected_at IS NOT NULL ORDER BY posted_at, id`, [campaignId])
      return res.rows.map(toPost)
    },

    /** Puts a post in (or takes it out of) the bottle's selection; false when the campaign has no such post. */
    async select (campaignId: string, postId: number, userId: string | null, on: boolean): Promise<boolean> {
      const res = await pool.query(
        'UPDATE network_posts SET selected_at = CASE WHEN $3 THEN coalesce(selected_at, now()) END, selected_by = CASE WHEN $3 THEN $4::uuid END WHERE campaign_id = $1 AND id = $2',
        [campaignId, postId, on, userId]
      )
      return (res.rowCount ?? 0) > 0
    },

    /** The campaign's counters: { 'total|': n, 'network|bluesky': n, 'target|<id>': n, 'hour|…': n }. */
    async counts (campaignId: string): Promise<Map<string, number>> {
      const res = await pool.query<{ dimension: string, key: string, count: string }>({ name: 'network-post-counts', text: 'SELECT dimension, key, count FROM network_post_counts WHERE campaign_id = $1', values: [campaignId] })
      return new Map(res.rows.map((r) => [`${r.dimension}|${r.key}`, Number(r.count)]))
    },

    /** Rebuilds a campaign's counters from its rows (they are derived data). */
    async rebuildCounts (campaignId: string): Promise<void> {
      const client = await pool.connect()
      try {
        await client.query('BEGIN')
        await client.query('DELETE FROM network_post_counts WHERE campaign_id = $1', [campaignId])
        const res = await client.query<PostRow>(`SELECT ${POST_COLUMNS} FROM network_posts WHERE campaign_id = $1`, [campaignId])
        await bump(client, res.rows, 1)
        await client.query('COMMIT')
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {})
        throw err
      } finally {
        client.release()
      }
    },

    /** Deletes the posts (and counters) of campaigns closed more than `days` days ago; returns how many posts. */
    async deleteExpired (days: number): Promise<number> {
      const client = await pool.connect()
      try {
        await client.query('BEGIN')
        const expired = 'SELECT id FROM campaigns WHERE status = \'closed\' AND coalesce(closes_at, updated_at) < now() - make_interval(days => $1)'
        const res = await client.query(`DELETE FROM network_posts WHERE campaign_id IN (${expired})`, [days])
        await client.query(`DELETE FROM network_post_counts WHERE campaign_id IN (${expired})`, [days])
        await client.query('COMMIT')
        return res.rowCount ?? 0
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {})
        throw err
      } finally {
        client.release()
      }
    },

    saveCursor: (c: CursorUpdate) => saveCursor(pool, c),

    /** A campaign's listening settings, or null when there is no such campaign. */
    async settings (campaignId: string): Promise<{ instances: string[] } | null> {
      const res = await pool.query<{ listening_instances: string[] }>('SELECT listening_instances FROM campaigns WHERE id = $1', [campaignId])
      const r = res.rows[0]
      return r ? { instances: r.listening_instances } : null
    },

    /** Saves a campaign's listening settings; false when there is no such campaign. */
    async saveSettings (campaignId: string, s: { instances: string[] }): Promise<boolean> {
      const res = await pool.query('UPDATE campaigns SET listening_instances = $2, updated_at = now() WHERE id = $1', [campaignId, s.instances])
      return (res.rowCount ?? 0) > 0
    },

    /** The cursor row of one source, or null. */
    async cursor (source: string): Promise<CursorRow | null> {
      return (await this.cursors(source))[0] ?? null
    },

    /** Every source whose name starts with `prefix`, by name. */
    async cursors (prefix = ''): Promise<CursorRow[]> {
      const res = await pool.query<{ source: string, cursor: string | null, status: string, last_error: string | null, next_poll_at: Date | null, last_event_at: Date | null, updated_at: Date }>(
        'SELECT source, cursor, status, last_error, next_poll_at, last_event_at, updated_at FROM listening_cursors WHERE starts_with(source, $1) ORDER BY source', [prefix])
      return res.rows.map((r) => ({ source: r.source, cursor: r.cursor, status: r.status, lastError: r.last_error, nextPollAt: r.next_poll_at, lastEventAt: r.last_event_at, updatedAt: r.updated_at }))
    },

    /**
     * Claims a polling source for `leaseMs` if it is due (its next poll time has come), creating its row on first use:
     * several workers never poll the same instance and tag at once. Returns its cursor row, or null when not due.
     */
    async claimSource (source: string, leaseMs: number): Promise<{ cursor: string | null, status: string } | null> {
      await pool.query('INSERT INTO listening_cursors (source) VALUES ($1) ON CONFLICT (source) DO NOTHING', [source])
      const res = await pool.query<{ cursor: string | null, status: string }>(
        `UPDATE listening_cursors SET next_poll_at = now() + make_interval(secs => $2::double precision / 1000)
         WHERE source = $1 AND (next_poll_at IS NULL OR next_poll_at <= now()) RETURNING cursor, status`,
        [source, leaseMs]
      )
      return res.rows[0] ?? null
    }
  }
}
