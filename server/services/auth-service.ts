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
// A session cookie is refused after this, whatever the browser keeps (a stolen cookie does not live forever).
export const SESSION_DAYS = 30

export type AuthService = ReturnType<typeof createAuthService>
type Tx = Parameters<Parameters<Db['transaction']>[0]>[0]

/** Team accounts (redis: null for the command line, which only creates accounts): argon2id passwords, signed session cookies checked against a version in PostgreSQL, login limits, one-time links. */
export function createAuthService ({ db, redis, prefix, secret, now = () => new Date() }: { db: Db, redis: Redis | null, prefix: string, secret: string, now?: () => Date }) {
  const sign = (value: string): string => createHmac('sha256', `${secret}:session`).update(value).digest('base64url')
  const tokenHash = (token: string): string => createHash('sha256').update(token).digest('hex')

  function toSessionUser (u: typeof users.$inferSelect): SessionUser {
    return { id: u.id, email: u.email, name: u.name, role: u.role, sessionVersion: u.sessionVersion }
  }

  // Counts an attempt before checking the password, in one atomic step: parallel guesses cannot slip in
  // between a check and a count. The window starts at the first attempt (NX), so "wait 15 minutes" holds.
  // Without Redis (or when it is away) the limit is not applied: argon2id still makes each guess slow.
  async function attempt (key: string): Promise<number> {
    if (!redis) return 0
    try {
      const res = await redis.multi().incr(key).expire(key, LOGIN_LIMIT.windowSeconds, 'NX').exec()
      return Number(res?.[0]?.[1] ?? 0)
    } catch {
      return 0
    }
  }

  const addressKey = (address: string) => `${prefix}:login:addr:${createHmac('sha256', secret).update(address).digest('base64url').slice(0, 22)}`
  const accountKey = (email: string) => `${prefix}:login:acct:${createHmac('sha256', secret).update(email.trim().toLowerCase()).digest('base64url').slice(0, 22)}`

  // The first owner's set-up link is an invite nobody created; it only works while there is no account at all.
  const isSetup = (inv: typeof invites.$inferSelect): boolean => inv.createdBy === null

  return {
    hashPassword: (password: string) => hash(password, ARGON),

    async createUser (input: { email: string, password: string, role: UserRole, name?: string }, exec: Pick<Db, 'insert'> = db): Promise<SessionUser> {
      const [u] = await exec.insert(users).values({ email: input.email.trim(), name: input.name ?? '', passwordHash: await hash(input.password, ARGON), role: input.role }).returning()
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
      const [forAccount, fromAddress] = await Promise.all([attempt(aKey), attempt(ipKey)])
      if (forAccount > LOGIN_LIMIT.perAccount || fromAddress > LOGIN_LIMIT.perAddress) return { ok: false, reason: 'limited' }
      const [u] = await db.select().from(users).where(sql`lower(${users.email}) = lower(${email.trim()})`)
      const good = await verify(u?.passwordHash ?? DUMMY_HASH, password).catch(() => false)
      if (!u || !good) return { ok: false, reason: 'invalid' }
      await db.update(users).set({ lastLoginAt: now() }).where(eq(users.id, u.id))
      // A success clears the account's failures and does not count against the address (an office behind one NAT).
      try { await redis?.multi().del(aKey).decr(ipKey).expire(ipKey, LOGIN_LIMIT.windowSeconds, 'NX').exec() } catch {}
      return { ok: true, user: toSessionUser(u) }
    },

    /** The cookie value for a signed-in user: id, session version, expiry (Unix seconds), signature. */
    sessionCookie (user: Pick<SessionUser, 'id' | 'sessionVersion'>): string {
      const expires = Math.floor(now().getTime() / 1000) + SESSION_DAYS * 86_400
      const value = `${user.id}.${user.sessionVersion}.${expires}`
      return `${value}.${sign(value)}`
    },

    /** The user a cookie stands for, if its signature holds, it has not expired and its session version is still the user's. */
    async userFromCookie (cookie: string | undefined): Promise<SessionUser | null> {
      if (!cookie) return null
      const m = /^([0-9a-f-]{36})\.(\d{1,9})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(cookie)
      if (!m) return null
      const expected = Buffer.from(sign(`${m[1]}.${m[2]}.${m[3]}`))
      const given = Buffer.from(m[4]!)
      if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null
      if (Number(m[3]) * 1000 <= now().getTime()) return null
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
    async acceptInvite (token: string, input: { email: string, password: string, name?: string }, onAccepted?: (tx: Tx, user: SessionUser, invite: typeof invites.$inferSelect) => Promise<void>): Promise<{ ok: true, user: SessionUser, inviteId: string } | { ok: false, reason: 'expired' | 'emailTaken' }> {
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
          const user = toSessionUser(u!)
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
