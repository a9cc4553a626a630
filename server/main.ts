import closeWithGrace from 'close-with-grace'
import { pino } from 'pino'
import { startWorker, type RunningWorker } from '../jobs/main.ts'
import { buildApp } from './app.ts'
import { loadConfig, type Config } from './config.ts'
import { createDb, runMigrations } from './db/client.ts'
import { createDeps, type Logger } from './deps.ts'
import { ensureRedis, startEmbeddedPostgres, type LocalService } from './infra/local-services.ts'
import { seedDemoIfEmpty } from './seed/seed-demo.ts'

export type Role = 'web' | 'worker' | 'all'

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const

export function createLogger (config: Pick<Config, 'logLevel'>) {
  return pino({ level: config.logLevel, base: undefined })
}

/** The small Logger interface the services take, over a pino logger. */
export function asLog (logger: ReturnType<typeof createLogger>): Logger {
  return { info: (m) => logger.info(m), warn: (m) => logger.warn(m), error: (o, m) => logger.error(o, m) }
}

/** The database URL: DATABASE_URL, or an embedded PostgreSQL started here when it is unset. */
export async function prepareDatabaseUrl (config: Readonly<Config>, log: Logger): Promise<{ databaseUrl: string, service: LocalService | null }> {
  if (config.databaseUrl) return { databaseUrl: config.databaseUrl, service: null }
  const pg = await startEmbeddedPostgres(config.dataDir, log)
  return { databaseUrl: pg.url, service: pg }
}

/** Resolves the database (embedded when DATABASE_URL is unset) and Redis (started when absent and allowed). */
export async function prepareServices (config: Readonly<Config>, log: Logger): Promise<{ databaseUrl: string, services: LocalService[] }> {
  const { databaseUrl, service } = await prepareDatabaseUrl(config, log)
  const services = service ? [service] : []
  try {
    const redis = await ensureRedis(config.redisUrl, config.redisIsDefault, log)
    if (redis) services.push(redis)
  } catch (err) {
    await Promise.allSettled(services.map((s) => s.stop()))
    throw err
  }
  return { databaseUrl, services }
}

/** Applies migrations and, on an empty database, seeds the demo campaign (unless SEED_DEMO=false). */
export async function prepareDatabase (databaseUrl: string, seedDemo: boolean, log: Logger): Promise<void> {
  const { pool, db } = createDb(databaseUrl, 2)
  try {
    await runMigrations(pool)
    if (seedDemo && await seedDemoIfEmpty(db)) log.info('Seeded the demo campaign "tweetbouteille"')
  } finally {
    await pool.end()
  }
}

/** `bouteille start [web|worker|all]`: config → services → migrations → deps → web and/or worker; stops gracefully on SIGINT/SIGTERM. */
export async function start (role: Role): Promise<void> {
  const config = loadConfig()
  const logger = createLogger(config)
  const log = asLog(logger)

  const { databaseUrl, services } = await prepareServices(config, log)
  await prepareDatabase(databaseUrl, config.seedDemo, log)
  const deps = await createDeps({ ...config, databaseUrl }, log)

  let worker: RunningWorker | null = null
  let app: Awaited<ReturnType<typeof buildApp>> | null = null
  if (role === 'worker' || role === 'all') worker = await startWorker(deps)
  if (role === 'web' || role === 'all') {
    app = await buildApp(deps, { loggerInstance: logger.child({ role: 'web' }), disableRequestLogging: true })
    await deps.catalog.start()
    await deps.progressHub.start()
    await app.listen({ port: config.port, host: config.host })
    logger.info(`Bouteille is running on ${config.publicUrl} (listening on ${config.host}:${config.port})`)
    if (config.seedDemo) logger.info(`Demo campaign: ${config.publicUrl}/c/tweetbouteille`)
    if (await deps.auth.userCount() === 0) {
      // A fresh install has no account: a one-time link creates the first owner.
      const { token } = await deps.auth.createInvite({ role: 'owner', validHours: 24 })
      // Printed plainly for the person at the terminal, not inside a JSON log line (nor kept by a log collector).
      process.stdout.write(`\nNo account yet. Create the first owner account (link valid 24 hours, once):\n\n  ${config.publicUrl}/admin/invite/${token}\n\n`)
      logger.info('No account yet: the one-time link to create the first owner is printed on the terminal.')
    }
  }

  const graceMs = config.shutdownGraceSeconds * 1000
  let stopping = false
  const grace = closeWithGrace({
    // The grace for requests and jobs, then a few seconds for PostgreSQL and Redis if we started them.
    delay: graceMs + 10_000,
    // The stop signals are ours (below); close-with-grace still stops on errors and its other signals.
    skip: [...STOP_SIGNALS]
  }, async ({ signal, err }) => {
    if (stopping) return
    stopping = true
    if (err) logger.error({ err }, 'stopping after an error')
    else if (signal) logger.info(`${signal}: closing`)
    try {
      await withTimeout(stopInOrder(), graceMs)
    } catch (e) {
      logger.error({ err: e }, 'shutdown did not finish in time')
    } finally {
      // Last, whatever happened above: nothing we started outlives us.
      for (const s of [...services].reverse()) await s.stop().catch(() => s.kill())
      logger.info('stopped')
    }
  })

  // Ctrl-C under `npm start` arrives twice (from the terminal, and passed on by npm): a repeat within a second is
  // the same request. A later one means "now": stop at once, leaving no server we started behind.
  let signalledAt = 0
  const onStopSignal = (signal: NodeJS.Signals): void => {
    if (signalledAt === 0) {
      signalledAt = Date.now()
      logger.info(`${signal}: closing`)
      grace.close()
      return
    }
    if (Date.now() - signalledAt < 1000) return
    logger.warn(`${signal} again: stopping now`)
    for (const s of services) s.kill()
    process.exit(1)
  }
  for (const s of STOP_SIGNALS) process.on(s, onStopSignal)

  /** Streams end (browsers reconnect elsewhere), requests stop coming and in-flight ones finish, then jobs, then connections. */
  async function stopInOrder (): Promise<void> {
    deps.progressHub.close()
    deps.dashboardHub.close()
    deps.bottleHub.close()
    if (app) await app.close()
    if (worker) await worker.close()
    await deps.close()
  }
}

function withTimeout (p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  return Promise.race([p, new Promise<void>((_resolve, reject) => { timer = setTimeout(() => reject(new Error(`still running after ${ms} ms`)), ms) })])
    .finally(() => clearTimeout(timer))
}
