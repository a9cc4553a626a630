import type { Redis } from 'ioredis'
import { fingerprint } from '../domain/bottle-rules.ts'
import { BASELINE_MINUTES, burstDetected, duplicatesDetected, textShape, type BurstThresholds } from '../domain/challenge-rules.ts'
import type { CampaignData } from '../repos/campaign-repo.ts'

/** The bot-defence counters of a campaign, as the dashboard shows them. */
export interface SignalCounts {
  /** sends refused for a missing, wrong, expired or reused challenge answer */
  refused: number
  /** sends answered 429 (rate limit), and the addresses that hit it (one per address and minute) */
  rateLimited: number
  rateLimitedAddresses: number
  /** free texts whose normalised form was already sent in the same ten minutes */
  duplicates: number
  /** minutes in which one target received CHALLENGE_BURST_MIN sends or more, per target */
  targetBursts: Array<{ targetId: string, count: number }>
  /** times the challenge switched on by itself */
  autoSwitches: number
}

export type SignalService = ReturnType<typeof createSignalService>

const MINUTE = 60_000
// The window in which near-identical free texts are compared.
const TEXT_WINDOW = 10 * MINUTE

/**
 * Counts what a campaign's sends look like in Redis (rate per minute, near-identical free texts, sends per target
 * and minute, refusals, 429s) and tells when they jump. No text is stored: only a hash of its normalised form,
 * gone after ten minutes. The counters are signals, not counts: losing Redis loses them, never an action.
 */
export function createSignalService ({ redis, prefix, thresholds, onBurst, onChange, onError, now = Date.now }: {
  redis: Redis
  prefix: string
  thresholds: BurstThresholds
  /** the rate or the duplicates jumped (asked at most every ten seconds per campaign) */
  onBurst: (c: CampaignData, reason: 'rate' | 'duplicates') => Promise<unknown>
  /** a counter moved: the open dashboards may read again */
  onChange: (campaignId: string) => Promise<unknown>
  onError: (err: Error) => void
  now?: () => number
}) {
  const k = (campaignId: string, part: string): string => `${prefix}:sig:${campaignId}:${part}`

  function changed (campaignId: string): void {
    // At most one dashboard read a second per campaign for signals alone (sends move the dashboard anyway).
    redis.set(k(campaignId, 'ping'), '1', 'PX', 1000, 'NX')
      .then((set) => set ? onChange(campaignId) : null)
      .catch(onError)
  }

  function bump (campaignId: string, field: string, by = 1, targetId?: string): void {
    const m = redis.multi().hincrby(k(campaignId, 'counts'), field, by)
    if (targetId) m.hincrby(k(campaignId, 'targets'), targetId, 1)
    m.exec().then(() => changed(campaignId)).catch(onError)
  }

  async function maybeBurst (c: CampaignData, reason: 'rate' | 'duplicates'): Promise<void> {
    // One look per campaign every ten seconds, whatever the number of web processes.
    if (!await redis.set(k(c.id, 'burst-check'), '1', 'PX', 10_000, 'NX')) return
    await onBurst(c, reason)
  }

  return {
    /** Counts a recorded send (never waits, never throws): its minute, its target's minute, its free text's hash. */
    observe (c: CampaignData, targetId: string, freeText: string | null): void {
      const t = now()
      const minute = Math.floor(t / MINUTE)
      const rate = (m: number): string => k(c.id, `rate:${m}`)
      const m = redis.multi()
        .incr(rate(minute)).pexpire(rate(minute), (BASELINE_MINUTES + 2) * MINUTE)
        .mget(Array.from({ length: BASELINE_MINUTES }, (_, i) => rate(minute - 1 - i)))
        .incr(k(c.id, `target:${targetId}:${minute}`)).pexpire(k(c.id, `target:${targetId}:${minute}`), 2 * MINUTE)
      const window = Math.floor(t / TEXT_WINDOW)
      if (freeText !== null) {
        const texts = k(c.id, `texts:${window}`)
        m.hincrby(texts, fingerprint(textShape(freeText)).slice(0, 16), 1).hincrby(texts, '', 1).pexpire(texts, TEXT_WINDOW + MINUTE)
      }
      m.exec().then(async (res) => {
        const n = (i: number): number => Number(res?.[i]?.[1] ?? 0)
        const previous = ((res?.[2]?.[1] ?? []) as Array<string | null>).map((v) => Number(v ?? 0))
        if (n(3) === thresholds.burstMin) bump(c.id, 'targetBursts', 1, targetId)
        const same = freeText !== null ? n(5) : 0
        if (same > 1) bump(c.id, 'duplicates')
        if (c.challengeMode !== 'auto') return
        if (burstDetected(n(0), previous, thresholds)) await maybeBurst(c, 'rate')
        else if (freeText !== null && duplicatesDetected(same, n(6), thresholds)) await maybeBurst(c, 'duplicates')
      }).catch(onError)
    },

    /** Counts a send refused by the challenge. */
    refused: (campaignId: string): void => bump(campaignId, 'refused'),

    /** Counts a 429; `firstForAddress` when it is the address's first in its minute. */
    rateLimited (campaignId: string, firstForAddress: boolean): void {
      const m = redis.multi().hincrby(k(campaignId, 'counts'), 'rateLimited', 1)
      if (firstForAddress) m.hincrby(k(campaignId, 'counts'), 'rateLimitedAddresses', 1)
      m.exec().then(() => changed(campaignId)).catch(onError)
    },

    /** Counts an automatic switch-on. */
    autoSwitched: (campaignId: string): void => bump(campaignId, 'autoSwitches'),

    /** The campaign's counters (zeros when Redis lost them). */
    async read (campaignId: string): Promise<SignalCounts> {
      const res = await redis.multi().hgetall(k(campaignId, 'counts')).hgetall(k(campaignId, 'targets')).exec()
      const counts = (res?.[0]?.[1] ?? {}) as Record<string, string>
      const targets = (res?.[1]?.[1] ?? {}) as Record<string, string>
      const n = (f: string): number => Number(counts[f] ?? 0)
      return {
        refused: n('refused'),
        rateLimited: n('rateLimited'),
        rateLimitedAddresses: n('rateLimitedAddresses'),
        duplicates: n('duplicates'),
        targetBursts: Object.entries(targets).map(([targetId, v]) => ({ targetId, count: Number(v) })).sort((a, b) => b.count - a.count),
        autoSwitches: n('autoSwitches')
      }
    }
  }
}
