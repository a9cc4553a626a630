import { randomBytes, randomUUID } from 'node:crypto'
import http from 'node:http'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { freePort, startChild, waitReady, type Child } from './procs.ts'
import { redisUrl } from './scratch.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
export const SLUG = 'tweetbouteille'
export const PROFILE_DIR = '/tmp/bouteille-bench-prof'

/** A server child and where it listens. */
export interface Server { child: Child, origin: string }

/** Starts the bare Fastify baseline (bench/baseline-server.ts) over its scratch database. */
export async function startBaseline (databaseUrl: string): Promise<Server> {
  const port = await freePort()
  const child = startChild('baseline server', ['--import', 'tsx', 'bench/baseline-server.ts'], { PORT: String(port), DATABASE_URL: databaseUrl, DB_POOL_SIZE: '10' }, ROOT, true)
  const origin = `http://127.0.0.1:${port}`
  await waitReady(child, `${origin}/hello`)
  return { child, origin }
}

/** Starts the real app (`node server/bin.js start all`) with the demo campaign seeded, rate and stream limits off, on loopback. */
export async function startApp (databaseUrl: string, profile: boolean, extraEnv: Record<string, string> = {}): Promise<Server & { redisPrefix: string }> {
  const port = await freePort()
  const redisPrefix = `bench-${randomBytes(4).toString('hex')}`
  const origin = `http://127.0.0.1:${port}`
  const args = profile ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, 'server/bin.js', 'start', 'all'] : ['server/bin.js', 'start', 'all']
  const child = startChild('app', args, {
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl(),
    REDIS_PREFIX: redisPrefix,
    ACTION_RATE_LIMIT: '0',
    // Every bench client is one loopback address: the streams scenario alone opens 10,000 streams from it.
    STREAMS_PER_ADDRESS: '1000000',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    PORT: String(port),
    PUBLIC_URL: origin,
    SEED_DEMO: 'true',
    ...extraEnv
  }, ROOT)
  await waitReady(child, `${origin}/readyz`, 90_000)
  return { child, origin, redisPrefix }
}

/** A target and a message of the demo campaign that the app accepts together on X. */
export interface Pair { target: string, message: string }

/** The JSON body of one action (a fresh idempotency key each time), rotating over the pairs. */
export function actionBody (pairs: Pair[]): () => string {
  let i = 0
  return () => {
    const p = pairs[i++ % pairs.length]!
    return JSON.stringify({ target: p.target, message: p.message, key: randomUUID(), channel: 'x' })
  }
}

/** POSTs one action as JSON; returns the status. */
export async function postAction (origin: string, body: string): Promise<number> {
  const res = await fetch(`${origin}/c/${SLUG}/act`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body })
  await res.arrayBuffer()
  return res.status
}

/** The live total the app publishes (progress.json). */
export async function publishedTotal (origin: string): Promise<number> {
  const res = await fetch(`${origin}/c/${SLUG}/progress.json`)
  return Number(((await res.json()) as { total: number }).total)
}

/** Finds up to `max` target/message pairs the app accepts (targets from progress.json, messages from the database). */
export async function findPairs (origin: string, databaseUrl: string, max = 4): Promise<Pair[]> {
  const res = await fetch(`${origin}/c/${SLUG}/progress.json`)
  if (!res.ok) throw new Error(`GET /c/${SLUG}/progress.json: ${res.status}`)
  const targets = ((await res.json()) as { targets: Array<{ id: string }> }).targets.map((t) => t.id)
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  const { rows } = await client.query<{ id: string, target_id: string | null }>(
    'SELECT m.id, m.target_id FROM messages m JOIN campaigns c ON c.id = m.campaign_id WHERE c.slug = $1 AND m.active ORDER BY m.position, m.id', [SLUG])
    .finally(() => client.end())
  const pairs: Pair[] = []
  for (const target of targets) {
    const message = rows.find((m) => m.target_id === null || m.target_id === target)
    if (!message) continue
    const pair = { target, message: message.id }
    if (await postAction(origin, actionBody([pair])()) === 201) pairs.push(pair)
    if (pairs.length >= max) break
  }
  if (pairs.length === 0) throw new Error(`no target/message pair of "${SLUG}" was accepted by POST /c/${SLUG}/act`)
  return pairs
}

/** Counts the campaign's action rows (the source of truth). */
export async function actionRows (databaseUrl: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM actions a JOIN campaigns c ON c.id = a.campaign_id WHERE c.slug = $1', [SLUG])
    return Number(rows[0]?.n ?? 0)
  } finally {
    await client.end()
  }
}

/** Waits until the published total has caught up with the action rows (the worker is idle); returns it. */
export async function settle (origin: string, databaseUrl: string, timeoutMs = 30_000): Promise<{ total: number, settled: boolean }> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const rows = await actionRows(databaseUrl)
    const total = await publishedTotal(origin)
    if (total === rows) return { total, settled: true }
    if (Date.now() > deadline) return { total: rows, settled: false }
    await sleep(250)
  }
}

/** Copies one response of the app (status line aside: headers and raw, possibly compressed, bytes) to the baseline's GET /fixture. */
export async function copyToFixture (app: string, path: string, headers: Record<string, string>, baseline: string): Promise<number> {
  const { head, body } = await new Promise<{ head: Record<string, string>, body: Buffer }>((resolve, reject) => {
    http.get(`${app}${path}`, { headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const head: Record<string, string> = {}
        for (const [k, v] of Object.entries(res.headers)) {
          if (v !== undefined && !['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding'].includes(k)) head[k] = String(v)
        }
        resolve({ head, body: Buffer.concat(chunks) })
      })
    }).on('error', reject)
  })
  const res = await fetch(`${baseline}/fixture`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ headers: head, body: body.toString('base64') }) })
  if (res.status !== 204) throw new Error(`PUT /fixture: ${res.status}`)
  return body.length
}
