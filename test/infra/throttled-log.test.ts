import { describe, expect, it } from 'vitest'
import { createThrottledLog } from '../../server/infra/throttled-log.ts'

describe('warnings during an outage', () => {
  it('says each kind of failure once per interval, then how many were left out', () => {
    const lines: string[] = []
    let now = 0
    const warn = createThrottledLog({ warn: (m) => lines.push(m) }, 10_000, () => now)
    for (let i = 0; i < 500; i++) { warn('postgres', 'PostgreSQL: connection refused'); now += 10 }
    warn('redis', 'Redis: connection refused')
    expect(lines).toEqual(['PostgreSQL: connection refused', 'Redis: connection refused'])
    now = 10_000
    warn('postgres', 'PostgreSQL: connection refused')
    expect(lines.at(-1)).toBe('PostgreSQL: connection refused (499 more like it in the last 10 s)')
    now = 30_000
    warn('postgres', 'PostgreSQL: back to one')
    expect(lines.at(-1)).toBe('PostgreSQL: back to one')
    expect(lines).toHaveLength(4)
  })
})
