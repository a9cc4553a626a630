import type { Redis } from 'ioredis'

/** Redis pub/sub channels, prefixed so several installations can share one Redis. */
export function channels (prefix: string) {
  return {
    progress: `${prefix}:progress`,
    // figures only the dashboard shows changed (a "Did you post it?" answer): open dashboards read again
    dashboard: `${prefix}:dashboard`,
    campaigns: `${prefix}:campaigns`,
    bottle: `${prefix}:bottle`,
    // a member's campaign grants changed: web processes end the streams they may no longer read
    access: `${prefix}:access`
  }
}

export type Channels = ReturnType<typeof channels>

export type BusHandler = (message: unknown) => void

/** One subscriber connection per process, dispatching JSON messages by channel; handlers also hear when the connection comes back (messages may have been missed). */
export function createBus (subscriber: Redis) {
  const handlers = new Map<string, Set<BusHandler>>()
  const reconnectHandlers = new Set<() => void>()
  // deps connects the subscriber before the bus exists: its first 'ready' has already passed, so the next one is a reconnect.
  let readyOnce = subscriber.status === 'ready'

  subscriber.on('message', (channel: string, raw: string) => {
    const set = handlers.get(channel)
    if (!set) return
    let parsed: unknown
    try { parsed = JSON.parse(raw) } catch { return }
    for (const h of set) h(parsed)
  })
  subscriber.on('ready', () => {
    if (readyOnce) for (const h of reconnectHandlers) h()
    readyOnce = true
  })

  return {
    async on (channel: string, handler: BusHandler): Promise<void> {
      let set = handlers.get(channel)
      if (!set) {
        set = new Set()
        handlers.set(channel, set)
        await subscriber.subscribe(channel)
      }
      set.add(handler)
    },
    onReconnect (handler: () => void): void {
      reconnectHandlers.add(handler)
    }
  }
}

export type Bus = ReturnType<typeof createBus>
