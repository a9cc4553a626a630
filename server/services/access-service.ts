import { asc, eq, inArray, sql } from 'drizzle-orm'
import type { Db } from '../db/client.ts'
import { campaignGrants, campaigns, users } from '../db/schema.ts'
import type { CampaignScope } from '../domain/access-rules.ts'
import type { Redis } from 'ioredis'
import type { AuditService } from './audit-service.ts'
import type { SessionUser } from './auth-service.ts'
import type { Bus, Channels } from './bus.ts'

export type AccessService = ReturnType<typeof createAccessService>
type Tx = Parameters<Parameters<Db['transaction']>[0]>[0]
type Actor = Pick<SessionUser, 'id' | 'email'>

/** What a member may reach: everything, or chosen campaigns only. */
export interface Grants { allCampaigns: boolean, campaignIds: string[] }

/** The addresses (slugs) of these campaigns, sorted: what the audit log records, since a person reads "paris-velo", not a UUID. */
export async function campaignSlugs (exec: Pick<Db, 'select'>, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return []
  const rows = await exec.select({ slug: campaigns.slug }).from(campaigns).where(inArray(campaigns.id, [...ids])).orderBy(asc(campaigns.slug))
  return rows.map((r) => r.slug)
}

/**
 * Per-campaign access (coalitions): who may see which campaign, and the owner's changes to it, audited. With `live`
 * (the web process), a change is announced on Redis and every process ends the open streams it no longer allows.
 */
export function createAccessService ({ db, audit, live }: { db: Db, audit: AuditService, live?: { redis: Redis, bus: Bus, channels: Channels } }) {
  // The open admin streams of this process: who reads which campaign, and how to end it.
  const watched = new Set<{ userId: string, campaignId: string, end: () => void }>()
  let listening: Promise<void> | null = null

  async function recheck (userId?: string): Promise<void> {
    const scopes = new Map<string, CampaignScope>()
    for (const w of [...watched]) {
      if (userId && w.userId !== userId) continue
      if (!scopes.has(w.userId)) scopes.set(w.userId, await scopeIn(db, w.userId))
      const scope = scopes.get(w.userId)
      if (scope !== null && !scope?.has(w.campaignId)) {
        watched.delete(w)
        w.end()
      }
    }
  }

  function listen (): Promise<void> {
    if (!live) return Promise.resolve()
    listening ??= live.bus.on(live.channels.access, (m) => {
      const userId = (m as { userId?: unknown } | null)?.userId
      if (typeof userId === 'string') recheck(userId).catch(() => {})
    }).then(() => {
      // Announcements may have been missed while Redis was away: check every open stream again.
      live.bus.onReconnect(() => { recheck().catch(() => {}) })
    })
    return listening
  }
  // Listening from the start: an announcement made before the first stream opened has nothing to end anyway.
  listen().catch(() => {})
  async function scopeIn (exec: Pick<Db, 'select'>, userId: string): Promise<CampaignScope> {
    const rows = await exec.select({ all: users.allCampaigns, campaignId: campaignGrants.campaignId })
      .from(users).leftJoin(campaignGrants, eq(campaignGrants.userId, users.id)).where(eq(users.id, userId))
    if (rows.length === 0) return new Set()
    if (rows[0]!.all) return null
    return new Set(rows.flatMap((r) => r.campaignId ? [r.campaignId] : []))
  }

  /**
   * Gives a member all campaigns, or these only; audited with the slugs before and after. An owner is always
   * installation-wide ('owner'); ids that name no campaign are refused ('unknownCampaign').
   */
  async function setGrants (actor: Actor | null, userId: string, grants: Grants, exec?: Tx): Promise<{ ok: true, email: string, changed: boolean } | { ok: false, reason: 'notFound' | 'owner' | 'unknownCampaign' }> {
    const work = async (tx: Tx) => {
      // The same lock as the team's role changes: a role and its grants change one at a time.
      await tx.execute(sql`select pg_advisory_xact_lock(hashtext('bouteille:team'))`)
      const [u] = await tx.select().from(users).where(eq(users.id, userId))
      if (!u) return { ok: false as const, reason: 'notFound' as const }
      const ids = grants.allCampaigns ? [] : [...new Set(grants.campaignIds.map((id) => id.toLowerCase()))]
      if (u.role === 'owner' && !grants.allCampaigns) return { ok: false as const, reason: 'owner' as const }
      const known = ids.length ? await tx.select({ id: campaigns.id }).from(campaigns).where(inArray(campaigns.id, ids)) : []
      if (known.length !== ids.length) return { ok: false as const, reason: 'unknownCampaign' as const }
      const beforeScope = await scopeIn(tx, userId)
      const beforeIds = beforeScope ? [...beforeScope] : []
      const same = (beforeScope === null) === grants.allCampaigns && beforeIds.length === ids.length && ids.every((id) => beforeScope?.has(id))
      if (same) return { ok: true as const, email: u.email, changed: false }
      await tx.update(users).set({ allCampaigns: grants.allCampaigns }).where(eq(users.id, userId))
      await tx.delete(campaignGrants).where(eq(campaignGrants.userId, userId))
      if (ids.length) await tx.insert(campaignGrants).values(ids.map((campaignId) => ({ userId, campaignId })))
      await audit.record(actor, {
        action: 'grants',
        entity: 'user',
        entityId: u.id,
        before: { email: u.email, allCampaigns: beforeScope === null, campaigns: await campaignSlugs(tx, beforeIds) },
        after: { email: u.email, allCampaigns: grants.allCampaigns, campaigns: await campaignSlugs(tx, ids) }
      }, tx)
      return { ok: true as const, email: u.email, changed: true }
    }
    return exec ? work(exec) : db.transaction(work)
  }

  return {
    /** The campaigns a member may see (one read per admin request: a grant removed takes effect at once). */
    scopeOf: (userId: string): Promise<CampaignScope> => scopeIn(db, userId),

    /** Every member's grants, by user id (for the team page). */
    async grantsByUser (): Promise<Map<string, string[]>> {
      const rows = await db.select({ userId: campaignGrants.userId, campaignId: campaignGrants.campaignId }).from(campaignGrants)
      const out = new Map<string, string[]>()
      for (const r of rows) out.set(r.userId, [...(out.get(r.userId) ?? []), r.campaignId])
      return out
    },

    /** The campaigns a grant can name, by slug (id, slug). */
    async campaignChoices () {
      return db.select({ id: campaigns.id, slug: campaigns.slug }).from(campaigns).orderBy(asc(campaigns.slug))
    },

    /** The ids of these slugs; the slugs that name no campaign are returned as unknown. */
    async campaignIdsBySlug (slugs: readonly string[], exec: Pick<Db, 'select'> = db): Promise<{ ids: string[], unknown: string[] }> {
      const wanted = [...new Set(slugs)]
      const rows = wanted.length ? await exec.select({ id: campaigns.id, slug: campaigns.slug }).from(campaigns).where(inArray(campaigns.slug, wanted)) : []
      const found = new Map(rows.map((r) => [r.slug, r.id]))
      return { ids: [...found.values()], unknown: wanted.filter((s) => !found.has(s)) }
    },

    /**
     * Gives a member all campaigns, or these only (see setGrants); announced to every web process once committed.
     * Inside a caller's transaction (exec: a new account, which has no stream open yet) nothing is announced.
     */
    async setGrants (actor: Actor | null, userId: string, grants: Grants, exec?: Tx) {
      const result = await setGrants(actor, userId, grants, exec)
      if (result.ok && result.changed && live && !exec) {
        // After the commit; a lost announcement leaves a stream open until its reader reconnects (then the guard refuses it).
        await live.redis.publish(live.channels.access, JSON.stringify({ userId })).catch(() => {})
      }
      return result
    },

    /** Ends an open stream (end) as soon as its reader loses the campaign; returns what stops watching (the stream closed). */
    watch (userId: string, campaignId: string, end: () => void): () => void {
      const w = { userId, campaignId, end }
      watched.add(w)
      listen().catch(() => {})
      return () => { watched.delete(w) }
    },

    /** Limits a member who accepted an invitation to its campaigns (null: an invitation to every campaign), in the acceptance's transaction. */
    async applyInvite (user: Actor, campaignIds: string[] | null, tx: Tx): Promise<void> {
      if (!campaignIds) return
      // A campaign gone since the invitation is left out: the member stays limited, never widened.
      const known = campaignIds.length ? await tx.select({ id: campaigns.id }).from(campaigns).where(inArray(campaigns.id, campaignIds)) : []
      await setGrants(user, user.id, { allCampaigns: false, campaignIds: known.map((k) => k.id) }, tx)
    }
  }
}
