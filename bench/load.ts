import { execFile } from 'node:child_process'
import { access, constants } from 'node:fs/promises'
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

/** The load generators a throughput comparison can use. */
export type Client = 'autocannon' | 'wrk'

/** A closed-loop throughput measurement: `connections` requests in flight for durationS seconds. */
export type Throughput = (t: Target, connections: number, durationS: number) => Promise<LoadResult>

/** The path of wrk when it is installed (Debian: apt-get install wrk), else null. */
export async function findWrk (): Promise<string | null> {
  for (const dir of (process.env.PATH ?? '').split(':').filter(Boolean)) {
    const path = `${dir}/wrk`
    if (await access(path, constants.X_OK).then(() => true, () => false)) return path
  }
  return null
}

const UNITS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 }
const toMs = (value: string, unit: string): number => Number(value) * (UNITS[unit] ?? Number.NaN)

/** Reads wrk's report (run with --latency). Exported for its test. */
export function parseWrk (out: string, ok: string): LoadResult {
  const num = (re: RegExp): number => Number(re.exec(out)?.[1] ?? Number.NaN)
  const done = /(\d+) requests in ([\d.]+)(us|ms|s|m),/.exec(out)
  if (!done) throw new Error(`wrk printed no result:\n${out}`)
  const requests = Number(done[1])
  const seconds = toMs(done[2]!, done[3]!) / 1000
  const bad = /Non-2xx or 3xx responses: (\d+)/.test(out) ? num(/Non-2xx or 3xx responses: (\d+)/) : 0
  const errors = [...(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)?.slice(1) ?? [])].reduce((a, b) => a + Number(b), 0)
  const at = (p: number): number => {
    const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(out)
    return m ? toMs(m[1]!, m[2]!) : Number.NaN
  }
  const max = /Latency\s+[\d.]+\w+\s+[\d.]+\w+\s+([\d.]+)(us|ms|s|m)/.exec(out)
  // wrk counts 2xx and 3xx together: the route measured answers no redirect (the bench checks it before).
  const statuses: Record<string, number> = { [ok]: requests - bad }
  if (bad > 0) statuses['non-2xx/3xx'] = bad
  return {
    rps: (requests - bad) / seconds,
    requests,
    statuses,
    errors,
    latency: { p50: at(50), p90: at(90), p99: at(99), max: max ? toMs(max[1]!, max[2]!) : Number.NaN, count: requests }
  }
}

/**
 * The same closed loop with wrk (one thread): a C client that costs the machine far less per response than
 * autocannon, whose JavaScript parsing of large bodies would otherwise be what the page measurement measures.
 * GET only (a fresh body per request would need a Lua script).
 */
export function wrkThroughput (wrk: string, ok: string): Throughput {
  return async (t, connections, durationS) => {
    if (t.method !== 'GET') throw new Error('wrkThroughput measures GET requests only')
    const args = ['-t1', `-c${connections}`, `-d${durationS}s`, '--timeout', '10s', '--latency']
    for (const [k, v] of Object.entries(t.headers ?? {})) args.push('-H', `${k}: ${v}`)
    args.push(`${t.origin}${t.path}`)
    const out = await new Promise<string>((resolve, reject) => execFile(wrk, args, { timeout: (durationS + 30) * 1000 }, (err, stdout, stderr) => err ? reject(new Error(`wrk: ${err.message}\n${stderr}`)) : resolve(stdout)))
    return parseWrk(out, ok)
  }
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
