import http from 'node:http'
import { performance } from 'node:perf_hooks'
import autocannon, { type Options, type Result } from 'autocannon'
import { percentiles, type Percentiles } from './stats.ts'

/** One HTTP request shape; body() is called for every request (fresh idempotency key). */
export interface Target {
  origin: string
  method: 'GET' | 'POST'
  path: string
  headers?: Record<string, string>
  body?: () => string
}

/** What a load run measured. */
export interface LoadResult {
  /** successful (2xx) responses per second */
  rps: number
  requests: number
  statuses: Record<string, number>
  errors: number
  latency: Percentiles
}

function autocannonOptions (t: Target, connections: number, durationS: number): Options {
  const body = t.body
  return {
    url: t.origin,
    connections,
    duration: durationS,
    timeout: 10,
    requests: [{
      method: t.method,
      path: t.path,
      headers: t.headers ?? {},
      ...(body ? { setupRequest: (req) => ({ ...req, body: body() }) } : {})
    }]
  }
}

function toLoadResult (r: Result): LoadResult {
  const statuses: Record<string, number> = {}
  for (const [code, { count }] of Object.entries(r.statusCodeStats ?? {})) statuses[code] = Number(count)
  const requests = Object.values(statuses).reduce((a, b) => a + b, 0)
  return {
    rps: r['2xx'] / r.duration,
    requests,
    statuses,
    errors: r.errors,
    latency: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max, count: requests }
  }
}

/** Closed loop at full speed with autocannon: `connections` requests in flight for durationS seconds. */
export async function maxThroughput (t: Target, connections: number, durationS: number): Promise<LoadResult> {
  return toLoadResult(await autocannon(autocannonOptions(t, connections, durationS)))
}

/**
 * autocannon's overallRate, as asked for in the brief. It is bursty: each connection sends its share of the second
 * back to back, then waits for the next second; its coordinated-omission correction uses 1/rate *milliseconds*
 * (a unit slip that adds low fake samples), so the correction is turned off and raw response times are reported.
 */
export async function autocannonRate (t: Target, connections: number, rate: number, durationS: number): Promise<LoadResult> {
  return toLoadResult(await autocannon({ ...autocannonOptions(t, connections, durationS), overallRate: rate, ignoreCoordinatedOmission: true }))
}

/** What an open-loop run measured: latency from the scheduled send time (no coordinated omission) and from the actual send. */
export interface PacedResult extends LoadResult { serviceLatency: Percentiles, sent: number, lateSends: number }

/**
 * Open loop: one request every 1000/rate ms on a keep-alive pool, whatever the answers do, for durationS seconds.
 * Latency is counted from when the request was due, so a stalled server cannot hide its queue (coordinated omission).
 */
export async function paced (t: Target, rate: number, durationS: number): Promise<PacedResult> {
  const url = new URL(t.origin)
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 })
  const total = Math.round(rate * durationS)
  const interval = 1000 / rate
  const statuses: Record<string, number> = {}
  const latencies: number[] = []
  const service: number[] = []
  let errors = 0
  let sent = 0
  let inFlight = 0
  let lateSends = 0
  let finished!: () => void
  const done = new Promise<void>((resolve) => { finished = resolve })

  const fire = (due: number): void => {
    const body = t.body?.()
    const started = performance.now()
    if (started - due > 5) lateSends++
    inFlight++
    const req = http.request({
      agent,
      host: url.hostname,
      port: url.port,
      method: t.method,
      path: t.path,
      headers: { ...t.headers, ...(body ? { 'content-length': Buffer.byteLength(body) } : {}) },
      timeout: 10_000
    }, (res) => {
      res.resume()
      res.on('end', () => {
        const end = performance.now()
        const code = String(res.statusCode)
        statuses[code] = (statuses[code] ?? 0) + 1
        latencies.push(end - due)
        service.push(end - started)
        settle()
      })
    })
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', () => { errors++; settle() })
    req.end(body)
  }
  const settle = (): void => {
    inFlight--
    if (sent === total && inFlight === 0) finished()
  }

  const start = performance.now()
  const tick = (): void => {
    const due = Math.min(total, Math.floor((performance.now() - start) / interval) + 1)
    while (sent < due) fire(start + sent++ * interval)
    if (sent < total) setTimeout(tick, 1)
    else if (inFlight === 0) finished()
  }
  tick()
  await done
  const elapsed = (performance.now() - start) / 1000
  agent.destroy()
  const ok = Object.entries(statuses).filter(([code]) => code.startsWith('2')).reduce((a, [, n]) => a + n, 0)
  return {
    rps: ok / elapsed,
    requests: latencies.length,
    statuses,
    errors,
    latency: percentiles(latencies),
    serviceLatency: percentiles(service),
    sent,
    lateSends
  }
}
