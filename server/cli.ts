import { parseArgs } from 'node:util'
import { ConfigError, loadConfig } from './config.ts'
import { createDb } from './db/client.ts'
import { createLogger, prepareDatabase, prepareDatabaseUrl, start, type Role } from './main.ts'
import { seedDemo } from './seed/seed-demo.ts'

const USAGE = `Usage: bouteille <command>

Commands:
  start [web|worker|all]   run the web server, the worker, or both in one process (default: all)
  migrate                  apply the database migrations (under a PostgreSQL advisory lock)
  seed-demo                add the demo campaign "tweetbouteille" if it is not there
  help                     show this text

Settings are environment variables: see .env.example and the README.`

/** The `bouteille` command line. */
export async function main (argv: string[]): Promise<number> {
  const { positionals } = parseArgs({ args: argv, allowPositionals: true, strict: false })
  const [command = 'help', sub] = positionals
  try {
    switch (command) {
      case 'start': {
        const role = (sub ?? 'all') as Role
        if (!['web', 'worker', 'all'].includes(role)) {
          console.error(`bouteille start: unknown role "${sub}". Use web, worker or all.`)
          return 2
        }
        await start(role)
        return -1 // keeps running
      }
      case 'migrate':
      case 'seed-demo': {
        const config = loadConfig()
        const logger = createLogger(config)
        const log = { info: (m: string) => logger.info(m), warn: (m: string) => logger.warn(m), error: (o: unknown, m?: string) => logger.error(o, m) }
        // migrate and seed-demo need no Redis.
        const { databaseUrl, service } = await prepareDatabaseUrl(config, log)
        try {
          await prepareDatabase(databaseUrl, false, log)
          log.info('Migrations applied')
          if (command === 'seed-demo') {
            const { pool, db } = createDb(databaseUrl, 1)
            const inserted = await seedDemo(db).finally(() => pool.end())
            log.info(inserted ? 'Demo campaign "tweetbouteille" added' : 'The demo campaign is already there')
          }
        } finally {
          await service?.stop()
        }
        return 0
      }
      case 'help':
      case '--help':
      case '-h':
        console.log(USAGE)
        return 0
      default:
        console.error(`bouteille: unknown command "${command}".\n\n${USAGE}`)
        return 2
    }
  } catch (err) {
    if (err instanceof ConfigError || /Redis|ECONNREFUSED|password authentication|does not exist/.test(String((err as Error)?.message))) {
      console.error((err as Error).message)
      return 1
    }
    throw err
  }
}
