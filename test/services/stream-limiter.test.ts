import { describe, expect, it } from 'vitest'
import { createStreamLimiter } from '../../server/services/stream-limiter.ts'

describe('stream limiter', () => {
  it('gives an address its slots up to the cap, and one more once a stream ends', () => {
    const limiter = createStreamLimiter({ perAddress: 2, perProcess: 100 })
    const a = limiter.acquire('203.0.113.1')
    const b = limiter.acquire('203.0.113.1')
    expect(a && b).toBeTruthy()
    expect(limiter.acquire('203.0.113.1')).toBeNull()
    expect(limiter.acquire('203.0.113.2')).not.toBeNull()
    a!()
    expect(limiter.acquire('203.0.113.1')).not.toBeNull()
  })

  it('counts an IPv6 /64 as one address', () => {
    const limiter = createStreamLimiter({ perAddress: 2, perProcess: 100 })
    expect(limiter.acquire('2001:db8:1:2::1')).not.toBeNull()
    expect(limiter.acquire('2001:db8:1:2::2')).not.toBeNull()
    expect(limiter.acquire('2001:db8:1:2:ffff::3')).toBeNull()
    expect(limiter.acquire('2001:db8:1:3::1')).not.toBeNull()
  })

  it('caps the process whatever the addresses', () => {
    const limiter = createStreamLimiter({ perAddress: 10, perProcess: 3 })
    const releases = ['192.0.2.1', '192.0.2.2', '192.0.2.3'].map((ip) => limiter.acquire(ip))
    expect(limiter.size).toBe(3)
    expect(limiter.acquire('192.0.2.4')).toBeNull()
    releases[1]!()
    expect(limiter.acquire('192.0.2.4')).not.toBeNull()
  })

  it('releases a slot once, however often its release is called', () => {
    const limiter = createStreamLimiter({ perAddress: 1, perProcess: 10 })
    const a = limiter.acquire('192.0.2.9')!
    const b = limiter.acquire('192.0.2.10')!
    a(); a(); a()
    expect(limiter.size).toBe(1)
    expect(limiter.acquire('192.0.2.9')).not.toBeNull()
    expect(limiter.acquire('192.0.2.9')).toBeNull()
    b()
  })
})
