import type { Progress } from '../domain/progress.ts'
import type { Bus, Channels } from './bus.ts'
import type { ProgressMessage } from './progress-service.ts'

interface Entry { progress: Progress, json: string, frame: string }

/** Where an SSE stream writes; false from write means the socket buffer is full. */
export interface Sink { write: (chunk: string) => boolean, end: () => void }

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
  const sinks = new Map<string, Set<Sink>>()

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
    const set = sinks.get(campaignId)
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

  const heartbeat = setInterval(() => {
    for (const set of sinks.values()) for (const sink of set) sink.write(': ping\n\n')
  }, heartbeatMs)
  heartbeat.unref()

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

    /** The in-memory total, if known, without waiting. */
    peekTotal (campaignId: string): number | undefined {
      return entries.get(campaignId)?.progress.total
    },

    subscribe (campaignId: string, sink: Sink): () => void {
      let set = sinks.get(campaignId)
      if (!set) { set = new Set(); sinks.set(campaignId, set) }
      set.add(sink)
      return () => {
        set.delete(sink)
        if (set.size === 0) sinks.delete(campaignId)
      }
    },

    connections (): number {
      let n = 0
      for (const set of sinks.values()) n += set.size
      return n
    },

    /** Ends every open stream (shutdown). */
    close (): void {
      clearInterval(heartbeat)
      for (const set of sinks.values()) for (const sink of set) sink.end()
      sinks.clear()
    }
  }
}
