import { createHmac } from 'node:crypto'
import type { Redis } from 'ioredis'

export type LoginLimiter = ReturnType<typeof createLoginLimiter>

// Failures from one address on one account are free up to FREE, then each further try must wait twice as long as the
// last (2 s, 4 s, 8 s … at most 15 minutes): a slow-down, never a lock of the account itself. The right password from
// another address is never held back. One address trying many accounts is capped separately (PER_ADDRESS).
const FREE = 5
const MAX_WAIT_MS = 15 * 60_000
const PER_ADDRESS = { tries: 30, windowSeconds: 15 * 60 }
const FORGET_MS = 60 * 60_000

// Counts the try and sets the next allowed time in one step, so parallel guesses cannot all pass one check.
// KEYS[1] the (account, address) hash; ARGV: now, free tries, max wait, forget after (ms). Returns the wait in ms (0: go).
const PAIR_SCRIPT = `
local now = tonumber(ARGV[1])
local untilAt = tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
if now < untilAt then return untilAt - now end
local n = redis.call('HINCRBY', KEYS[1], 'n', 1)
local wait = 0
if n > tonumber(ARGV[2]) then wait = math.min(1000 * 2 ^ (n - tonumber(ARGV[2])), tonumber(ARGV[3])) end
redis.call('HSET', KEYS[1], 'until', now + wait)
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[4]) + wait)
return 0
`

/**
 * Sign-in throttling in Redis, shared by every web instance. Addresses are keyed by an HMAC with a daily salt, like
 * the action rate limiter, and expire. Without Redis (or while it is away) nothing is held back: argon2id still
 * makes each guess slow.
 */
export function createLoginLimiter ({ redis, prefix, secret, now = Date.now }: { redis: Redis | null, prefix: string, secret: string, now?: () => number }) {
  const keyed = (kind: string, value: string): string => {
    const day = Math.floor(now() / 86_400_000)
    return `${prefix}:login:${kind}:${createHmac('sha256', `${secret}:${day}`).update(value).digest('base64url').slice(0, 22)}`
  }
  const pairKey = (email: string, address: string) => keyed('pair', `${email.trim().toLowerCase()}\n${address}`)
  const addressKey = (address: string) => keyed('addr', address)

  return {
    /** Counts a sign-in try; retryAfterSeconds > 0 when this address must wait before trying this account (or any) again. */
    async attempt (email: string, address: string): Promise<{ allowed: boolean, retryAfterSeconds: number }> {
      if (!redis) return { allowed: true, retryAfterSeconds: 0 }
      try {
        const aKey = addressKey(address)
        const [waitMs, res] = await Promise.all([
          redis.eval(PAIR_SCRIPT, 1, pairKey(email, address), now(), FREE, MAX_WAIT_MS, FORGET_MS) as Promise<number>,
          redis.multi().incr(aKey).expire(aKey, PER_ADDRESS.windowSeconds, 'NX').ttl(aKey).exec()
        ])
        const fromAddress = Number(res?.[0]?.[1] ?? 0)
        if (fromAddress > PER_ADDRESS.tries) return { allowed: false, retryAfterSeconds: Math.max(1, Number(res?.[2]?.[1] ?? PER_ADDRESS.windowSeconds)) }
        if (waitMs > 0) return { allowed: false, retryAfterSeconds: Math.ceil(waitMs / 1000) }
        return { allowed: true, retryAfterSeconds: 0 }
      } catch {
        return { allowed: true, retryAfterSeconds: 0 }
      }
    },

    /** A success clears the pair's failures and does not count against the address (an office behind one NAT). */
    async succeeded (email: string, address: string): Promise<void> {
      const aKey = addressKey(address)
      try { await redis?.multi().del(pairKey(email, address)).decr(aKey).expire(aKey, PER_ADDRESS.windowSeconds, 'NX').exec() } catch {}
    }
  }
}
