import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../server/app.ts'
import { actBody, buildTestApp, eventually, listen, readEventStream, seedCampaign, signIn, type SeededCampaign } from '../helper.ts'

const JSON_ACCEPT = { accept: 'application/json' }

describe('limits on what one address can hold open', () => {
  let t: Awaited<ReturnType<typeof buildTestApp>>
  let c: SeededCampaign
  let base: string

  beforeAll(async () => {
    t = await buildTestApp({ REQUEST_TIMEOUT_MS: '400', STREAMS_PER_ADDRESS: '2', ACTION_RATE_LIMIT: '2', TRUST_PROXY: '1' })
    c = await seedCampaign(t.deps)
    base = await listen(t)
  })
  afterAll(async () => { await t.close() })

  /** Sends a request's headers, then its body one byte every 100 ms; resolves with what the server answered and when it closed. */
  function trickle (path: string, length: number): Promise<{ answer: string, closedAfterMs: number }> {
    return new Promise((resolve, reject) => {
      const { port } = new URL(base)
      const socket = connect(Number(port), '127.0.0.1')
      const started = Date.now()
      let answer = ''
      let sent = 0
      const timer = setInterval(() => { if (sent++ < length && socket.writable) socket.write('a') }, 100)
      const giveUp = setTimeout(() => { clearInterval(timer); socket.destroy(); reject(new Error(`still open after 5 s (answer so far: ${JSON.stringify(answer)})`)) }, 5000)
      socket.setEncoding('utf8')
      socket.on('data', (d: string) => { answer += d })
      socket.on('error', () => {})
      socket.on('close', () => { clearInterval(timer); clearTimeout(giveUp); resolve({ answer, closedAfterMs: Date.now() - started }) })
      socket.write(`POST ${path} HTTP/1.1\r\nHost: bouteille.test\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: ${length}\r\n\r\n`)
    })
  }

  it('cuts a body trickled one byte at a time with 408, and records nothing', async () => {
    const before = (await t.deps.pool.query('SELECT count(*)::int AS n FROM actions')).rows[0].n
    const { answer, closedAfterMs } = await trickle(`/c/${c.slug}/act`, 30_000)
    expect(answer).toMatch(/^HTTP\/1\.1 408 /)
    expect(closedAfterMs).toBeLessThan(3000)
    expect((await t.deps.pool.query('SELECT count(*)::int AS n FROM actions')).rows[0].n).toBe(before)
  })

  it('does not cut an event stream that outlives the request timeout', async () => {
    const s = await readEventStream<{ total: number }>(base, `/c/${c.slug}/events`, { only: 'progress', firstData: true })
    try {
      await new Promise((resolve) => setTimeout(resolve, 1000))
      expect(s.res.statusCode).toBe(200)
      expect(s.res.destroyed).toBe(false)
      expect(s.res.complete).toBe(false)
    } finally { s.close() }
  })

  it('answers 429 with Retry-After past STREAMS_PER_ADDRESS open streams, on every stream route, and frees the slot on close', async () => {
    const owner = await signIn(t.deps, 'owner')
    const first = await readEventStream(base, `/c/${c.slug}/events`, { firstData: true })
    const second = await readEventStream(base, `/c/${c.slug}/wall/events`, { firstData: true })
    const opened: Array<{ close: () => void }> = [first, second]
    try {
      expect([first.res.statusCode, second.res.statusCode]).toEqual([200, 200])
      for (const path of [`/c/${c.slug}/events`, `/c/${c.slug}/wall/events`, `/admin/campaigns/${c.id}/events`]) {
        const refused = await readEventStream(base, path, { cookie: owner.cookie })
        opened.push(refused)
        expect(refused.res.statusCode, path).toBe(429)
        expect(refused.res.headers['retry-after']).toBe('60')
      }
      // Another address (through the trusted proxy) still gets its streams.
      const other = await t.app.inject({ url: `/c/${c.slug}/progress.json`, remoteAddress: '10.0.0.9', headers: { 'x-forwarded-for': '198.51.100.20' } })
      expect(other.statusCode).toBe(200)
      first.close()
      const again = await eventually(async () => {
        const s = await readEventStream(base, `/c/${c.slug}/events`, { firstData: true })
        opened.push(s)
        return s.res.statusCode === 200 ? s : (s.close(), false)
      }, 5000, 'a freed stream slot')
      expect(again.res.headers['content-type']).toMatch(/^text\/event-stream/)
    } finally {
      for (const s of opened) s.close()
    }
  })

  it('tells the supporter why, in their language', async () => {
    const a = await readEventStream(base, `/c/${c.slug}/events`, { firstData: true })
    const b = await readEventStream(base, `/c/${c.slug}/events`, { firstData: true })
    try {
      for (const [lang, text] of [['fr', 'Trop de pages en direct'], ['en', 'Too many live pages']] as const) {
        const res = await fetch(`${base}/c/${c.slug}/events`, { headers: { 'accept-language': lang } })
        expect(res.status).toBe(429)
        expect(await res.text()).toContain(text)
      }
    } finally { a.close(); b.close() }
  })

  it('takes the address a hop-count proxy saw: a forged left-most X-Forwarded-For does not bypass the send limit', async () => {
    const send = (forwardedFor: string) => t.app.inject({ method: 'POST', url: `/c/${c.slug}/act`, headers: { ...JSON_ACCEPT, 'x-forwarded-for': forwardedFor }, payload: actBody(c), remoteAddress: '10.0.0.2' })
    const statuses = []
    for (const forged of ['1.1.1.1', '2.2.2.2', '3.3.3.3']) statuses.push((await send(`${forged}, 198.51.100.7`)).statusCode)
    expect(statuses).toEqual([201, 201, 429])
    expect((await send('1.1.1.1, 198.51.100.8')).statusCode).toBe(201)
  })

  it('trusts X-Forwarded-For only from the listed proxy addresses', async () => {
    const app = await buildApp({ ...t.deps, config: { ...t.deps.config, trustProxy: ['10.0.0.0/8'] } })
    try {
      const send = (remoteAddress: string, forwardedFor: string) => app.inject({ method: 'POST', url: `/c/${c.slug}/act`, headers: { ...JSON_ACCEPT, 'x-forwarded-for': forwardedFor }, payload: actBody(c), remoteAddress })
      // Through the trusted proxy: the client it saw, whatever the client wrote before it.
      expect((await send('10.1.2.3', '9.9.9.9, 198.51.100.30')).statusCode).toBe(201)
      expect((await send('10.1.2.4', '8.8.8.8, 198.51.100.30')).statusCode).toBe(201)
      expect((await send('10.1.2.5', '7.7.7.7, 198.51.100.30')).statusCode).toBe(429)
      // Straight from an untrusted address: its header is ignored, the address itself is limited.
      expect((await send('203.0.113.40', '198.51.100.31')).statusCode).toBe(201)
      expect((await send('203.0.113.40', '198.51.100.32')).statusCode).toBe(201)
      expect((await send('203.0.113.40', '198.51.100.33')).statusCode).toBe(429)
    } finally { await app.close() }
  })

  it('limits sends per IPv6 /64, not per single IPv6 address', async () => {
    const send = (remoteAddress: string) => t.app.inject({ method: 'POST', url: `/c/${c.slug}/act`, headers: JSON_ACCEPT, payload: actBody(c), remoteAddress })
    const statuses = []
    for (const ip of ['2001:db8:aa:bb::1', '2001:db8:aa:bb::2', '2001:db8:aa:bb:ffff:1:2:3']) statuses.push((await send(ip)).statusCode)
    expect(statuses).toEqual([201, 201, 429])
    expect((await send('2001:db8:aa:bc::1')).statusCode).toBe(201)
  })
})
