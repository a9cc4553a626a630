import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { hash, verify } from '@node-rs/argon2'
import { and, eq, gt, isNull, sql } from 'drizzle-orm'
import type { Redis } from 'ioredis'
import type { Db } from '../db/client.ts'
import { invites, users, type UserRole } from '../db/schema.ts'

export interface SessionUser { id: string, email: string, name: string, role: UserRole, sessionVersion: number }

export const ROLES: readonly UserRole[] = ['owner', 'editor', 'viewer']
const RANK: Record<UserRole, number> = { viewer: 0, editor: 1, owner: 2 }

/** Whether a role includes another (owner ⊃ editor ⊃ viewer). */
export function roleAtLeast (role: UserRole, needed: UserRole): boolean {
  return RANK[role] >= RANK[needed]
}

// OWASP's argon2id baseline: 19 MiB, 2 iterations, 1 lane.
// algorithm 2 is Argon2id (a const enum in the package's types).
const ARGON = { algorithm: 2 as const, memoryCost: 19_456, timeCost: 2, parallelism: 1 }
// Verified against when the e-mail is unknown, so both failures take the same time.
const DUMMY_HASH = '$argon2id$v=19$m=19456,t=2,p=1$JKMnNbeZWgO7A5qrEybKLw$9dCLeyo55SOJtDB6n2uBhtchQkXJqp8M1D7K60qArg8'

export const PASSWORD_MIN = 10
const LOGIN_LIMIT = { perAccount: 5, perAddress: 20, windowSeconds: 15 * 60 }

export type AuthService = ReturnType<typeof createAuthService>

/** Team accounts (redis: null for the command line, which only creates accounts): argon2id passwords, signed session cookies checked against a version in PostgreSQL, login limits, one-time links. */
export function createAuthService ({ db, redis, prefix, secret, now = () => new Date() }: { db: Db, redis: Redis | null, prefix: string, secret: string, now?: () => Date }) {
  const sign = (value: string): string => createHmac('sha256', `${secret}:session`).update(value).digest('base64url')
  const tokenHash = (token: string): string => createHash('sha256').update(token).digest('hex')

  function toSessionUser (u: typeof users.$inferSelect): SessionUser {
    return { id: u.id, email: u.email, name: u.name, role: u.role, sessionVersion: u.sessionVersion }
  }

  async function limited (key: string, limit: number): Promise<boolean> {
    try {
      return Number(await redis?.get(key) ?? 0) >= limit
    } catch {
      return false
    }
  }

  async function countFailure (key: string): Promise<void> {
    try {
      await redis?.multi().incr(key).expire(key, LOGIN_LIMIT.windowSeconds).exec()
    } catch {}
  }

  const addressKey = (address: string) => `${prefix}:login:addr:${createHmac('sha256', secret).update(address).digest('base64url').slice(0, 22)}`
  const accountKey = (email: string) => `${prefix}:login:acct:${createHash('sha256').update(email.toLowerCase()).digest('base64url').slice(0, 22)}`

  return {
    hashPassword: (password: string) => hash(password, ARGON),

    async createUser (input: { email: string, password: string, role: UserRole, name?: string }): Promise<SessionUser> {
      const [u] = await db.insert(users).values({ email: input.email.trim(), name: input.name ?? '', passwordHash: await hash(input.password, ARGON), role: input.role }).returning()
      return toSessionUser(u!)
    },

    async findByEmail (email: string): Promise<SessionUser | null> {
      const [u] = await db.select().from(users).where(sql`lower(${users.email}) = lower(${email.trim()})`)
      return u ? toSessionUser(u) : null
    },

    async userCount (): Promise<number> {
      const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(users)
      return row?.n ?? 0
    },

    /**
     * Checks an e-mail and password. The same answer ("invalid") for an unknown e-mail and a wrong password;
     * "limited" after too many failures for the account or from the address.
     */
    async login (email: string, password: string, address: string): Promise<{ ok: true, user: SessionUser } | { ok: false, reason: 'invalid' | 'limited' }> {
      const aKey = accountKey(email)
      const ipKey = addressKey(address)
      if (await limited(aKey, LOGIN_LIMIT.perAccount) || await limited(ipKey, LOGIN_LIMIT.perAddress)) return { ok: false, reason: 'limited' }
      const [u] = await db.select().from(users).where(sql`lower(${users.email}) = lower(${email.trim()})`)
      const good = await verify(u?.passwordHash ?? DUMMY_HASH, password).catch(() => false)
      if (!u || !good) {
        await Promise.all([countFailure(aKey), countFailure(ipKey)])
        return { ok: false, reason: 'invalid' }
      }
      await db.update(users).set({ lastLoginAt: now() }).where(eq(users.id, u.id))
      try { await redis?.del(aKey) } catch {}
      return { ok: true, user: toSessionUser(u) }
    },

    /** The cookie value for a signed-in user: id, session version, signature. */
    sessionCookie (user: Pick<SessionUser, 'id' | 'sessionVersion'>): string {
      const value = `${user.id}.${user.sessionVersion}`
      return `${value}.${sign(value)}`
    },

    /** The user a cookie stands for, if its signature holds and its session version is still the user's. */
    async userFromCookie (cookie: string | undefined): Promise<SessionUser | null> {
      if (!cookie) return null
      const m = /^([0-9a-f-]{36})\.(\d{1,9})\.([A-Za-z0-9_-]{43})$/.exec(cookie)
      if (!m) return null
      const expected = Buffer.from(sign(`${m[1]}.${m[2]}`))
      const given = Buffer.from(m[3]!)
      if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null
      const [u] = await db.select().from(users).where(eq(users.id, m[1]!))
      if (!u || u.sessionVersion !== Number(m[2])) return null
      return toSessionUser(u)
    },

    /** Ends every session of a user (sign out, password or role change, removal). */
    async revokeSessions (userId: string): Promise<void> {
      await db.update(users).set({ sessionVersion: sql`${users.sessionVersion} + 1` }).where(eq(users.id, userId))
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
    async createInvite (input: { role: UserRole, email?: string | null, createdBy?: string | null, validHours?: number }): Promise<{ token: string, id: string }> {
      const token = randomBytes(24).toString('base64url')
      const [row] = await db.insert(invites).values({
        tokenHash: tokenHash(token),
        role: input.role,
        email: input.email ?? null,
        createdBy: input.createdBy ?? null,
        expiresAt: new Date(now().getTime() + (input.validHours ?? 72) * 3_600_000)
      }).returning({ id: invites.id })
      return { token, id: row!.id }
    },

    /** The unused, unexpired invite a token stands for. */
    async findInvite (token: string) {
      if (!/^[A-Za-z0-9_-]{20,64}$/.test(token)) return null
      const [row] = await db.select().from(invites).where(and(eq(invites.tokenHash, tokenHash(token)), isNull(invites.usedAt), gt(invites.expiresAt, now())))
      return row ?? null
    },

    /** Uses an invite once: creates the account in the same transaction that marks the invite used. */
    async acceptInvite (token: string, input: { email: string, password: string, name?: string }): Promise<SessionUser | null> {
      const passwordHash = await hash(input.password, ARGON)
      return db.transaction(async (tx) => {
        const [inv] = await tx.update(invites).set({ usedAt: now() })
          .where(and(eq(invites.tokenHash, tokenHash(token)), isNull(invites.usedAt), gt(invites.expiresAt, now())))
          .returning()
        if (!inv) return null
        const [u] = await tx.insert(users).values({ email: (inv.email ?? input.email).trim(), name: input.name ?? '', passwordHash, role: inv.role }).returning()
        return toSessionUser(u!)
      })
    }
  }
}
