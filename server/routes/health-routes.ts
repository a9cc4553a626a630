import type { FastifyInstance } from 'fastify'
import type { Deps } from '../deps.ts'

/** Liveness (the process answers) and readiness (PostgreSQL and Redis answer). */
export async function healthRoutes (app: FastifyInstance, { deps }: { deps: Pick<Deps, 'pool' | 'redis'> }): Promise<void> {
  app.get('/healthz', async () => ({ status: 'ok' }))

  app.get('/readyz', async (_request, reply) => {
    const timeout = <T>(p: Promise<T>): Promise<T> => Promise.race([p, new Promise<T>((_resolve, reject) => setTimeout(() => reject(new Error('timeout')), 2000).unref())])
    const [postgres, redis] = await Promise.allSettled([timeout(deps.pool.query('SELECT 1')), timeout(deps.redis.ping())])
    const checks = { postgres: postgres.status === 'fulfilled' ? 'ok' : 'down', redis: redis.status === 'fulfilled' ? 'ok' : 'down' }
    const ready = checks.postgres === 'ok' && checks.redis === 'ok'
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', checks })
  })
}
