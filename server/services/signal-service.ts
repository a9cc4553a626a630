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
// Sends are counted in Redis in batches this often (one round trip for all of them).
const FLUSH_MS = 100

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

  /** The sends observed since the last flush, per campaign, minute and text window. */
  interface Batch { c: CampaignData, minute: number, window: number, sends: number, targets: Map<string, number>, texts: Map<string, number>, freeTexts: number }
  const pending = new Map<string, Batch>()
  let timer: NodeJS.Timeout | null = null

  function flush (): void {
    timer = null
    const batches = [...pending.values()]
    pending.clear()
    for (const b of batches) write(b).catch(onError)
  }

  /** Adds a batch to the campaign's counters, then looks at what they became, as if its sends came one by one. */
  async function write (b: Batch): Promise<void> {
    const { c, minute } = b
    const rate = (m: number): string => k(c.id, `rate:${m}`)
    const m = redis.multi()
      .incrby(rate(minute), b.sends).pexpire(rate(minute), (BASELINE_MINUTES + 2) * MINUTE)
      .mget(Array.from({ length: BASELINE_MINUTES }, (_, i) => rate(minute - 1 - i)))
    const targets = [...b.targets]
    for (const [targetId, n] of targets) m.incrby(k(c.id, `target:${targetId}:${minute}`), n).pexpire(k(c.id, `target:${targetId}:${minute}`), 2 * MINUTE)
    const texts = [...b.texts]
    const textKey = k(c.id, `texts:${b.window}`)
    for (const [shape, n] of texts) m.hincrby(textKey, shape, n)
    if (b.freeTexts > 0) m.hincrby(textKey, '', b.freeTexts).pexpire(textKey, TEXT_WINDOW + MINUTE)
    const res = await m.exec()
    const n = (i: number): number => Number(res?.[i]?.[1] ?? 0)
    const previous = ((res?.[2]?.[1] ?? []) as Array<string | null>).map((v) => Number(v ?? 0))
    // A target's minute that crossed the burst threshold with this batch is one burst minute.
    targets.forEach(([targetId, added], i) => {
      const after = n(3 + 2 * i)
      if (after - added < thresholds.burstMin && after >= thresholds.burstMin) bump(c.id, 'targetBursts', 1, targetId)
    })
    // Every copy of a text after its window's first is a duplicate; the most copied text is the one compared.
    let duplicates = 0
    let same = 0
    texts.forEach(([, added], i) => {
      const after = n(3 + 2 * targets.length + i)
      duplicates += after - added >= 1 ? added : added - 1
      same = Math.max(same, after)
    })
    if (duplicates > 0) bump(c.id, 'duplicates', duplicates)
    if (c.challengeMode !== 'auto') return
    if (burstDetected(n(0), previous, thresholds)) await maybeBurst(c, 'rate')
    else if (b.freeTexts > 0 && duplicatesDetected(same, n(3 + 2 * targets.length + texts.length), thresholds)) await maybeBurst(c, 'duplicates')
  }

  async function maybeBurst (c: CampaignData, reason: 'rate' | 'duplicates'): Promise<void> {
    // One look per campaign every ten seconds, whatever the number of web processes.
    if (!await redis.set(k(c.id, 'burst-check'), '1', 'PX', 10_000, 'NX')) return
    await onBurst(c, reason)
  }

  return {
    /**
     * Counts a recorded send (never waits, never throws): its minute, its target's minute, its free text's hash. The
     * sends of the next FLUSH_MS are added up here and written in one round trip, so a send costs no Redis command.
     */
    observe (c: CampaignData, targetId: string, freeText: string | null): void {
      const t = now()
      const minute = Math.floor(t / MINUTE)
      const window = Math.floor(t / TEXT_WINDOW)
      const key = `${c.id}|${minute}|${window}`
      let batch = pending.get(key)
      if (!batch) {
        batch = { c, minute, window, sends: 0, targets: new Map(), texts: new Map(), freeTexts: 0 }
        pending.set(key, batch)
      }
      batch.c = c
      batch.sends++
      batch.targets.set(targetId, (batch.targets.get(targetId) ?? 0) + 1)
      if (freeText !== null) {
        const shape = fingerprint(textShape(freeText)).slice(0, 16)
        batch.texts.set(shape, (batch.texts.get(shape) ?? 0) + 1)
        batch.freeTexts++
      }
      if (!timer) {
        timer = setTimeout(flush, FLUSH_MS)
        timer.unref()
      }
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
