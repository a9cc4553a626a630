import type { CampaignData, CampaignRepo } from '../repos/campaign-repo.ts'
import type { Bus, Channels } from './bus.ts'

interface Cached { data: CampaignData | null, at: number }

export type CampaignCatalog = ReturnType<typeof createCampaignCatalog>

/**
 * The web side's copy of public campaign content, keyed by slug. Edits announce themselves on the bus;
 * entries also refresh in the background after ttlMs, so a missed announcement heals by itself.
 */
export function createCampaignCatalog ({ repo, bus, channels, ttlMs = 30_000, missTtlMs = 5_000, maxEntries = 2_000, now = Date.now }: {
  repo: Pick<CampaignRepo, 'findBySlug' | 'listPublic'>
  bus: Bus
  channels: Channels
  ttlMs?: number
  missTtlMs?: number
  maxEntries?: number
  now?: () => number
}) {
  const bySlug = new Map<string, Cached>()
  const loading = new Map<string, Promise<CampaignData | null>>()
  // Bumped by every announcement: a read that started before one may hold the old content and must not be kept.
  let epoch = 0

  function load (slug: string): Promise<CampaignData | null> {
    let p = loading.get(slug)
    if (!p) {
      const started = epoch
      const pending: Promise<CampaignData | null> = repo.findBySlug(slug).then((data) => {
        if (started !== epoch) return data
        // Unknown slugs are remembered briefly; a flood of made-up ones must not grow the map without bound.
        if (bySlug.size >= maxEntries) for (const [k, v] of bySlug) if (!v.data) bySlug.delete(k)
        bySlug.set(slug, { data, at: now() })
        return data
      }).finally(() => { if (loading.get(slug) === pending) loading.delete(slug) })
      loading.set(slug, pending)
      p = pending
    }
    return p
  }

  function forget (slug: string): void {
    epoch++
    bySlug.delete(slug)
    loading.delete(slug)
  }

  function peek (slug: string): CampaignData | null | undefined {
    const hit = bySlug.get(slug)
    if (!hit) return undefined
    if (now() - hit.at < (hit.data ? ttlMs : missTtlMs)) return hit.data
    if (!hit.data) return undefined
    load(slug).catch(() => {})
    return hit.data
  }

  return {
    async start (): Promise<void> {
      await bus.on(channels.campaigns, (message) => {
        const m = message as { slug?: unknown, previousSlug?: unknown }
        if (typeof m.slug === 'string') forget(m.slug)
        if (typeof m.previousSlug === 'string') forget(m.previousSlug)
      })
      bus.onReconnect(() => {
        epoch++
        bySlug.clear()
        loading.clear()
      })
    },

    /**
     * The campaign from memory without waiting: null for a slug known to be unknown, undefined when it has to be
     * read (get() does). Content past its time is still served, and refreshed behind the response.
     */
    peek,

    async get (slug: string): Promise<CampaignData | null> {
      const known = peek(slug)
      return known !== undefined ? known : load(slug)
    },

    /** Campaigns shown on the home page (live first). */
    async listPublic (): Promise<CampaignData[]> {
      const started = epoch
      const list = await repo.listPublic()
      if (started === epoch) for (const c of list) bySlug.set(c.slug, { data: c, at: now() })
      return list
    },

    forget
  }
}
