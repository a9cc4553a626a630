import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { and, eq, isNull, lt, or, sql } from 'drizzle-orm'
import { Secret, TOTP } from 'otpauth'
import type { Db } from '../db/client.ts'
import { securitySettings, users } from '../db/schema.ts'
import { tokenHash } from './auth-service.ts'

export type TwoFactorService = ReturnType<typeof createTwoFactorService>

// RFC 6238 defaults, the only ones every authenticator app supports: SHA-1, 6 digits, 30-second steps; one step
// of drift either way (RFC 6238 §5.2 recommends at most one). Checked 2026-12-04.
const PERIOD = 30
const totpOf = (secret: string, label = '') => new TOTP({ issuer: 'Bouteille', label, secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: PERIOD })
const RECOVERY_CODES = 10

/** A recovery code as typed: case and separators do not matter. */
const normalCode = (code: string): string => code.toLowerCase().replace(/[^a-z0-9]/g, '')

/**
 * Two-factor sign-in with TOTP (authenticator apps, via the otpauth library) and one-time recovery codes, and the
 * owner's switch that requires it of the whole team.
 */
export function createTwoFactorService ({ db, secret, now = () => new Date() }: { db: Db, secret: string, now?: () => Date }) {
  // The secret being set up travels in the form, signed, so nothing is stored before the first right code.
  const setupSignature = (userId: string, totpSecret: string): string => createHmac('sha256', `${secret}:totp-setup`).update(`${userId}.${totpSecret}`).digest('base64url')

  const signed = (userId: string, totpSecret: string, signature: string): boolean => {
    const expected = Buffer.from(setupSignature(userId, totpSecret))
    const given = Buffer.from(signature)
    return expected.length === given.length && timingSafeEqual(expected, given) && /^[A-Z2-7]{32}$/.test(totpSecret)
  }

  // A code is accepted once: its time step must be later than the last one used (no replay within the window).
  async function acceptTotp (userId: string, totpSecret: string, code: string): Promise<boolean> {
    if (!/^\d{6}$/.test(code)) return false
    const timestamp = now().getTime()
    const delta = totpOf(totpSecret).validate({ token: code, timestamp, window: 1 })
    if (delta === null) return false
    const step = Math.floor(timestamp / 1000 / PERIOD) + delta
    const [done] = await db.update(users).set({ totpLastStep: step })
      .where(and(eq(users.id, userId), or(isNull(users.totpLastStep), lt(users.totpLastStep, step)))).returning({ id: users.id })
    return done !== undefined
  }

  return {
    /** Whether a secret being set up is the one this installation offered to this member. */
    signed,

    /** A new secret to set up (or `totpSecret` again), its otpauth:// URI for the app, and the signature the form sends back. */
    newSetup (user: { id: string, email: string }, totpSecret = new Secret({ size: 20 }).base32) {
      return { secret: totpSecret, uri: totpOf(totpSecret, user.email).toString(), signature: setupSignature(user.id, totpSecret) }
    },

    /** Turns two-factor sign-in on when the code matches the secret being set up; returns the recovery codes to show once. */
    async enable (userId: string, input: { secret: string, signature: string, code: string }): Promise<{ ok: true, recoveryCodes: string[] } | { ok: false }> {
      if (!signed(userId, input.secret, input.signature)) return { ok: false }
      const timestamp = now().getTime()
      const delta = /^\d{6}$/.test(input.code) ? totpOf(input.secret).validate({ token: input.code, timestamp, window: 1 }) : null
      if (delta === null) return { ok: false }
      const recoveryCodes = Array.from({ length: RECOVERY_CODES }, () => randomBytes(5).toString('hex').replace(/(.{5})/, '$1-'))
      await db.update(users).set({ totpSecret: input.secret, totpLastStep: Math.floor(timestamp / 1000 / PERIOD) + delta, recoveryCodeHashes: recoveryCodes.map((c) => tokenHash(normalCode(c))) }).where(eq(users.id, userId))
      return { ok: true, recoveryCodes }
    },

    /** Turns two-factor sign-in off for a member (the route checks their password, or an owner acts). */
    async disable (userId: string): Promise<void> {
      await db.update(users).set({ totpSecret: null, totpLastStep: null, recoveryCodeHashes: [] }).where(eq(users.id, userId))
    },

    /** Checks the second factor: a TOTP code (once per time step) or an unused recovery code (then spent). */
    async verify (userId: string, code: string): Promise<'totp' | 'recovery' | false> {
      const [u] = await db.select({ s: users.totpSecret }).from(users).where(eq(users.id, userId))
      if (!u?.s) return false
      const plain = code.replace(/\s/g, '')
      if (/^\d{6}$/.test(plain)) return await acceptTotp(userId, u.s, plain) ? 'totp' : false
      const h = tokenHash(normalCode(code))
      // Removed in the same statement that finds it: two sign-ins with one code cannot both pass.
      const [spent] = await db.update(users).set({ recoveryCodeHashes: sql`array_remove(${users.recoveryCodeHashes}, ${h})` })
        .where(and(eq(users.id, userId), sql`${h} = any(${users.recoveryCodeHashes})`)).returning({ id: users.id })
      return spent ? 'recovery' : false
    },

    /** How many recovery codes a member has left. */
    async recoveryLeft (userId: string): Promise<number> {
      const [u] = await db.select({ n: sql<number>`cardinality(${users.recoveryCodeHashes})` }).from(users).where(eq(users.id, userId))
      return Number(u?.n ?? 0)
    },

    /** Whether an owner requires two-factor sign-in of every member. */
    async required (): Promise<boolean> {
      const [row] = await db.select({ r: securitySettings.requireTwoFactor }).from(securitySettings).where(eq(securitySettings.id, 1))
      return row?.r ?? false
    },

    /** Sets whether every member must use two-factor sign-in. */
    async setRequired (required: boolean, exec: Pick<Db, 'insert'> = db): Promise<void> {
      await exec.insert(securitySettings).values({ id: 1, requireTwoFactor: required, updatedAt: now() })
        .onConflictDoUpdate({ target: securitySettings.id, set: { requireTwoFactor: required, updatedAt: now() } })
    }
  }
}
