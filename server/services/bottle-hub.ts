import type { Bus, Channels } from './bus.ts'
import type { WallItem } from '../repos/bottle-repo.ts'
import { createStreamSet, type Sink } from './stream-set.ts'

/** A wall item as it travels on the bus and in SSE frames (dates as ISO strings). */
export type WallEventItem = Omit<WallItem, 'createdAt'> & { createdAt: string }

/** A message taken off the wall, with what the streams filter on. */
export interface RemovedItem { id: number, targetId: string, locale: string }

/** What a moderation publishes: messages new on the wall, messages on it that changed (featured), and messages taken off. */
export interface BottleEvent { campaignId: string, approved: WallEventItem[], updated: WallEventItem[], removed: RemovedItem[] }

/** An open wall stream and the filters of its page. */
export interface WallSink extends Sink { targetId?: string, locale?: string }

export type BottleHub = ReturnType<typeof createBottleHub>

/**
 * The web side of the live wall: moderation events from Redis pub/sub, written to the open SSE streams of the
 * campaign whose filters they match. Subscribes on the first stream, so a process that serves no wall pays nothing.
 */
export function createBottleHub ({ bus, channels, heartbeatMs = 25_000 }: { bus: Bus, channels: Channels, heartbeatMs?: number }) {
  const streams = createStreamSet<WallSink>(heartbeatMs)
  let started: Promise<void> | null = null
  const listeners = new Set<(campaignId: string) => void>()

  function fanOut (e: BottleEvent): void {
    const set = streams.get(e.campaignId)
    if (!set) return
    const frames: Array<{ item: { targetId: string, locale: string }, frame: string }> = [
      ...e.approved.map((item) => ({ item, frame: `event: approved\ndata: ${JSON.stringify(item)}\n\n` })),
      ...e.updated.map((item) => ({ item, frame: `event: updated\ndata: ${JSON.stringify(item)}\n\n` })),
      ...e.removed.map((item) => ({ item, frame: `event: removed\ndata: ${JSON.stringify(item)}\n\n` }))
    ]
    for (const sink of set) {
      for (const { item, frame } of frames) {
        if ((sink.targetId && sink.targetId !== item.targetId) || (sink.locale && sink.locale !== item.locale)) continue
        sink.write(frame)
      }
    }
  }

  return {
    /** Subscribes to the bottle channel (once); resolves when events will be heard. */
    ready (): Promise<void> {
      started ??= bus.on(channels.bottle, (message) => {
        const e = message as BottleEvent
        if (typeof e?.campaignId !== 'string' || !Array.isArray(e.approved) || !Array.isArray(e.updated) || !Array.isArray(e.removed)) return
        for (const l of listeners) l(e.campaignId)
        fanOut(e)
      }).then(() => {
        // Events published while the subscription was down are lost: open walls read their page again.
        bus.onReconnect(() => {
          for (const campaignId of streams.campaigns()) {
            for (const l of listeners) l(campaignId)
            for (const sink of streams.get(campaignId) ?? []) sink.write('event: resync\ndata: {}\n\n')
          }
        })
      }).catch((err: unknown) => {
        started = null
        throw err
      })
      return started
    },

    /** Calls back on every moderation event heard (once subscribed), with its campaign. */
    onEvent (listener: (campaignId: string) => void): void {
      listeners.add(listener)
    },

    subscribe: streams.subscribe,
    connections: streams.connections,

    /** Ends every open stream (shutdown). */
    close (): void {
      streams.close()
    }
  }
}
