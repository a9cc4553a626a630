import { maxThroughput, type Client, type LoadResult, type Target, type Throughput } from './load.ts'
import type { BenchOptions } from './options.ts'
import type { NoiseGuard } from './quiet.ts'
import { checkpoint } from './scratch.ts'
import { median } from './stats.ts'

/** A measurement, with the share of all CPUs that other processes used during it. */
export type Metered<T> = T & { foreignCpu: number | null }

/** One baseline-then-app pair of throughput measurements (and, after them, the optional reference route). */
export interface PairRun { baseline: Metered<LoadResult>, reference?: Metered<LoadResult>, app: Metered<LoadResult>, ratio: number, referenceRatio?: number }

/** A throughput comparison: every pair, and the medians (referenceRatio: app / the same bytes served by bare Fastify). */
export interface Comparison {
  runs: PairRun[]
  used: number
  baselineRps: number
  appRps: number
  ratio: number
  referenceRps?: number
  referenceRatio?: number
  target: number
  pass: boolean
  problems: string[]
  /** the load generator */
  client: Client
}

/** Progress lines go to stderr; the table goes to stdout. */
export const log = (line: string): void => { process.stderr.write(`${line}\n`) }
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US')

/** Describes the responses that did not have the expected status (null when all did). */
export function unexpected (r: LoadResult, ok: string): string | null {
  const other = Object.entries(r.statuses).filter(([code]) => code !== ok)
  if (other.length === 0 && r.errors === 0) return null
  return `${other.map(([code, n]) => `${n} × ${code}`).concat(r.errors ? [`${r.errors} errors`] : []).join(', ')} (of ${r.requests})`
}

/** Alternates baseline and app measurements (each after a warm-up) and reports the median ratio of the undisturbed pairs. */
export async function compare ({ name, opts, noise, baseline, reference, app, ok, target, between, client = 'autocannon', load = maxThroughput }: {
  name: string
  opts: BenchOptions
  noise: NoiseGuard
  baseline: Target
  /** measured between baseline and app, for information */
  reference?: Target
  app: Target
  /** the status every response must have */
  ok: string
  /** the least app/baseline ratio that passes */
  target: number
  /** run after each measurement (e.g. let the worker catch up) */
  between?: () => Promise<void>
  /** the load generator (autocannon unless told), and its closed-loop measurement */
  client?: Client
  load?: Throughput
}): Promise<Comparison> {
  const runs: PairRun[] = []
  const problems: string[] = []
  const clean = (): PairRun[] => runs.filter((r) => ![r.baseline, r.reference, r.app].some((m) => m && noise.disturbed(m.foreignCpu)))
  // A pair that another workload disturbed is measured again, a few times at most.
  for (let i = 0; clean().length < opts.runs && i < opts.runs + opts.extraRuns; i++) {
    const measure = async (t: Target, label: string): Promise<Metered<LoadResult>> => {
      await checkpoint()
      await noise.quiet()
      await load(t, opts.connections, opts.warmupS)
      const r = await noise.meter(() => load(t, opts.connections, opts.durationS))
      const bad = unexpected(r, ok)
      if (bad) problems.push(`${label} run ${i + 1}: ${bad}`)
      await between?.()
      return r
    }
    // The judged pair back to back (this machine's noise drifts over seconds), the reference after it.
    const b = await measure(baseline, 'baseline')
    const a = await measure(app, 'app')
    const ref = reference ? await measure(reference, 'reference') : undefined
    const ratio = a.rps / b.rps
    runs.push({ baseline: b, reference: ref, app: a, ratio, referenceRatio: ref ? a.rps / ref.rps : undefined })
    const others = Math.round(Math.max(b.foreignCpu ?? 0, ref?.foreignCpu ?? 0, a.foreignCpu ?? 0) * 100)
    log(`  ${name} ${i + 1}: baseline ${fmt(b.rps)} req/s,${ref ? ` same bytes ${fmt(ref.rps)} req/s,` : ''} app ${fmt(a.rps)} req/s → ${(ratio * 100).toFixed(1)} %${others > 0 ? ` (other processes: up to ${others} % CPU)` : ''}`)
  }
  let used = clean()
  if (used.length === 0) {
    used = runs
    for (const r of runs) noise.warn(`${name} pair ${runs.indexOf(r) + 1}`, Math.max(r.baseline.foreignCpu ?? 0, r.reference?.foreignCpu ?? 0, r.app.foreignCpu ?? 0))
  }
  const ratio = median(used.map((r) => r.ratio))
  return {
    runs,
    used: used.length,
    baselineRps: median(used.map((r) => r.baseline.rps)),
    appRps: median(used.map((r) => r.app.rps)),
    ratio,
    ...(reference ? { referenceRps: median(used.map((r) => r.reference!.rps)), referenceRatio: median(used.map((r) => r.referenceRatio!)) } : {}),
    target,
    pass: ratio >= target && problems.length === 0,
    problems,
    client
  }
}

/** Runs a single measurement, once more if another workload disturbed it (the better-behaved attempt is kept). */
export async function once<T> (label: string, opts: BenchOptions, noise: NoiseGuard, fn: () => Promise<T>): Promise<Metered<T>> {
  let r: Metered<T> | null = null
  for (let attempt = 0; attempt < (opts.extraRuns > 0 ? 2 : 1) && (r === null || noise.disturbed(r.foreignCpu)); attempt++) {
    await checkpoint()
    await noise.quiet()
    const next = await noise.meter(fn)
    if (r === null || (next.foreignCpu ?? 0) < (r.foreignCpu ?? 0)) r = next
  }
  if (noise.disturbed(r!.foreignCpu)) noise.warn(label, r!.foreignCpu)
  return r!
}
