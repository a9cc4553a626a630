import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { request as httpRequest } from 'node:http'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { clearRedisPrefix, createTestDatabase, eventually, freePort, testEnv } from './helper.ts'

const BIN = fileURLToPath(new URL('../server/bin.js', import.meta.url))

function run (args: string[], env: NodeJS.ProcessEnv) {
  return spawnSync(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8', timeout: 60_000 })
}

describe('bouteille command line', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>
  const prefix = `bt-${randomBytes(4).toString('hex')}`
  const children: ChildProcess[] = []
  beforeAll(async () => { db = await createTestDatabase() })
  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL')
    await clearRedisPrefix(prefix)
    await db.drop()
  })

  it('refuses bad settings with a message that names them, and no stack trace', () => {
    const res = run(['start'], { PORT: 'eighty', ACTION_RATE_LIMIT: '-1', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'silent' })
    expect(res.status).toBe(1)
    expect(res.stderr).toContain('PORT must be a whole number')
    expect(res.stderr).toContain('ACTION_RATE_LIMIT must be a whole number')
    expect(res.stderr).toContain('DATABASE_URL must be a postgres:')
    expect(res.stderr).not.toMatch(/\n\s+at /)
  })

  // Run as root (as CI and many containers are), PostgreSQL runs as the user "postgres": a folder it cannot reach is
  // said in words, with what to set instead.
  it.runIf(process.getuid?.() === 0)('says what to do when the embedded PostgreSQL cannot be created where DATA_DIR is', () => {
    const closed = mkdtempSync(join(tmpdir(), 'bouteille-closed-'))
    try {
      const res = run(['migrate'], { DATA_DIR: join(closed, 'data'), LOG_LEVEL: 'silent', HOME: process.env.HOME })
      expect(res.status).toBe(1)
      expect(res.stderr).toContain(`The embedded PostgreSQL could not be created in ${join(closed, 'data', 'postgres')}: initdb: error: could not access directory`)
      expect(res.stderr).toContain('Set DATA_DIR to another folder, or DATABASE_URL to a PostgreSQL server of yours.')
      expect(res.stderr).not.toMatch(/\n\s+at /)
    } finally {
      rmSync(closed, { recursive: true, force: true })
    }
  })

  it('says how to get Redis when none answers', () => {
    const res = run(['start', 'web'], { ...testEnv(db.url, prefix), REDIS_URL: 'redis://127.0.0.1:1' })
    expect(res.status).toBe(1)
    expect(res.stderr).toMatch(/docker compose up -d redis/)
    expect(res.stderr).toMatch(/apt install redis-server/)
  })

  it('explains its usage and refuses unknown commands', () => {
    expect(run(['help'], {}).stdout).toMatch(/start \[web\|worker\|all\]/)
    const res = run(['frobnicate'], {})
    expect(res.status).toBe(2)
    expect(res.stderr).toMatch(/unknown command/)
  })

  it('refuses to start with a placeholder or short SECRET, naming SECRET, whatever NODE_ENV', () => {
    for (const [SECRET, NODE_ENV] of [['change-me-to-32-random-characters-or-more', 'development'], ['change-me-to-32-random-characters-or-more', 'production'], ['short-secret', '']]) {
      const res = run(['start', 'web'], { ...testEnv(db.url, prefix), SECRET, NODE_ENV })
      expect(res.status, SECRET).toBe(1)
      expect(res.stderr).toMatch(/SECRET (is a published placeholder|must be at least 32 characters)/)
      expect(res.stderr).not.toMatch(/\n\s+at /)
    }
  })

  it('user reset-password sets a password (refusing a common one) or prints a one-time link, and ends the sessions', async () => {
    const env = testEnv(db.url, prefix)
    expect(run(['user', 'create', '--email', 'cli-owner@example.org', '--password', 'correct horse battery staple', '--role', 'owner'], env).status).toBe(0)
    const common = run(['user', 'reset-password', '--email', 'cli-owner@example.org', '--password', 'qwertyuiop'], env)
    expect(common.status).toBe(2)
    expect(common.stderr).toContain('among the most common passwords')
    expect(run(['user', 'reset-password', '--email', 'nobody@example.org'], env).status).toBe(1)
    const link = run(['user', 'reset-password', '--email', 'cli-owner@example.org'], env)
    expect(link.status).toBe(0)
    expect(link.stdout).toMatch(/http:\/\/bouteille\.test\/admin\/password\/reset\/[A-Za-z0-9_-]{32}/)
    const client = new pg.Client({ connectionString: db.url })
    await client.connect()
    try {
      const { rows: [u] } = await client.query("SELECT id, password_hash FROM users WHERE email = 'cli-owner@example.org'")
      await client.query("INSERT INTO sessions (token_hash, user_id, expires_at) VALUES ('x', $1, now() + interval '1 day')", [u.id])
      const set = run(['user', 'reset-password', '--email', 'cli-owner@example.org', '--password', 'a long and new passphrase'], env)
      expect(set.status).toBe(0)
      const { rows: [after] } = await client.query('SELECT password_hash FROM users WHERE id = $1', [u.id])
      expect(after.password_hash).not.toBe(u.password_hash)
      const { rows: open } = await client.query('SELECT id FROM sessions WHERE user_id = $1 AND revoked_at IS NULL', [u.id])
      expect(open).toHaveLength(0)
    } finally {
      await client.end()
    }
  })

  it('migrates (twice in parallel, under the advisory lock) and seeds the demo', async () => {
    const fresh = await createTestDatabase()
    try {
      const admin = new pg.Client({ connectionString: fresh.url })
      await admin.connect()
      // Start from an empty database, not the migrated template.
      await admin.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public; DROP SCHEMA IF EXISTS drizzle CASCADE')
      const env = testEnv(fresh.url, prefix)
      const both = await Promise.all([0, 1].map(() => new Promise<number>((resolve) => {
        const c = spawn(process.execPath, [BIN, 'migrate'], { env: { PATH: process.env.PATH, ...env }, stdio: 'ignore' })
        c.on('exit', (code) => resolve(code ?? -1))
      })))
      expect(both).toEqual([0, 0])
      expect(run(['seed-demo'], env).status).toBe(0)
      expect(run(['seed-demo'], env).status).toBe(0)
      const { rows } = await admin.query("SELECT c.status, (SELECT count(*)::int FROM targets t WHERE t.campaign_id = c.id) AS targets, (SELECT count(*)::int FROM messages m WHERE m.campaign_id = c.id AND m.locale = 'fr') AS fr, (SELECT count(*)::int FROM messages m WHERE m.campaign_id = c.id AND m.locale = 'en') AS en, (SELECT count(*)::int FROM messages m WHERE m.campaign_id = c.id AND m.locale = 'es') AS es, c.languages FROM campaigns c WHERE slug = 'tweetbouteille'")
      expect(rows).toHaveLength(1)
      expect(rows[0].status).toBe('live')
      expect(rows[0].targets).toBeGreaterThanOrEqual(6)
      expect(rows[0].fr).toBeGreaterThanOrEqual(3)
      expect(rows[0].en).toBeGreaterThanOrEqual(3)
      // Spanish too, as Oxfam's bottle spoke it in Cancún.
      expect(rows[0].es).toBeGreaterThanOrEqual(3)
      expect(rows[0].languages).toEqual(['fr', 'en', 'es'])
      await admin.end()
    } finally {
      await fresh.drop()
    }
  })

  it('runs web and worker as separate processes, and stops gracefully: streams closed, process gone', async () => {
    const port = await freePort()
    const env = { PATH: process.env.PATH, ...testEnv(db.url, prefix, { PORT: String(port), HOST: '127.0.0.1', SEED_DEMO: 'true' }) }
    const web = spawn(process.execPath, [BIN, 'start', 'web'], { env, stdio: 'ignore' })
    const worker = spawn(process.execPath, [BIN, 'start', 'worker'], { env, stdio: 'ignore' })
    children.push(web, worker)
    const base = `http://127.0.0.1:${port}`
    await eventually(async () => (await fetch(`${base}/readyz`)).ok, 30_000, 'web ready')
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' })
    expect(await (await fetch(`${base}/readyz`)).json()).toEqual({ status: 'ready', checks: { postgres: 'ok', redis: 'ok' } })

    // An action taken by the web process is counted by the worker process.
    const progress = await (await fetch(`${base}/c/tweetbouteille/progress.json`)).json()
    const reader = new pg.Client({ connectionString: db.url })
    await reader.connect()
    const { rows } = await reader.query("SELECT id FROM messages WHERE locale = 'fr' AND target_id IS NULL LIMIT 1")
    await reader.end()
    const act = await fetch(`${base}/c/tweetbouteille/act`, {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/json' },
      body: JSON.stringify({ target: progress.targets[0].id, message: rows[0].id, key: crypto.randomUUID(), channel: 'bluesky' })
    })
    expect(act.status).toBe(201)
    await eventually(async () => (await (await fetch(`${base}/c/tweetbouteille/progress.json`)).json()).total === progress.total + 1, 15_000, 'counted by the worker process')

    // An open SSE stream is ended by SIGTERM, and the process exits by itself.
    const streamEnded = new Promise<void>((resolve, reject) => {
      const req = httpRequest(`${base}/c/tweetbouteille/events`, (res) => {
        res.resume()
        res.on('end', () => resolve())
        res.on('close', () => resolve())
        setTimeout(() => web.kill('SIGTERM'), 200)
      })
      req.on('error', reject)
      req.end()
    })
    const webExit = new Promise<number | null>((resolve) => web.on('exit', (code) => resolve(code)))
    await streamEnded
    expect(await webExit).toBe(0)
    const workerExit = new Promise<number | null>((resolve) => worker.on('exit', (code) => resolve(code)))
    worker.kill('SIGTERM')
    expect(await workerExit).toBe(0)
  })
})
