import type { AuthService } from './auth-service.ts'
import type { BusHandler } from './bus.ts'

export type SessionWatch = ReturnType<typeof createSessionWatch>

/**
 * Ends the long-lived admin responses (event streams) of a session once it is revoked: at once when the revocation is
 * announced on Redis, and, should that message be missed (Redis away), by a check of every watched session in one
 * query each interval (30 s: within a minute in every case).
 */
export function createSessionWatch ({ bus, channel, auth, intervalMs = 30_000 }: {
  bus: { on: (channel: string, handler: BusHandler) => Promise<void> }
  channel: string
  auth: Pick<AuthService, 'liveSessions'>
  intervalMs?: number
}) {
  const watched = new Map<string, Set<() => void>>()
  let timer: NodeJS.Timeout | null = null

  const end = (id: string) => {
    const set = watched.get(id)
    watched.delete(id)
    for (const stop of set ?? []) stop()
  }

  async function sweep (): Promise<void> {
    if (watched.size === 0) return
    const ids = [...watched.keys()]
    const live = await auth.liveSessions(ids).catch(() => null)
    if (live) for (const id of ids) if (!live.has(id)) end(id)
  }

  return {
    /** Subscribes to revocations and starts the periodic check. */
    async start (): Promise<void> {
      await bus.on(channel, (message) => {
        const ids = (message as { sessions?: unknown }).sessions
        if (Array.isArray(ids)) for (const id of ids) if (typeof id === 'string') end(id)
      })
      timer = setInterval(() => { sweep().catch(() => {}) }, intervalMs)
      timer.unref()
    },

    /** Calls stop() when the session ends; returns what forgets it (call it when the response closes). */
    watch (sessionId: string, stop: () => void): () => void {
      let set = watched.get(sessionId)
      if (!set) { set = new Set(); watched.set(sessionId, set) }
      set.add(stop)
      return () => {
        const s = watched.get(sessionId)
        s?.delete(stop)
        if (s?.size === 0) watched.delete(sessionId)
      }
    },

    close (): void {
      if (timer) clearInterval(timer)
      watched.clear()
    }
  }
}
