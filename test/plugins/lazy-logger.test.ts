import { Writable } from 'node:stream'
import Fastify, { LogController } from 'fastify'
import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { lazyChildLogger } from '../../server/plugins/lazy-logger.ts'

describe('the lazy request logger', () => {
  it('logs with the request id when a request logs, and honours a route’s log level', async () => {
    const lines: Array<Record<string, unknown>> = []
    const sink = new Writable({ write (chunk, _enc, done) { lines.push(JSON.parse(String(chunk))); done() } })
    const app = Fastify({ loggerInstance: pino({ level: 'info' }, sink), childLoggerFactory: lazyChildLogger, logController: new LogController({ disableRequestLogging: true }) })
    app.get('/quiet', async () => 'ok')
    app.get('/speaks', async (request) => { request.log.warn({ detail: 1 }, 'something odd'); return 'ok' })
    app.get('/debug', { logLevel: 'debug' }, async (request) => { request.log.debug('fine detail'); return request.log.level })
    await app.ready()
    expect((await app.inject({ url: '/quiet' })).body).toBe('ok')
    expect(lines).toEqual([])
    await app.inject({ url: '/speaks' })
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatchObject({ level: 40, msg: 'something odd', detail: 1, reqId: expect.stringMatching(/^req-/) })
    const debug = await app.inject({ url: '/debug' })
    expect(debug.body).toBe('debug')
    expect(lines[1]).toMatchObject({ level: 20, msg: 'fine detail', reqId: expect.stringMatching(/^req-/) })
    await app.close()
  })
})
