import type { FastifyInstance, FastifyReply, onRequestHookHandler } from 'fastify'
import { securityHeaderList } from '../plugins/security.ts'
import type { StreamLimiter } from '../services/stream-limiter.ts'
import type { Sink } from '../services/stream-set.ts'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** the route answers with an event stream: it takes one of the address's and the process's stream slots */
    eventStream?: boolean
  }
}

/** Seconds a client refused a stream is told to wait (its page polls progress.json meanwhile). */
export const STREAM_RETRY_AFTER_SECONDS = 60

/**
 * Caps the event streams open per address and per process: a route with `config: { eventStream: true }` answers 429
 * with Retry-After when its client holds too many, else holds a slot until its response closes. Add before the routes.
 */
export function limitEventStreams (app: FastifyInstance, limiter: StreamLimiter): void {
  const holdSlot: onRequestHookHandler = (request, reply, done) => {
    const release = limiter.acquire(request.ip)
    if (!release) {
      reply.header('retry-after', String(STREAM_RETRY_AFTER_SECONDS)).header('cache-control', 'no-store')
      reply.sendError(429, 'errors.tooManyStreams.message')
      return
    }
    reply.raw.once('close', release)
    done()
  }
  // Set on the stream routes alone (as they are added), so no other request, the campaign page above all, pays for it.
  app.addHook('onRoute', (route) => {
    if (!route.config?.eventStream) return
    const own = route.onRequest
    route.onRequest = own ? [holdSlot, ...(Array.isArray(own) ? own : [own])] : holdSlot
  })
}

/**
 * Takes the response over as a Server-Sent Events stream, writes `first` (after the reconnect delay) and returns the
 * sink a hub writes to. A reader more than maxBuffer bytes behind is dropped rather than held in memory: its browser
 * reconnects (and catches up: progress and dashboard events are whole documents, walls read their page again).
 * A HEAD request gets the headers and an ended response.
 */
export function openEventStream (reply: FastifyReply, first: string, { maxBuffer = 64 * 1024, cacheControl = 'no-cache, no-transform' } = {}): Sink {
  reply.hijack()
  const res = reply.raw
  // Written straight to Node: the security headers come with it, as on every other response.
  res.writeHead(200, [
    ...securityHeaderList(),
    'content-type', 'text/event-stream; charset=utf-8',
    'cache-control', cacheControl,
    'connection', 'keep-alive',
    'x-accel-buffering', 'no'
  ])
  // HEAD asks for the headers only: answered, and the stream ends at once (it would never get a body).
  if (reply.request.method === 'HEAD') {
    res.end()
    return { write: () => false, end: () => {} }
  }
  res.write(`retry: 3000\n\n${first}`)
  return {
    write: (chunk) => {
      if (res.writableLength > maxBuffer) {
        res.destroy()
        return false
      }
      return res.write(chunk)
    },
    end: () => res.end()
  }
}
