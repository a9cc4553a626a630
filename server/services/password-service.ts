import { randomBytes } from 'node:crypto'
import { hash } from '@node-rs/argon2'
import { and, eq, gt, isNull } from 'drizzle-orm'
import type { Db } from '../db/client.ts'
import { campaigns, campaignTexts, passwordResets, users } from '../db/schema.ts'
import { passwordProblem, type PasswordProblem } from '../domain/password-rules.ts'
import { ARGON, tokenHash, type AuthService } from './auth-service.ts'

export type PasswordService = ReturnType<typeof createPasswordService>

// A reset link is short-lived and works once.
export const RESET_MINUTES = 60

/** New passwords (checked against common ones, the member's e-mail and the campaigns' names), changes and one-time reset links. */
export function createPasswordService ({ db, auth, now = () => new Date() }: { db: Db, auth: Pick<AuthService, 'revokeSessions'>, now?: () => Date }) {
  return {
    /** Why a new password is refused for this e-mail, or null. */
    async problem (password: string, email: string): Promise<PasswordProblem | null> {
      const quick = passwordProblem(password, { email })
      if (quick) return quick
      const [slugs, titles] = await Promise.all([
        db.select({ v: campaigns.slug }).from(campaigns),
        db.select({ v: campaignTexts.title }).from(campaignTexts)
      ])
      return passwordProblem(password, { email, names: [...slugs, ...titles].map((r) => r.v) })
    },

    /** Sets a member's password and ends their sessions but `keep` (the one that changed it, if any). */
    async set (userId: string, password: string, keep?: string): Promise<void> {
      const passwordHash = await hash(password, ARGON)
      await db.transaction(async (tx) => {
        await tx.update(users).set({ passwordHash }).where(eq(users.id, userId))
        // Links asked for before the change must not undo it.
        await tx.update(passwordResets).set({ usedAt: now() }).where(and(eq(passwordResets.userId, userId), isNull(passwordResets.usedAt)))
      })
      await auth.revokeSessions(userId, { except: keep })
    },

    /** A one-time reset link token for a member (valid RESET_MINUTES); only its hash is kept. */
    async createReset (userId: string): Promise<{ token: string, expiresAt: Date }> {
      const token = randomBytes(24).toString('base64url')
      const expiresAt = new Date(now().getTime() + RESET_MINUTES * 60_000)
      await db.insert(passwordResets).values({ tokenHash: tokenHash(token), userId, expiresAt })
      return { token, expiresAt }
    },

    /** The member an unused, unexpired reset token is for. */
    async findReset (token: string): Promise<{ userId: string, email: string } | null> {
      if (!/^[A-Za-z0-9_-]{20,64}$/.test(token)) return null
      const [row] = await db.select({ userId: users.id, email: users.email }).from(passwordResets).innerJoin(users, eq(users.id, passwordResets.userId))
        .where(and(eq(passwordResets.tokenHash, tokenHash(token)), isNull(passwordResets.usedAt), gt(passwordResets.expiresAt, now())))
      return row ?? null
    },

    /** Uses a reset token once: sets the password and ends every session of the member. false when the link is spent or expired. */
    async reset (token: string, password: string): Promise<{ ok: true, userId: string, email: string } | { ok: false }> {
      const [used] = await db.update(passwordResets).set({ usedAt: now() })
        .where(and(eq(passwordResets.tokenHash, tokenHash(token)), isNull(passwordResets.usedAt), gt(passwordResets.expiresAt, now())))
        .returning({ userId: passwordResets.userId })
      if (!used) return { ok: false }
      await this.set(used.userId, password)
      const [u] = await db.select({ email: users.email }).from(users).where(eq(users.id, used.userId))
      return { ok: true, userId: used.userId, email: u?.email ?? '' }
    }
  }
}
