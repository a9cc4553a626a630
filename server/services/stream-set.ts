/** Where an SSE stream writes; false from write means the socket buffer is full. */
export interface Sink { write: (chunk: string) => boolean, end: () => void }

/**
 * The open SSE streams of a web process, per campaign, with the heartbeat that keeps proxies from closing idle ones.
 * Shared by the live progress, the wall and the dashboard hubs.
 */
export function createStreamSet<S extends Sink> (heartbeatMs: number) {
  const sinks = new Map<string, Set<S>>()
  const heartbeat = setInterval(() => {
    for (const set of sinks.values()) for (const sink of set) sink.write(': ping\n\n')
  }, heartbeatMs)
  heartbeat.unref()

  return {
    /** The open streams of a campaign, if any. */
    get: (campaignId: string): Set<S> | undefined => sinks.get(campaignId),
    has: (campaignId: string): boolean => sinks.has(campaignId),
    /** The campaigns that have open streams. */
    campaigns: (): IterableIterator<string> => sinks.keys(),

    /** Adds an open stream; returns what removes it. */
    subscribe (campaignId: string, sink: S): () => void {
      let set = sinks.get(campaignId)
      if (!set) { set = new Set(); sinks.set(campaignId, set) }
      set.add(sink)
      return () => {
        set.delete(sink)
        if (set.size === 0 && sinks.get(campaignId) === set) sinks.delete(campaignId)
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
