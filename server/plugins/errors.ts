import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import fp from 'fastify-plugin'
import { inputHasControlChars } from '../domain/input-rules.ts'

declare module 'fastify' {
  interface FastifyReply {
    /** Answers 503 with Retry-After (the database is away, the process is stopping), as a page or {"error"}. */
    sendUnavailable: (key?: string) => FastifyReply
  }
  interface FastifyContextConfig {
    /** The route refuses control characters itself (to show its form again with the text kept). */
    checksControlChars?: boolean
  }
}

/** What Retry-After says while the service is away for a moment: a restart or a failover takes seconds. */
export const RETRY_AFTER_SECONDS = 5

function refuseControlChars (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
  if (inputHasControlChars(request.query) || inputHasControlChars(request.params) || inputHasControlChars(request.body)) {
    reply.sendError(400, 'errors.controlChars')
    return
  }
  done()
}

/**
 * Answers that are not a route's own: 503 while stopping (in the page's language and format, with Retry-After and
 * the connection closed, where Fastify would answer English JSON) and 400 for control characters in any input.
 */
export default fp(async (app) => {
  let closing = false

  app.decorateReply('sendUnavailable', function (this: FastifyReply, key = 'errors.unavailable.message') {
    return this.header('retry-after', String(RETRY_AFTER_SECONDS)).sendError(503, key)
  })

  app.addHook('onRequest', (request, reply, done) => {
    if (!closing) return done()
    reply.header('connection', 'close').sendUnavailable()
  })
  app.addHook('preClose', (done) => {
    closing = true
    // Idle kept-alive sockets first: a client would otherwise send its next request into a closing server.
    app.server.closeIdleConnections?.()
    done()
  })

  // Every route refuses control characters in its query, parameters and body, unless it does so itself.
  app.addHook('onRoute', (route) => {
    if (route.config?.checksControlChars) return
    const own = route.preValidation
    route.preValidation = own ? [refuseControlChars, ...(Array.isArray(own) ? own : [own])] : refuseControlChars
  })
}, { name: 'errors', dependencies: ['pages'] })
