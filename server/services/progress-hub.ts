import type { Progress } from '../domain/progress.ts'
import type { Bus, Channels } from './bus.ts'
import type { ProgressMessage } from './progress-service.ts'
import { createStreamSet, type Sink } from './stream-set.ts'

interface Entry { progress: Progress, json: string, frame: string }

export type { Sink } from './stream-set.ts'

export type ProgressHub = ReturnType<typeof createProgressHub>

/**
 * The web side's live progress: the latest document per campaign in memory, fanned out to open SSE streams.
 * Viewers read memory only; the database is read once per campaign to fill it, and again after Redis comes back.
 */
export function createProgressHub ({ bus, channels, read, heartbeatMs = 25_000 }: {
  bus: Bus
  channels: Channels
  read: (campaignId: string) => Promise<Progress | null>
  heartbeatMs?: number
}) {
  const entries = new Map<string, Entry>()
  const loading = new Map<string, Promise<Entry | null>>()
  const streams = createStreamSet<Sink>(heartbeatMs)

  function store (campaignId: string, progress: Progress): Entry {
    const current = entries.get(campaignId)
    // Pub/sub and a database fill may cross: the newer document wins.
    if (current && current.progress.updatedAt > progress.updatedAt) return current
    const json = JSON.stringify(progress)
    const entry = { progress, json, frame: `event: progress\ndata: ${json}\n\n` }
    entries.set(campaignId, entry)
    return entry
  }

  function fanOut (campaignId: string, entry: Entry): void {
    const set = streams.get(campaignId)
    if (!set) return
    for (const sink of set) sink.write(entry.frame)
  }

  async function load (campaignId: string): Promise<Entry | null> {
    let p = loading.get(campaignId)
    if (!p) {
      p = read(campaignId).then((progress) => progress ? store(campaignId, progress) : null).finally(() => loading.delete(campaignId))
      loading.set(campaignId, p)
    }
    return p
  }

  return {
    async start (): Promise<void> {
      await bus.on(channels.progress, (message) => {
        const m = message as ProgressMessage
        if (typeof m?.campaignId !== 'string' || !m.progress) return
        const before = entries.get(m.campaignId)
        const entry = store(m.campaignId, m.progress)
        if (entry !== before) fanOut(m.campaignId, entry)
      })
      // Events published while the connection was down are lost: read the counters again.
      bus.onReconnect(() => {
        for (const id of entries.keys()) {
          read(id).then((progress) => {
            if (progress) fanOut(id, store(id, progress))
          }).catch(() => {})
        }
      })
    },

    /** The campaign's progress from memory (filled from the database the first time). */
    async get (campaignId: string): Promise<Entry | null> {
      return entries.get(campaignId) ?? load(campaignId)
    },

    /** The campaign's progress from memory, if it is there, without waiting. */
    peek (campaignId: string): Entry | undefined {
      return entries.get(campaignId)
    },

    /** The in-memory total, if known, without waiting. */
    peekTotal (campaignId: string): number | undefined {
      return entries.get(campaignId)?.progress.total
    },

    subscribe: streams.subscribe,
    connections: streams.connections,

    /** Writes one frame to every open stream of a campaign (a status change, say). */
    broadcast (campaignId: string, frame: string): void {
      const set = streams.get(campaignId)
      if (set) for (const sink of set) sink.write(frame)
    },

    /** Ends every open stream (shutdown). */
    close (): void {
      streams.close()
    }
  }
}
