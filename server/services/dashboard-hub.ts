import type { Bus, Channels } from './bus.ts'
import { createStreamSet, type Sink } from './stream-set.ts'
import type { Dashboard } from './dashboard-service.ts'
import type { ProgressMessage } from './progress-service.ts'

interface Entry { data: Dashboard, json: string, frame: string, at: number }

export type DashboardHub = ReturnType<typeof createDashboardHub>

/**
 * The web side's live dashboards. One read per campaign per progress event, whatever the number of viewers:
 * every open stream of a campaign gets the same document, and page or JSON requests share it while it is fresh
 * (maxAgeMs; the per-minute chart moves with the clock, so a quiet campaign is re-read every tickMs while watched).
 */
export function createDashboardHub ({ bus, channels, read, maxAgeMs = 2_000, tickMs = 20_000, heartbeatMs = 25_000 }: {
  bus: Bus
  channels: Channels
  read: (campaignId: string) => Promise<Dashboard | null>
  maxAgeMs?: number
  tickMs?: number
  heartbeatMs?: number
}) {
  const entries = new Map<string, Entry>()
  const loading = new Map<string, Promise<Entry | null>>()
  // Campaigns that changed while a read was running: read once more when it ends.
  const dirty = new Set<string>()
  const streams = createStreamSet<Sink>(heartbeatMs)
  let started: Promise<void> | null = null

  function fanOut (campaignId: string, entry: Entry): void {
    const set = streams.get(campaignId)
    if (set) for (const sink of set) sink.write(entry.frame)
  }

  function load (campaignId: string): Promise<Entry | null> {
    let p = loading.get(campaignId)
    if (!p) {
      p = read(campaignId).then((data) => {
        if (!data) { entries.delete(campaignId); return null }
        const json = JSON.stringify(data)
        const entry = { data, json, frame: `event: dashboard\ndata: ${json}\n\n`, at: Date.now() }
        entries.set(campaignId, entry)
        fanOut(campaignId, entry)
        return entry
      }).finally(() => {
        loading.delete(campaignId)
        if (dirty.delete(campaignId)) refresh(campaignId)
      })
      loading.set(campaignId, p)
    }
    return p
  }

  function refresh (campaignId: string): void {
    if (!streams.has(campaignId)) {
      // Nobody watches: forget the copy, the next request reads afresh.
      entries.delete(campaignId)
      return
    }
    if (loading.has(campaignId)) { dirty.add(campaignId); return }
    load(campaignId).catch(() => {})
  }

  function start (): Promise<void> {
    started ??= (async () => {
      await bus.on(channels.progress, (message) => {
        const m = message as ProgressMessage
        if (typeof m?.campaignId === 'string') refresh(m.campaignId)
      })
      await bus.on(channels.dashboard, (message) => {
        const m = message as { campaignId?: unknown }
        if (typeof m?.campaignId === 'string') refresh(m.campaignId)
      })
      bus.onReconnect(() => { for (const id of streams.campaigns()) refresh(id) })
    })()
    return started
  }

  const tick = setInterval(() => { for (const id of streams.campaigns()) refresh(id) }, tickMs)
  tick.unref()

  return {
    /** The campaign's dashboard: the shared copy while it is fresh or watched, else one read shared by concurrent callers. */
    async get (campaignId: string): Promise<Entry | null> {
      await start()
      const e = entries.get(campaignId)
      if (e && (streams.has(campaignId) || Date.now() - e.at < maxAgeMs)) return e
      return load(campaignId)
    },

    /** Drops the shared copy after a change outside the counters (the plan); open streams get a fresh one. */
    async invalidate (campaignId: string): Promise<void> {
      entries.delete(campaignId)
      if (streams.has(campaignId)) await load(campaignId).catch(() => null)
    },

    /** Adds an open stream; it hears every new document of the campaign. */
    subscribe: streams.subscribe,
    connections: streams.connections,

    /** Ends every open stream (shutdown). */
    close (): void {
      clearInterval(tick)
      streams.close()
    }
  }
}
