import { readdir, readFile } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'

/** Above this share of all CPUs used by other workloads, the figures are unreliable (this is a shared 2-core box). */
export const BUSY_THRESHOLD = 0.1

interface Totals { busy: number, total: number, irq: number }

async function cpuTotals (): Promise<Totals | null> {
  try {
    const v = ((await readFile('/proc/stat', 'utf8')).split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number)
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0)
    return { busy: total - (v[3] ?? 0) - (v[4] ?? 0), total, irq: (v[5] ?? 0) + (v[6] ?? 0) }
  } catch {
    return null
  }
}

/** The share (0–1) of all CPUs busy during the next ms, from /proc/stat; null where that is not readable. */
export async function cpuBusy (ms = 1000): Promise<number | null> {
  const a = await cpuTotals()
  await sleep(ms)
  const b = await cpuTotals()
  return a && b && b.total > a.total ? (b.busy - a.busy) / (b.total - a.total) : null
}

/** Waits (up to maxMs) until the machine is quiet while the bench's servers idle; returns the last busy share seen. */
export async function waitForQuiet (maxMs: number): Promise<number | null> {
  const deadline = Date.now() + maxMs
  let busy = await cpuBusy()
  while (busy !== null && busy > BUSY_THRESHOLD && Date.now() < deadline) busy = await cpuBusy()
  return busy
}

interface Proc { ppid: number, ticks: number, comm: string, cmdline: string }

async function processes (): Promise<Map<number, Proc>> {
  const out = new Map<number, Proc>()
  for (const name of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = await readFile(`/proc/${name}/stat`, 'utf8')
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
      const cmdline = comm === 'postgres' ? (await readFile(`/proc/${name}/cmdline`, 'utf8')).replaceAll('\0', ' ') : ''
      // The bench's own line also holds its children that have ended (a wrk run): their time is ours too.
      const ended = Number(name) === process.pid ? Number(f[13]) + Number(f[14]) : 0
      out.set(Number(name), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) + ended, comm, cmdline })
    } catch {
      // the process ended meanwhile
    }
  }
  return out
}

/** Ours: the bench and its descendants, Redis, PostgreSQL's shared processes and its backends on our databases. */
function ours (procs: Map<number, Proc>, dbPrefix: string): Set<number> {
  const mine = new Set<number>([process.pid])
  for (let grew = true; grew;) {
    grew = false
    for (const [pid, p] of procs) if (!mine.has(pid) && mine.has(p.ppid)) { mine.add(pid); grew = true }
  }
  for (const [pid, p] of procs) {
    if (p.comm === 'redis-server') mine.add(pid)
    if (p.comm === 'postgres' && (p.cmdline.includes(dbPrefix) || !/\d\)|\[local\]/.test(p.cmdline))) mine.add(pid)
  }
  return mine
}

/** Starts measuring the CPU that other workloads use; stop() returns their share (0–1) of all CPUs, or null off Linux. */
export async function foreignCpuMeter (dbPrefix: string): Promise<{ stop: () => Promise<number | null> }> {
  const [t0, p0] = await Promise.all([cpuTotals(), processes()])
  return {
    async stop () {
      const [t1, p1] = await Promise.all([cpuTotals(), processes()])
      if (!t0 || !t1 || t1.total <= t0.total || p1.size === 0) return null
      let mine = 0
      for (const pid of ours(p1, dbPrefix)) mine += (p1.get(pid)?.ticks ?? 0) - (p0.get(pid)?.ticks ?? 0)
      // Interrupt time (loopback networking, mostly ours) is not charged to processes: leave it out.
      const foreign = (t1.busy - t0.busy) - (t1.irq - t0.irq) - mine
      return Math.max(0, foreign / (t1.total - t0.total))
    }
  }
}

/** Keeps the bench honest on a shared machine: waits for quiet (within a total budget), meters others' CPU. */
export function noiseGuard (quietBudgetMs: number) {
  const warnings: string[] = []
  let budget = quietBudgetMs
  return {
    warnings,
    /** Waits (while the bench's servers idle) for other workloads to calm down, within what is left of the budget. */
    async quiet (): Promise<void> {
      const started = Date.now()
      await waitForQuiet(Math.max(0, budget))
      budget -= Date.now() - started
    },
    /** Runs fn and returns its value with the share of all CPUs other processes used meanwhile. */
    async meter<T> (fn: () => Promise<T>): Promise<T & { foreignCpu: number | null }> {
      const meter = await foreignCpuMeter('bouteille_bench_')
      const value = await fn()
      return { ...value, foreignCpu: await meter.stop() }
    },
    /** Whether other processes used enough CPU during a measurement to spoil it. */
    disturbed: (foreignCpu: number | null): boolean => foreignCpu !== null && foreignCpu > BUSY_THRESHOLD,
    /** Notes that a figure kept in the results was disturbed. */
    warn (label: string, foreignCpu: number | null): void {
      warnings.push(`${label}: other processes used ${Math.round((foreignCpu ?? 0) * 100)} % of the CPUs during it`)
    }
  }
}

export type NoiseGuard = ReturnType<typeof noiseGuard>
