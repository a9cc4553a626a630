/** The median of a list of numbers (NaN when empty). */
export function median (values: number[]): number {
  return percentile(values, 50)
}

/** The p-th percentile (nearest rank) of a list of numbers (NaN when empty). */
export function percentile (values: number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!
}

/** p50, p90, p99 and max of a list of latencies. */
export interface Percentiles { p50: number, p90: number, p99: number, max: number, count: number }

/** The usual latency percentiles of a list of numbers. */
export function percentiles (values: number[]): Percentiles {
  return {
    p50: percentile(values, 50),
    p90: percentile(values, 90),
    p99: percentile(values, 99),
    max: values.length ? Math.max(...values) : Number.NaN,
    count: values.length
  }
}
