import { createHmac, randomBytes } from 'node:crypto'
import type { Redis } from 'ioredis'
import type pg from 'pg'
import { createChallenge } from 'altcha-lib/v1'
import type { ChallengeMode } from '../db/schema.ts'
import { altchaSolutionValid, answerMatches, challengeActive, makeQuestion, readAltchaPayload, readQuestion, saltExpiry } from '../domain/challenge-rules.ts'
import type { CampaignData } from '../repos/campaign-repo.ts'
import type { AuditService } from './audit-service.ts'
import type { SessionUser } from './auth-service.ts'

/** What a send's challenge fields came to: 'ok', or why it is refused (an i18n key under challenge.errors). */
export type ChallengeVerdict = 'ok' | 'missing' | 'invalid' | 'expired' | 'replayed' | 'wrong'

/** A send's answer checked: the verdict, and for a solved challenge the id its single use is recorded under. */
export interface Redeemed { verdict: ChallengeVerdict, once?: string }

/** The fields of a send that answer the challenge. */
export interface ChallengeAnswer { altcha?: unknown, challenge_token?: unknown, challenge_answer?: unknown }

/** The challenge a page fetches (GET /c/:slug/challenge.json): ALTCHA's v1 shape. */
export interface IssuedChallenge { algorithm: string, challenge: string, maxnumber: number, salt: string, signature: string }

export type ChallengeService = ReturnType<typeof createChallengeService>

/**
 * The proof-of-work challenge (ALTCHA, self-hosted) and the no-JS question: issued signed and expiring, verified
 * without state; a solution works once (the action row's unique challenge_id), a question's token too (a Redis key);
 * and the campaign's mode (off, on, auto).
 */
export function createChallengeService ({ pool, redis, prefix, secret, settings, audit, announceCampaign, signalRefusal, log, now = Date.now }: {
  pool: pg.Pool
  redis: Pick<Redis, 'set' | 'get'>
  prefix: string
  secret: string
  settings: { maxNumber: number, ttlSeconds: number, quietMinutes: number }
  audit: Pick<AuditService, 'record'>
  announceCampaign: (slug: string) => Promise<void>
  /** counts a refused send on the campaign's signals; never throws */
  signalRefusal: (campaignId: string) => void
  log: (key: string, message: string) => void
  now?: () => number
}) {
  const hmacKey = createHmac('sha256', secret).update('altcha-hmac-key').digest('hex')
  const questionKey = createHmac('sha256', secret).update('challenge-question-key').digest('hex')

  /**
   * Marks an answer used, for this send only, until it expires. The same send again (same key, target and channel:
   * a retry, counted once by its idempotency key) may use it again; any other send may not.
   */
  async function consume (id: string, send: string, expiresAt: number): Promise<ChallengeVerdict> {
    const key = `${prefix}:ch:used:${id}`
    try {
      if (await redis.set(key, send, 'PXAT', expiresAt, 'NX')) return 'ok'
      return (await redis.get(key)) === send ? 'ok' : 'replayed'
    } catch (err) {
      // Redis away: the answer was checked (signature, expiry) but not its single use; let the send through, as the
      // rate limit does, rather than refuse every supporter during an outage.
      log('challenge-redis', `challenge answer not checked for reuse (Redis): ${(err as Error).message}`)
      return 'ok'
    }
  }

  async function verify (answer: ChallengeAnswer, send: string): Promise<Redeemed> {
    if (answer.altcha !== undefined && answer.altcha !== '') {
      const p = readAltchaPayload(answer.altcha)
      const expires = p ? saltExpiry(p.salt) : null
      if (!p || expires === null) return { verdict: 'invalid' }
      if (expires <= now()) return { verdict: 'expired' }
      // The expiry was read above with this service's clock; the hash and the HMAC are computed again.
      if (!altchaSolutionValid(p, hmacKey)) return { verdict: 'invalid' }
      // Its single use is the action row's: recorded with the send, refused by the database for any other send.
      return { verdict: 'ok', once: p.challenge }
    }
    if (answer.challenge_token !== undefined && answer.challenge_token !== '') {
      const q = readQuestion(questionKey, answer.challenge_token)
      if (!q) return { verdict: 'invalid' }
      if (q.expires * 1000 <= now()) return { verdict: 'expired' }
      // A token takes one answer, right or wrong: guessing through the 17 possible sums needs 17 page views. A wrong
      // answer records no action, so this single use is kept in Redis, not with the row.
      const used = await consume(`q:${q.nonce}`, send, q.expires * 1000)
      if (used !== 'ok') return { verdict: used }
      return { verdict: answerMatches(answer.challenge_answer, q.a + q.b) ? 'ok' : 'wrong' }
    }
    return { verdict: 'missing' }
  }

  return {
    /** Whether sends to this campaign must answer the challenge now. */
    active: (c: Pick<CampaignData, 'challengeMode' | 'challengeAutoUntil'>): boolean => challengeActive(c.challengeMode, c.challengeAutoUntil, now()),

    /** A fresh proof-of-work challenge, signed, expiring after the configured lifetime. */
    async issue (): Promise<IssuedChallenge> {
      const c = await createChallenge({ hmacKey, maxnumber: settings.maxNumber, expires: new Date(now() + settings.ttlSeconds * 1000) })
      return { algorithm: c.algorithm, challenge: c.challenge, maxnumber: settings.maxNumber, salt: c.salt, signature: c.signature }
    },

    /** A fresh question for a page without JavaScript: the sum to show ("3 + 4") and its signed token. */
    question (): { text: string, token: string } {
      const q = makeQuestion(questionKey, Math.floor(now() / 1000) + settings.ttlSeconds, randomBytes(12).toString('base64url'))
      return { text: `${q.a} + ${q.b}`, token: q.token }
    },

    /**
     * Checks a send's answer (a solved challenge, or the question's) for one send; counts a refusal on the signals.
     * A solved challenge comes back with `once`, to record with the action: the database refuses it for another send.
     */
    async redeem (campaignId: string, answer: ChallengeAnswer, send: { key: string, targetId: string, channel: string }): Promise<Redeemed> {
      const redeemed = await verify(answer, `${send.key}|${send.targetId}|${send.channel}`)
      if (redeemed.verdict !== 'ok') signalRefusal(campaignId)
      return redeemed
    },

    /** A solution found already used when its send was recorded: a refusal like the others, on the signals. */
    replayed (campaignId: string): ChallengeVerdict {
      signalRefusal(campaignId)
      return 'replayed'
    },

    /** The campaigner's choice: off, on, or automatic (on when the signals jump); audited, announced to every web process. */
    async setMode (user: Pick<SessionUser, 'id' | 'email'>, campaignId: string, mode: ChallengeMode): Promise<boolean> {
      const res = await pool.query<{ slug: string, before: ChallengeMode }>(`
        WITH old AS (SELECT id, challenge_mode AS before FROM campaigns WHERE id = $1 FOR UPDATE)
        UPDATE campaigns c SET challenge_mode = $2, challenge_auto_until = CASE WHEN $2 = 'auto' THEN c.challenge_auto_until END
        FROM old WHERE c.id = old.id RETURNING c.slug, old.before`, [campaignId, mode])
      const row = res.rows[0]
      if (!row) return false
      if (row.before !== mode) await audit.record(user, { action: 'challenge.mode', entity: 'campaign', entityId: campaignId, campaignId, before: { challengeMode: row.before }, after: { challengeMode: mode } })
      await announceCampaign(row.slug)
      return true
    },

    /**
     * The signals jumped: a campaign in automatic mode takes the challenge for the quiet period (extended while the
     * signals keep jumping). Switching on is audited; an extension is only announced.
     */
    async switchOnAuto (c: Pick<CampaignData, 'id' | 'slug' | 'challengeMode'>, reason: 'rate' | 'duplicates'): Promise<boolean> {
      if (c.challengeMode !== 'auto') return false
      const until = new Date(now() + settings.quietMinutes * 60_000)
      const res = await pool.query<{ before: Date | null }>(`
        WITH old AS (SELECT id, challenge_auto_until AS before FROM campaigns WHERE id = $1 FOR UPDATE)
        UPDATE campaigns c SET challenge_auto_until = $2 FROM old
        WHERE c.id = old.id AND c.challenge_mode = 'auto' RETURNING old.before`, [c.id, until])
      const row = res.rows[0]
      if (!row) return false
      const switchedOn = !row.before || row.before.getTime() <= now()
      if (switchedOn) await audit.record(null, { action: 'challenge.auto-on', entity: 'campaign', entityId: c.id, campaignId: c.id, before: { challenge: 'off' }, after: { challenge: 'on', reason, until } })
      await announceCampaign(c.slug)
      return switchedOn
    },

    /** Switches off every automatic challenge whose quiet period has passed (worker sweep; safe to run anywhere, twice). */
    async sweep (): Promise<number> {
      const res = await pool.query<{ id: string, slug: string, until: Date }>(`
        WITH due AS (SELECT id, challenge_auto_until AS until FROM campaigns WHERE challenge_auto_until <= $1 FOR UPDATE SKIP LOCKED)
        UPDATE campaigns c SET challenge_auto_until = NULL FROM due WHERE c.id = due.id RETURNING c.id, c.slug, due.until`, [new Date(now())])
      for (const r of res.rows) {
        await audit.record(null, { action: 'challenge.auto-off', entity: 'campaign', entityId: r.id, campaignId: r.id, before: { challenge: 'on', until: r.until }, after: { challenge: 'off', quietMinutes: settings.quietMinutes } })
        await announceCampaign(r.slug)
      }
      return res.rows.length
    }
  }
}
