import http from 'node:http'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { percentiles, type Percentiles } from './stats.ts'

/** An open GET /c/:slug/events stream that remembers the highest total it was told. */
interface SseClient {
  total: number
  frames: number
  onTotal: ((total: number, at: number) => void) | null
  close: () => void
}

/** Opens an SSE stream and parses its `event: progress` frames (absolute totals). Resolves on the first frame. */
export function openSse (origin: string, path: string): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const client: SseClient = { total: -1, frames: 0, onTotal: null, close: () => req.destroy() }
    let buffer = ''
    const req = http.get(`${origin}${path}`, { headers: { accept: 'text/event-stream' }, agent: false }, (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`GET ${path}: ${res.statusCode}`))
        res.resume()
        return
      }
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        const at = performance.now()
        buffer += chunk
        let cut
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, cut)
          buffer = buffer.slice(cut + 2)
          let event = 'message'
          const data: string[] = []
          for (const line of frame.split('\n')) {
            if (line.startsWith('event:')) event = line.slice(6).trim()
            else if (line.startsWith('data:')) data.push(line.slice(5).trimStart())
          }
          if (event !== 'progress' || data.length === 0) continue
          const total = Number((JSON.parse(data.join('\n')) as { total?: unknown }).total)
          if (!Number.isFinite(total)) continue
          client.frames++
          if (total > client.total) client.total = total
          if (client.frames === 1) resolve(client)
          client.onTotal?.(total, at)
        }
      })
    })
    req.on('error', (err) => { if (client.frames === 0) reject(err) })
  })
}

/** What the click → event measurement found. */
export interface SseResult {
  clients: number
  actions: number
  /** actions whose total did not reach every client before the end */
  missing: number
  failedPosts: number
  /** POST sent → first client told a total that includes it (ms) */
  first: Percentiles
  /** POST sent → every client told (ms) */
  all: Percentiles
}

/**
 * Opens `clients` streams, then sends one action every intervalMs for durationS seconds (send() does the POST and
 * says whether it was accepted) and times, per action, POST → a progress frame whose total counts it. The campaign
 * must be quiet: `base` is its total before the first send.
 */
export async function clickToEvent ({ origin, path, clients: n, intervalMs, durationS, base, send, openBatch = 500, afterOpen }: {
  origin: string
  path: string
  clients: number
  /** streams opened at once (thousands at once would overflow the server's listen backlog) */
  openBatch?: number
  /** called once every stream is open, before the first send */
  afterOpen?: () => Promise<void>
  intervalMs: number
  durationS: number
  base: () => Promise<number>
  send: () => Promise<boolean>
}): Promise<SseResult> {
  const clients: SseClient[] = []
  try {
    for (let i = 0; i < n; i += openBatch) {
      clients.push(...await Promise.all(Array.from({ length: Math.min(openBatch, n - i) }, () => openSse(origin, path))))
    }
    await afterOpen?.()
    const start = await base()
    interface Pending { expected: number, sentAt: number, seen: number, first: number, all: number }
    const pending: Pending[] = []
    for (const c of clients) {
      const seenBy = new WeakSet<Pending>()
      c.onTotal = (total, at) => {
        for (const p of pending) {
          if (p.expected > total || seenBy.has(p)) continue
          seenBy.add(p)
          p.seen++
          if (p.seen === 1) p.first = at - p.sentAt
          if (p.seen === n) p.all = at - p.sentAt
        }
      }
    }

    const count = Math.floor((durationS * 1000) / intervalMs)
    let accepted = 0
    let failedPosts = 0
    const t0 = performance.now()
    for (let i = 0; i < count; i++) {
      const wait = t0 + i * intervalMs - performance.now()
      if (wait > 0) await sleep(wait)
      const p: Pending = { expected: start + accepted + 1, sentAt: performance.now(), seen: 0, first: Number.NaN, all: Number.NaN }
      pending.push(p)
      if (await send()) accepted++
      else { failedPosts++; pending.pop() }
    }
    // Give the last actions time to be tallied and published.
    const deadline = performance.now() + 5_000
    while (pending.some((p) => p.seen < n) && performance.now() < deadline) await sleep(50)

    const done = pending.filter((p) => p.seen === n)
    return {
      clients: n,
      actions: pending.length,
      missing: pending.length - done.length,
      failedPosts,
      first: percentiles(pending.filter((p) => p.seen > 0).map((p) => p.first)),
      all: percentiles(done.map((p) => p.all))
    }
  } finally {
    for (const c of clients) c.close()
  }
}
