import { and, asc, count, eq, gt, isNotNull, isNull, sql } from 'drizzle-orm'
import type { Db } from '../db/client.ts'
import { invites, users, type UserRole } from '../db/schema.ts'
import { campaignSlugs } from './access-service.ts'
import type { AuditService } from './audit-service.ts'
import type { AuthService, SessionUser } from './auth-service.ts'
import type { TwoFactorService } from './two-factor-service.ts'

export type TeamService = ReturnType<typeof createTeamService>
type Tx = Parameters<Parameters<Db['transaction']>[0]>[0]
type Actor = Pick<SessionUser, 'id' | 'email'>

export const INVITE_HOURS = 72

/** The team: members, invitations, roles. Every change is audited in its own transaction; the last owner is kept. */
export function createTeamService ({ db, auth, twoFactor, audit, now = () => new Date() }: { db: Db, auth: AuthService, twoFactor: Pick<TwoFactorService, 'setRequired'>, audit: AuditService, now?: () => Date }) {
  // Role changes and removals take one lock, so two owners demoting each other at once cannot leave the team without an owner.
  const lockTeam = (tx: Tx) => tx.execute(sql`select pg_advisory_xact_lock(hashtext('bouteille:team'))`)

  async function owners (tx: Tx): Promise<number> {
    const [row] = await tx.select({ n: count() }).from(users).where(eq(users.role, 'owner'))
    return row?.n ?? 0
  }

  return {
    /** Every member, oldest first. */
    async members () {
      return db.select({ id: users.id, email: users.email, name: users.name, role: users.role, allCampaigns: users.allCampaigns, lastLoginAt: users.lastLoginAt, createdAt: users.createdAt, twoFactor: sql<boolean>`${users.totpSecret} is not null` })
        .from(users).orderBy(asc(users.createdAt), asc(users.email))
    },

    /** Invitations not used yet and not expired, soonest to expire first (the first owner's set-up link is not one). */
    async pendingInvites () {
      return db.select({ id: invites.id, email: invites.email, role: invites.role, campaignIds: invites.campaignIds, expiresAt: invites.expiresAt, createdAt: invites.createdAt, createdByEmail: users.email })
        .from(invites).leftJoin(users, eq(users.id, invites.createdBy))
        .where(and(isNull(invites.usedAt), gt(invites.expiresAt, now()), isNotNull(invites.createdBy)))
        .orderBy(asc(invites.expiresAt))
    },

    /**
     * Creates a one-time invitation link token (valid INVITE_HOURS); 'emailTaken' when a member has that address.
     * campaignIds (never for an owner): the member joins limited to these campaigns.
     */
    async invite (actor: Actor, input: { email: string | null, role: UserRole, campaignIds?: string[] | null }): Promise<{ ok: true, token: string, id: string, expiresAt: Date } | { ok: false, reason: 'emailTaken' }> {
      if (input.email && await auth.findByEmail(input.email)) return { ok: false, reason: 'emailTaken' }
      const campaignIds = input.role === 'owner' ? null : input.campaignIds ?? null
      return db.transaction(async (tx) => {
        const created = await auth.createInvite({ role: input.role, email: input.email, createdBy: actor.id, validHours: INVITE_HOURS }, tx)
        let limited = {}
        if (campaignIds) {
          await tx.update(invites).set({ campaignIds }).where(eq(invites.id, created.id))
          limited = { allCampaigns: false, campaigns: await campaignSlugs(tx, campaignIds) }
        }
        await audit.record(actor, { action: 'invite', entity: 'invite', entityId: created.id, after: { email: input.email, role: input.role, ...limited, expiresAt: created.expiresAt } }, tx)
        return { ok: true as const, ...created }
      })
    },

    /** Revokes a pending invitation; false when there is none with that id. */
    async revokeInvite (actor: Actor, id: string): Promise<boolean> {
      return db.transaction(async (tx) => {
        const [gone] = await tx.delete(invites).where(and(eq(invites.id, id), isNull(invites.usedAt), gt(invites.expiresAt, now()), isNotNull(invites.createdBy))).returning()
        if (!gone) return false
        await audit.record(actor, { action: 'revoke', entity: 'invite', entityId: gone.id, before: { email: gone.email, role: gone.role, expiresAt: gone.expiresAt } }, tx)
        return true
      })
    },

    /** Ends one member's session; null when there is no live session with that id. */
    async endSession (actor: Actor, sessionId: string): Promise<{ email: string } | null> {
      return db.transaction(async (tx) => {
        const userId = await auth.revokeSession(sessionId, tx)
        if (!userId) return null
        const [u] = await tx.select({ email: users.email }).from(users).where(eq(users.id, userId))
        await audit.record(actor, { action: 'end', entity: 'session', entityId: sessionId, before: { email: u?.email } }, tx)
        return { email: u?.email ?? '' }
      })
    },

    /** Requires (or not) two-factor sign-in of every member. */
    async requireTwoFactor (actor: Actor, required: boolean): Promise<void> {
      await db.transaction(async (tx) => {
        await twoFactor.setRequired(required, tx)
        await audit.record(actor, { action: 'update', entity: 'security', after: { requireTwoFactor: required } }, tx)
      })
    },

    /** Gives a member another role and ends their sessions everywhere. */
    async changeRole (actor: Actor, userId: string, role: UserRole): Promise<{ ok: true, email: string, changed: boolean } | { ok: false, reason: 'notFound' | 'lastOwner' }> {
      return db.transaction(async (tx) => {
        await lockTeam(tx)
        const [u] = await tx.select().from(users).where(eq(users.id, userId))
        if (!u) return { ok: false as const, reason: 'notFound' as const }
        if (u.role === role) return { ok: true as const, email: u.email, changed: false }
        if (u.role === 'owner' && await owners(tx) <= 1) return { ok: false as const, reason: 'lastOwner' as const }
        // An owner is installation-wide: promoting a scoped member gives them every campaign.
        await tx.update(users).set({ role, ...(role === 'owner' ? { allCampaigns: true } : {}) }).where(eq(users.id, userId))
        // Their sessions end (and with them their open event streams): they sign in again with the new role.
        await auth.revokeSessions(userId, { exec: tx })
        await audit.record(actor, { action: 'role', entity: 'user', entityId: u.id, before: { email: u.email, role: u.role }, after: { email: u.email, role } }, tx)
        return { ok: true as const, email: u.email, changed: true }
      })
    },

    /** Removes a member (their sessions end with the row) and the invitations they left pending. */
    async remove (actor: Actor, userId: string): Promise<{ ok: true, email: string } | { ok: false, reason: 'notFound' | 'lastOwner' }> {
      return db.transaction(async (tx) => {
        await lockTeam(tx)
        const [u] = await tx.select().from(users).where(eq(users.id, userId))
        if (!u) return { ok: false as const, reason: 'notFound' as const }
        if (u.role === 'owner' && await owners(tx) <= 1) return { ok: false as const, reason: 'lastOwner' as const }
        // Their pending links die with them: an invite nobody created would read as the first owner's set-up link.
        const revoked = await tx.delete(invites).where(and(eq(invites.createdBy, u.id), isNull(invites.usedAt))).returning({ id: invites.id, email: invites.email, role: invites.role })
        for (const inv of revoked) {
          await audit.record(actor, { action: 'revoke', entity: 'invite', entityId: inv.id, before: { email: inv.email, role: inv.role } }, tx)
        }
        // Recorded before the delete: an owner removing themselves is still a user the log can point to (then set null).
        await audit.record(actor, { action: 'remove', entity: 'user', entityId: u.id, before: { email: u.email, name: u.name, role: u.role, createdAt: u.createdAt, lastLoginAt: u.lastLoginAt } }, tx)
        await auth.revokeSessions(u.id, { exec: tx })
        await tx.delete(users).where(eq(users.id, u.id))
        return { ok: true as const, email: u.email }
      })
    }
  }
}
