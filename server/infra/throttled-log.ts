import type { Logger } from '../deps.ts'

/**
 * A warning per kind of failure at most once per interval (an outage fails every request the same way: one line
 * says so, with how many were left out since the last one), instead of a line or a stack trace per request.
 */
export function createThrottledLog (log: Pick<Logger, 'warn'>, intervalMs = 10_000, now = Date.now) {
  const kinds = new Map<string, { at: number, skipped: number }>()
  return (kind: string, message: string): void => {
    const t = now()
    const seen = kinds.get(kind)
    if (seen && t - seen.at < intervalMs) {
      seen.skipped++
      return
    }
    const skipped = seen?.skipped ?? 0
    kinds.set(kind, { at: t, skipped: 0 })
    log.warn(skipped > 0 ? `${message} (${skipped} more like it in the last ${Math.round((t - seen!.at) / 1000)} s)` : message)
  }
}

export type ThrottledLog = ReturnType<typeof createThrottledLog>
