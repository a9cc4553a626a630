import { createHmac } from 'node:crypto'
import type { Redis } from 'ioredis'
import { addressGroup } from '../domain/network-address.ts'

/** firstRefusal: this is the address's first refusal in its window (so refused addresses can be counted, not stored). */
export interface RateDecision { allowed: boolean, retryAfterSeconds: number, firstRefusal?: boolean }

export type RateLimiter = ReturnType<typeof createRateLimiter>

/**
 * Fixed one-minute windows per network address (an IPv6 /64: see addressGroup), counted in Redis so every web instance shares them.
 * The address is never stored: the key is an HMAC of it with a daily salt, and expires with its window.
 */
export function createRateLimiter ({ redis, prefix, limitPerMinute, secret, now = Date.now }: {
  redis: Redis
  prefix: string
  limitPerMinute: number
  secret: string
  now?: () => number
}) {
  return {
    enabled: limitPerMinute > 0,
    /** Counts one hit; `limit` (a campaign's own) replaces the default, unless limits are lifted (0). */
    async hit (scope: string, address: string, limit: number | null = null): Promise<RateDecision> {
      if (limitPerMinute <= 0) return { allowed: true, retryAfterSeconds: 0 }
      const max = limit ?? limitPerMinute
      const t = now()
      const minute = Math.floor(t / 60_000)
      const day = Math.floor(t / 86_400_000)
      const id = createHmac('sha256', `${secret}:${day}`).update(addressGroup(address)).digest('base64url').slice(0, 22)
      const key = `${prefix}:rl:${scope}:${id}:${minute}`
      try {
        const res = await redis.multi().incr(key).pexpire(key, 61_000).exec()
        const count = Number(res?.[0]?.[1] ?? 0)
        if (count > max) return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(((minute + 1) * 60_000 - t) / 1000)), firstRefusal: count === max + 1 }
      } catch {
        // Redis down: let the send through rather than lose it; Postgres still records it exactly.
      }
      return { allowed: true, retryAfterSeconds: 0 }
    }
  }
}
