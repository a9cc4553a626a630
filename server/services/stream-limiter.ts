import { addressGroup } from '../domain/network-address.ts'

export type StreamLimiter = ReturnType<typeof createStreamLimiter>

/**
 * Counts the event streams open on this web process, per address (an IPv6 /64) and in all: one client cannot hold
 * every file descriptor. In memory: a stream lives on one process, so its count does too.
 */
export function createStreamLimiter ({ perAddress, perProcess }: { perAddress: number, perProcess: number }) {
  const open = new Map<string, number>()
  let total = 0
  return {
    /** Takes a slot for a stream from address: the release function (call it once, when the stream ends), or null when full. */
    acquire (address: string): (() => void) | null {
      const key = addressGroup(address)
      const mine = open.get(key) ?? 0
      if (mine >= perAddress || total >= perProcess) return null
      open.set(key, mine + 1)
      total++
      let released = false
      return () => {
        if (released) return
        released = true
        total--
        const left = (open.get(key) ?? 1) - 1
        if (left > 0) open.set(key, left)
        else open.delete(key)
      }
    },
    /** Streams open now, in all. */
    get size (): number { return total }
  }
}
