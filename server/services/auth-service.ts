import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { hash, verify } from '@node-rs/argon2'
import { and, desc, eq, gt, inArray, isNull, ne, sql } from 'drizzle-orm'
import type { Redis } from 'ioredis'
import type { Db } from '../db/client.ts'
import { invites, sessions, users, type UserRole } from '../db/schema.ts'
import { userAgentSummary } from '../domain/user-agent.ts'
import { createLoginLimiter } from './login-limiter.ts'

export { PASSWORD_MIN } from '../domain/password-rules.ts'

/** The member behind a request, with the server-side session it came with. */
export interface SessionUser { id: string, email: string, name: string, role: UserRole, sessionId: string, twoFactor: boolean }

export const ROLES: readonly UserRole[] = ['owner', 'editor', 'viewer']
const RANK: Record<UserRole, number> = { viewer: 0, editor: 1, owner: 2 }

/** Whether a role includes another (owner ⊃ editor ⊃ viewer). */
export function roleAtLeast (role: UserRole, needed: UserRole): boolean {
  return RANK[role] >= RANK[needed]
}

// OWASP's argon2id baseline: 19 MiB, 2 iterations, 1 lane.
// algorithm 2 is Argon2id (a const enum in the package's types).
export const ARGON = { algorithm: 2 as const, memoryCost: 19_456, timeCost: 2, parallelism: 1 }
// Verified against when the e-mail is unknown, so both failures take the same time.
const DUMMY_HASH = '$argon2id$v=19$m=19456,t=2,p=1$JKMnNbeZWgO7A5qrEybKLw$9dCLeyo55SOJtDB6n2uBhtchQkXJqp8M1D7K60qArg8'

// A session is refused after SESSION_DAYS whatever the browser keeps, and after IDLE_DAYS without use.
export const SESSION_DAYS = 30
export const IDLE_DAYS = 7
// The step between a right password and its TOTP code.
const PENDING_MINUTES = 10
// last_seen_at is written at most this often per session (not on every request).
const TOUCH_MS = 60_000

export type AuthService = ReturnType<typeof createAuthService>
type Tx = Parameters<Parameters<Db['transaction']>[0]>[0]
export type Member = typeof users.$inferSelect

/** The Redis channel on which revoked session ids are announced, so every web process ends their open streams. */
export const sessionsChannel = (prefix: string): string => `${prefix}:sessions`

/** SHA-256 of a one-time token: what is stored instead of the token. */
export const tokenHash = (token: string): string => createHash('sha256').update(token).digest('hex')

/**
 * Team accounts (redis: null for the command line): argon2id passwords, server-side sessions behind a random cookie
 * token, sign-in throttling per account and address, CSRF tokens, one-time links.
 */
export function createAuthService ({ db, redis, prefix, secret, now = () => new Date() }: { db: Db, redis: Redis | null, prefix: string, secret: string, now?: () => Date }) {
  const limiter = createLoginLimiter({ redis, prefix, secret, now: () => now().getTime() })

  const toSessionUser = (u: Member, sessionId: string): SessionUser =>
    ({ id: u.id, email: u.email, name: u.name, role: u.role, sessionId, twoFactor: u.totpSecret !== null })

  const byEmail = async (email: string): Promise<Member | undefined> =>
    (await db.select().from(users).where(sql`lower(${users.email}) = lower(${email.trim()})`))[0]

  // Tells every web process (and this one) which sessions ended, so their open event streams are closed now.
  async function announce (ids: string[]): Promise<void> {
    if (ids.length === 0 || !redis) return
    try { await redis.publish(sessionsChannel(prefix), JSON.stringify({ sessions: ids })) } catch {}
  }

  // The first owner's set-up link is an invite nobody created; it only works while there is no account at all.
  const isSetup = (inv: typeof invites.$inferSelect): boolean => inv.createdBy === null

  const live = () => and(isNull(sessions.revokedAt), gt(sessions.expiresAt, now()), gt(sessions.lastSeenAt, new Date(now().getTime() - IDLE_DAYS * 86_400_000)))

  return {
    hashPassword: (password: string) => hash(password, ARGON),

    async createUser (input: { email: string, password: string, role: UserRole, name?: string }, exec: Pick<Db, 'insert'> = db): Promise<Omit<SessionUser, 'sessionId'>> {
      const [u] = await exec.insert(users).values({ email: input.email.trim(), name: input.name ?? '', passwordHash: await hash(input.password, ARGON), role: input.role }).returning()
      return { id: u!.id, email: u!.email, name: u!.name, role: u!.role, twoFactor: false }
    },

    /** The member with this address (any case), if any. */
    findByEmail: async (email: string): Promise<Member | null> => (await byEmail(email)) ?? null,

    async userCount (): Promise<number> {
      const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(users)
      return row?.n ?? 0
    },

    /**
     * Checks an e-mail and password. The same answer ("invalid") for an unknown e-mail and a wrong password;
     * "limited" (with the wait) after repeated failures on this account from this address, or too many from it.
     */
    async login (email: string, password: string, address: string): Promise<{ ok: true, user: Member } | { ok: false, reason: 'invalid' } | { ok: false, reason: 'limited', retryAfterSeconds: number }> {
      const gate = await limiter.attempt(email, address)
      if (!gate.allowed) return { ok: false, reason: 'limited', retryAfterSeconds: gate.retryAfterSeconds }
      const u = await byEmail(email)
      const good = await verify(u?.passwordHash ?? DUMMY_HASH, password).catch(() => false)
      if (!u || !good) return { ok: false, reason: 'invalid' }
      await limiter.succeeded(email, address)
      return { ok: true, user: u }
    },

    /** Counts a TOTP try for a member from an address: the same slow-down as passwords. */
    secondFactorAttempt: (userId: string, address: string) => limiter.attempt(`totp:${userId}`, address),
    /** Counts a password reset request for an address from an address (no mailbox flooding, no fast probing). */
    resetAttempt: (email: string, address: string) => limiter.attempt(`reset:${email}`, address),
    secondFactorSucceeded: (userId: string, address: string) => limiter.succeeded(`totp:${userId}`, address),

    /** Checks a member's current password (before a change). */
    async passwordMatches (userId: string, password: string): Promise<boolean> {
      const [u] = await db.select({ h: users.passwordHash }).from(users).where(eq(users.id, userId))
      return verify(u?.h ?? DUMMY_HASH, password).catch(() => false)
    },

    /** Opens a session; returns the cookie token (only its hash is kept). `twoFactorPending`: the TOTP step comes next. */
    async createSession (userId: string, { userAgent, twoFactorPending = false }: { userAgent?: string, twoFactorPending?: boolean } = {}, exec: Pick<Db, 'insert' | 'update'> = db): Promise<{ token: string, id: string }> {
      const token = randomBytes(32).toString('base64url')
      const t = now()
      const expiresAt = new Date(t.getTime() + (twoFactorPending ? PENDING_MINUTES * 60_000 : SESSION_DAYS * 86_400_000))
      const [row] = await exec.insert(sessions).values({ tokenHash: tokenHash(token), userId, userAgent: userAgentSummary(userAgent), twoFactorPending, createdAt: t, lastSeenAt: t, expiresAt }).returning({ id: sessions.id })
      if (!twoFactorPending) await exec.update(users).set({ lastLoginAt: t }).where(eq(users.id, userId))
      return { token, id: row!.id }
    },

    /** The member a session cookie stands for, if the session is live; `pending` while its TOTP step is not done. */
    async sessionFromCookie (token: string | undefined): Promise<{ user: SessionUser, pending: boolean } | null> {
      if (!token || !/^[A-Za-z0-9_-]{43}$/.test(token)) return null
      const [row] = await db.select({ s: sessions, u: users }).from(sessions).innerJoin(users, eq(users.id, sessions.userId))
        .where(and(eq(sessions.tokenHash, tokenHash(token)), live()))
      if (!row) return null
      if (now().getTime() - row.s.lastSeenAt.getTime() > TOUCH_MS) {
        await db.update(sessions).set({ lastSeenAt: now() }).where(eq(sessions.id, row.s.id))
      }
      return { user: toSessionUser(row.u, row.s.id), pending: row.s.twoFactorPending }
    },

    /** Marks a pending session as fully signed in (its TOTP or recovery code was right). */
    async completeSession (sessionId: string): Promise<void> {
      const t = now()
      const [s] = await db.update(sessions).set({ twoFactorPending: false, expiresAt: new Date(t.getTime() + SESSION_DAYS * 86_400_000), lastSeenAt: t })
        .where(and(eq(sessions.id, sessionId), eq(sessions.twoFactorPending, true))).returning({ userId: sessions.userId })
      if (s) await db.update(users).set({ lastLoginAt: t }).where(eq(users.id, s.userId))
    },

    /** Which of these session ids are still live (open event streams are checked against it). */
    async liveSessions (ids: string[]): Promise<Set<string>> {
      if (ids.length === 0) return new Set()
      const rows = await db.select({ id: sessions.id }).from(sessions).where(and(inArray(sessions.id, ids), live(), eq(sessions.twoFactorPending, false)))
      return new Set(rows.map((r) => r.id))
    },

    /** The live sessions of every member (or one), most recently used first. */
    async activeSessions (userId?: string) {
      return db.select({ id: sessions.id, userId: sessions.userId, userAgent: sessions.userAgent, createdAt: sessions.createdAt, lastSeenAt: sessions.lastSeenAt })
        .from(sessions).where(and(live(), eq(sessions.twoFactorPending, false), userId ? eq(sessions.userId, userId) : undefined)).orderBy(desc(sessions.lastSeenAt))
    },

    /** Ends one session; returns its member's id, or null when there was no live one. */
    async revokeSession (sessionId: string, exec: Pick<Db, 'update'> = db): Promise<string | null> {
      const [s] = await exec.update(sessions).set({ revokedAt: now() }).where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt))).returning({ userId: sessions.userId })
      if (s) await announce([sessionId])
      return s?.userId ?? null
    },

    /** Ends every session of a member (sign out everywhere, role change, password reset), but `except` one. */
    async revokeSessions (userId: string, { except, exec = db }: { except?: string, exec?: Pick<Db, 'update'> } = {}): Promise<void> {
      const ended = await exec.update(sessions).set({ revokedAt: now() })
        .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt), except ? ne(sessions.id, except) : undefined)).returning({ id: sessions.id })
      await announce(ended.map((s) => s.id))
    },

    /** A CSRF token bound to the session (or to a pre-session nonce for the login form). */
    csrfToken (binding: string): string {
      return createHmac('sha256', `${secret}:csrf`).update(binding).digest('base64url')
    },

    csrfValid (binding: string, token: unknown): boolean {
      if (typeof token !== 'string') return false
      const expected = Buffer.from(createHmac('sha256', `${secret}:csrf`).update(binding).digest('base64url'))
      const given = Buffer.from(token)
      return expected.length === given.length && timingSafeEqual(expected, given)
    },

    /** Creates a one-time link token (set-up of the first owner, or an invitation); returns the token, of which only a hash is kept. */
    async createInvite (input: { role: UserRole, email?: string | null, createdBy?: string | null, validHours?: number }, exec: Pick<Db, 'insert'> = db): Promise<{ token: string, id: string, expiresAt: Date }> {
      const token = randomBytes(24).toString('base64url')
      const [row] = await exec.insert(invites).values({
        tokenHash: tokenHash(token),
        role: input.role,
        email: input.email ?? null,
        createdBy: input.createdBy ?? null,
        expiresAt: new Date(now().getTime() + (input.validHours ?? 72) * 3_600_000)
      }).returning({ id: invites.id, expiresAt: invites.expiresAt })
      return { token, id: row!.id, expiresAt: row!.expiresAt }
    },

    /** The unused, unexpired invite a token stands for (`setup`: the first owner's link, valid only while there is no account). */
    async findInvite (token: string) {
      if (!/^[A-Za-z0-9_-]{20,64}$/.test(token)) return null
      const [row] = await db.select().from(invites).where(and(eq(invites.tokenHash, tokenHash(token)), isNull(invites.usedAt), gt(invites.expiresAt, now())))
      if (!row) return null
      if (isSetup(row)) {
        const [any] = await db.select({ id: users.id }).from(users).limit(1)
        if (any) return null
      }
      return { ...row, setup: isSetup(row) }
    },

    /**
     * Uses an invite once: creates the account in the same transaction that marks the invite used.
     * 'expired' when the link is used, expired or (set-up link) someone already has an account; 'emailTaken' on a duplicate address.
     */
    async acceptInvite (token: string, input: { email: string, password: string, name?: string }, onAccepted?: (tx: Tx, user: Member, invite: typeof invites.$inferSelect) => Promise<void>): Promise<{ ok: true, user: Member, inviteId: string } | { ok: false, reason: 'expired' | 'emailTaken' }> {
      const passwordHash = await hash(input.password, ARGON)
      try {
        return await db.transaction(async (tx) => {
          const [inv] = await tx.update(invites).set({ usedAt: now() })
            .where(and(eq(invites.tokenHash, tokenHash(token)), isNull(invites.usedAt), gt(invites.expiresAt, now())))
            .returning()
          if (!inv) return { ok: false as const, reason: 'expired' as const }
          if (isSetup(inv)) {
            // Two set-up links used at once must not make two owners: serialise, then check again.
            await tx.execute(sql`select pg_advisory_xact_lock(hashtext('bouteille:first-owner'))`)
            const [any] = await tx.select({ id: users.id }).from(users).limit(1)
            if (any) return { ok: false as const, reason: 'expired' as const }
          }
          // Accepting signs the new member in: that is their first sign-in.
          const [u] = await tx.insert(users).values({ email: (inv.email ?? input.email).trim(), name: input.name ?? '', passwordHash, role: inv.role, lastLoginAt: now() }).returning()
          const user = u!
          await onAccepted?.(tx, user, inv)
          return { ok: true as const, user, inviteId: inv.id }
        })
      } catch (err) {
        if ((err as { code?: string, cause?: { code?: string } }).code === '23505' || (err as { cause?: { code?: string } }).cause?.code === '23505') return { ok: false, reason: 'emailTaken' }
        throw err
      }
    }
  }
}
