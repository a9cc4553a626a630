import { fileURLToPath } from 'node:url'
import fastifyView from '@fastify/view'
import fp from 'fastify-plugin'
import { Eta } from 'eta'
import type { AssetStore } from '../infra/assets.ts'

const VIEWS = fileURLToPath(new URL('../../views', import.meta.url))

/**
 * Eta templates under views/, compiled once and cached; output is escaped unless a template says otherwise. Every
 * `/assets/…` path written in a template becomes its content-hashed URL when the template is compiled, and
 * templates may call asset('css/app.css') for a path they build.
 */
export default fp(async (app, opts: { cache?: boolean, assets: AssetStore }) => {
  // We pass every template its data: declaring reply.locals ourselves keeps @fastify/view from adding an
  // onRequest hook that gives every request (assets, JSON, streams) a locals object.
  if (!app.hasReplyDecorator('locals')) app.decorateReply('locals', null)
  const eta = new Eta({
    views: VIEWS,
    cache: opts.cache ?? true,
    autoEscape: true,
    autoTrim: [false, 'nl'],
    // A compiled template runs with the Eta instance as `this` (eta/dist/core.js, render; checked 2026-12-04).
    functionHeader: 'const asset = this.config.asset;',
    plugins: [{ processTemplate: (source: string) => opts.assets.hashPaths(source) }],
    asset: opts.assets.url
  } as ConstructorParameters<typeof Eta>[0])
  await app.register(fastifyView, { engine: { eta }, root: VIEWS, production: opts.cache ?? true })
}, { name: 'views' })
