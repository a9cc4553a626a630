import { fileURLToPath } from 'node:url'
import fastifyView from '@fastify/view'
import fp from 'fastify-plugin'
import { Eta } from 'eta'

const VIEWS = fileURLToPath(new URL('../../views', import.meta.url))

/** Eta templates under views/, compiled once and cached; output is escaped unless a template says otherwise. */
export default fp(async (app, opts: { cache?: boolean }) => {
  // We pass every template its data: declaring reply.locals ourselves keeps @fastify/view from adding an
  // onRequest hook that gives every request (assets, JSON, streams) a locals object.
  if (!app.hasReplyDecorator('locals')) app.decorateReply('locals', null)
  const eta = new Eta({ views: VIEWS, cache: opts.cache ?? true, autoEscape: true, autoTrim: [false, 'nl'] })
  await app.register(fastifyView, { engine: { eta }, root: VIEWS, production: opts.cache ?? true })
}, { name: 'views' })
