import sharp from 'sharp'
import type { Redis } from 'ioredis'
import type { Progress } from '../domain/progress.ts'
import type { CardFormat } from '../domain/reach-links.ts'
import { cardModel, cardVersion, type CardModel } from '../domain/share-card.ts'
import type { I18n } from '../i18n.ts'
import type { CampaignData, TargetData } from '../repos/campaign-repo.ts'
import { initials, textsFor } from '../routes/public/campaign-page.ts'
import type { CardRenderer } from './card-renderer.ts'

export interface CardRequest { locale: string, format: CardFormat, target?: TargetData | undefined }
export interface Card { png: Buffer, etag: string, version: string }
interface Drawn { model: CardModel, version: string }

const NO_PROGRESS = {}

export type CardService = ReturnType<typeof createCardService>

/**
 * Share cards, drawn only when what they show has changed. A card's version is the hash of its model (see
 * domain/share-card.ts), worked out once per campaign content and progress document; its PNG is kept in memory (an
 * LRU bounded in bytes) and in Redis (so other web instances and a restarted one draw it no more), and views arriving
 * together for a card not drawn yet share one render.
 */
export function createCardService ({ i18n, redis, prefix, renderer, photo, maxBytes = 32 * 1024 * 1024, redisTtlSeconds = 7 * 24 * 3600 }: {
  i18n: I18n
  redis: Pick<Redis, 'getBuffer' | 'set'>
  prefix: string
  renderer: CardRenderer
  /** a target's stored photo */
  photo: (targetId: string) => Promise<{ data: Buffer } | null>
  maxBytes?: number
  redisTtlSeconds?: number
}) {
  // campaign content → progress document → card key → model and version: a view of an unchanged card hashes nothing.
  const drawn = new WeakMap<CampaignData, WeakMap<object, Map<string, Drawn>>>()
  const memory = new Map<string, Card>()
  let memoryBytes = 0
  const rendering = new Map<string, Promise<Card>>()
  const counts = { renders: 0, memoryHits: 0, redisHits: 0 }

  function modelOf (c: CampaignData, progress: Progress | undefined, req: CardRequest): CardModel {
    const tr = i18n.translator(req.locale)
    const texts = textsFor(c, tr.locale)
    const total = progress?.total ?? 0
    const goal = progress?.goal ?? c.goal
    const t = req.target
    const count = t ? (progress?.targets.find((x) => x.id === t.id)?.count ?? 0) : total
    return cardModel({
      format: req.format,
      locale: tr.locale,
      title: texts.title,
      hashtags: texts.hashtags,
      count,
      total,
      goal,
      words: {
        headline: (shown, n) => t ? tr.t('card.countTo', { count: n, shown, name: t.name }) : tr.t('card.count', { count: n, shown }),
        goal: tr.t('card.goal', { goal })
      },
      formatNumber: tr.n,
      siteName: tr.t('meta.siteName'),
      colours: c.cardColours,
      target: t ? { name: t.name, initials: initials(t.name), photoUrl: t.photoUrl } : null
    })
  }

  function drawnOf (c: CampaignData, progress: Progress | undefined, req: CardRequest): Drawn {
    let byProgress = drawn.get(c)
    if (!byProgress) drawn.set(c, byProgress = new WeakMap())
    const p = progress ?? NO_PROGRESS
    let byKey = byProgress.get(p)
    if (!byKey) byProgress.set(p, byKey = new Map())
    const key = `${req.locale}|${req.format}|${req.target?.id ?? ''}`
    let d = byKey.get(key)
    if (!d) {
      const model = modelOf(c, progress, req)
      d = { model, version: cardVersion(model) }
      byKey.set(key, d)
    }
    return d
  }

  function remember (key: string, card: Card): void {
    const old = memory.get(key)
    if (old) memoryBytes -= old.png.length
    memory.delete(key)
    memory.set(key, card)
    memoryBytes += card.png.length
    // The Map's order is the eviction order: least recently used first.
    for (const [k, v] of memory) {
      if (memoryBytes <= maxBytes) break
      memory.delete(k)
      memoryBytes -= v.png.length
    }
  }

  async function photoUri (targetId: string): Promise<string | null> {
    const stored = await photo(targetId)
    if (!stored) return null
    const png = await sharp(stored.data).resize(256, 256, { fit: 'cover' }).png().toBuffer()
    return `data:image/png;base64,${png.toString('base64')}`
  }

  async function produce (c: CampaignData, d: Drawn, key: string, target: TargetData | undefined): Promise<Card> {
    const redisKey = `${prefix}:card:${c.id}:${d.version}`
    // Redis away: the card is drawn here, and kept in memory only.
    const stored = await redis.getBuffer(redisKey).catch(() => null)
    let card: Card
    if (stored) {
      counts.redisHits++
      card = { png: stored, etag: `"${d.version}"`, version: d.version }
    } else {
      const png = await renderer.png(d.model, target?.photoUrl ? await photoUri(target.id) : null)
      counts.renders++
      card = { png, etag: `"${d.version}"`, version: d.version }
      await redis.set(redisKey, png, 'EX', redisTtlSeconds).catch(() => {})
    }
    remember(key, card)
    return card
  }

  return {
    /** The version of a card as it would be drawn now (for og:image URLs). */
    version (c: CampaignData, progress: Progress | undefined, req: CardRequest): string {
      return drawnOf(c, progress, req).version
    },

    /** The card's model (what it draws), e.g. for its alt text. */
    model (c: CampaignData, progress: Progress | undefined, req: CardRequest): CardModel {
      return drawnOf(c, progress, req).model
    },

    /** The card's PNG if it is in memory now, without waiting (a view's hot path). */
    peek (c: CampaignData, progress: Progress | undefined, req: CardRequest): Card | undefined {
      const key = `${c.id}:${drawnOf(c, progress, req).version}`
      const hit = memory.get(key)
      if (hit) {
        counts.memoryHits++
        // Move it last (most recently used) only now and then: a hot card needs no reordering on every view.
        if (counts.memoryHits % 64 === 0) remember(key, hit)
      }
      return hit
    },

    /** The card's PNG: from memory, else from Redis, else drawn (once for views arriving together). */
    async card (c: CampaignData, progress: Progress | undefined, req: CardRequest): Promise<Card> {
      const hit = this.peek(c, progress, req)
      if (hit) return hit
      const d = drawnOf(c, progress, req)
      const key = `${c.id}:${d.version}`
      let pending = rendering.get(key)
      if (!pending) {
        pending = produce(c, d, key, req.target).finally(() => rendering.delete(key))
        rendering.set(key, pending)
      }
      return pending
    },

    /** Cards drawn, and views served from memory and from Redis, since the process started. */
    stats (): { renders: number, memoryHits: number, redisHits: number, memoryBytes: number } {
      return { ...counts, memoryBytes }
    }
  }
}
