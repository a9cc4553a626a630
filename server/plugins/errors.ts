import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction, onRequestHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import { inputHasControlChars } from '../domain/input-rules.ts'

declare module 'fastify' {
  interface FastifyReply {
    /** Answers 503 with Retry-After (the database is away, the process is stopping), as a page or {"error"}. */
    sendUnavailable: (key?: string) => FastifyReply
  }
  interface FastifyContextConfig {
    /** The route refuses control characters in its body itself (to show its form again with the text kept). */
    checksControlChars?: boolean
    /** The route calls app.refused() itself, first thing (the campaign page: its hot path runs no hook) */
    guardsItself?: boolean
  }
  interface FastifyInstance {
    /** Answers 503 while stopping, or 400 for control characters in the URL, and says so; false: go on. */
    refused: (request: FastifyRequest, reply: FastifyReply) => boolean
  }
}

/** What Retry-After says while the service is away for a moment: a restart or a failover takes seconds. */
export const RETRY_AFTER_SECONDS = 5

// Control characters reach a query or a path only percent-encoded (Node refuses raw ones): no '%', nothing to look at.
function urlHasControlChars (request: FastifyRequest): boolean {
  return request.raw.url!.includes('%') && (inputHasControlChars(request.query) || inputHasControlChars(request.params))
}

function refuseControlCharsInBody (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
  if (inputHasControlChars(request.body)) {
    reply.sendError(400, 'errors.controlChars')
    return
  }
  done()
}

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/**
 * Answers that are not a route's own: 503 while stopping (in the page's language and format, with Retry-After and
 * the connection closed, where Fastify would answer English JSON) and 400 for control characters in any input.
 */
export default fp(async (app) => {
  let closing = false

  app.decorateReply('sendUnavailable', function (this: FastifyReply, key = 'errors.unavailable.message') {
    return this.header('retry-after', String(RETRY_AFTER_SECONDS)).sendError(503, key)
  })

  const refused = (request: FastifyRequest, reply: FastifyReply): boolean => {
    if (closing) {
      reply.header('connection', 'close').sendUnavailable()
      return true
    }
    if (urlHasControlChars(request)) {
      reply.sendError(400, 'errors.controlChars')
      return true
    }
    return false
  }
  app.decorate('refused', refused)
  const guard: onRequestHookHandler = (request, reply, done) => {
    if (!refused(request, reply)) done()
  }
  app.addHook('preClose', (done) => {
    closing = true
    // Idle kept-alive sockets first: a client would otherwise send its next request into a closing server.
    app.server.closeIdleConnections?.()
    done()
  })

  // Set on each route as it is added, not on the app, so a route may run it itself instead (the campaign page's hot
  // path then pays no hook). Every route that takes a body also refuses control characters in it, unless it does so itself.
  app.addHook('onRoute', (route) => {
    if (!route.config?.guardsItself) {
      const own = route.onRequest
      route.onRequest = own ? [guard, ...(Array.isArray(own) ? own : [own])] : guard
    }
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    if (route.config?.checksControlChars || !methods.some((m) => BODY_METHODS.has(m))) return
    const own = route.preValidation
    route.preValidation = own ? [refuseControlCharsInBody, ...(Array.isArray(own) ? own : [own])] : refuseControlCharsInBody
  })
}, { name: 'errors', dependencies: ['pages'] })
