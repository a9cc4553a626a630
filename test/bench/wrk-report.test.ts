import { describe, expect, it } from 'vitest'
import { parseWrk } from '../../bench/load.ts'

const CLEAN = `Running 2s test @ http://127.0.0.1:4102/hello
  1 threads and 10 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   259.78us  318.26us   6.86ms   97.53%
    Req/Sec    43.40k     8.63k   64.68k    85.71%
  Latency Distribution
     50%  211.00us
     75%  263.00us
     90%  385.00us
     99%    1.26ms
  90351 requests in 2.10s, 15.17MB read
Requests/sec:  43027.01
Transfer/sec:      7.22MB
`

describe('reading wrk’s report', () => {
  it('takes the requests, the rate and the latency percentiles in milliseconds', () => {
    const r = parseWrk(CLEAN, '200')
    expect(r.requests).toBe(90351)
    expect(r.rps).toBeCloseTo(90351 / 2.1, 3)
    expect(r.statuses).toEqual({ 200: 90351 })
    expect(r.errors).toBe(0)
    expect(r.latency).toEqual({ p50: 0.211, p90: 0.385, p99: 1.26, max: 6.86, count: 90351 })
  })

  it('counts refused answers and socket errors apart, and only the good answers in the rate', () => {
    const out = CLEAN.replace('  90351 requests in 2.10s, 15.17MB read\n', '  90351 requests in 2.10s, 15.17MB read\n  Socket errors: connect 0, read 3, write 1, timeout 2\n  Non-2xx or 3xx responses: 351\n')
      .replace('     99%    1.26ms', '     99%    1.02s')
    const r = parseWrk(out, '200')
    expect(r.statuses).toEqual({ 200: 90000, 'non-2xx/3xx': 351 })
    expect(r.errors).toBe(6)
    expect(r.rps).toBeCloseTo(90000 / 2.1, 3)
    expect(r.latency.p99).toBe(1020)
  })

  it('says so when wrk printed no result', () => {
    expect(() => parseWrk('unable to connect to 127.0.0.1:1 Connection refused', '200')).toThrow(/wrk printed no result/)
  })
})
