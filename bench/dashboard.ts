// The dashboard scenario (--only=dashboard): 10 million actions for one campaign in a database kept between runs,
// then GET /admin/campaigns/:id and its dashboard.json under a few concurrent connections, while supporters act.
import { randomUUID } from 'node:crypto'
import http from 'node:http'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { loadConfig } from '../server/config.ts'
import { createDb, runMigrations } from '../server/db/client.ts'
import { createAuthService } from '../server/services/auth-service.ts'
import { createActionRepo } from '../server/repos/action-repo.ts'
import { createMilestoneRepo } from '../server/repos/milestone-repo.ts'
import { createNetworkPostRepo } from '../server/repos/network-post-repo.ts'
import { createDashboardService } from '../server/services/dashboard-service.ts'
import { log } from './compare.ts'
import type { NoiseGuard } from './quiet.ts'
import { adminUrl, databaseUrl } from './scratch.ts'
import { percentile } from './stats.ts'

export const DASHBOARD_DB = 'bouteille_bench_dashboard'
const SLUG = 'bench-dashboard'
const ACTIONS = 10_000_000
const CHUNK = 1_000_000
const DAYS = 14
const TARGETS = 40
const EMAIL = 'bench-viewer@example.org'

export interface LatencyFigures { p50: number, p95: number, p99: number, max: number, count: number, statuses: Record<string, number> }

/** What the dashboard scenario measured. */
export interface DashboardResult {
  actions: number
  connections: number
  durationS: number
  /** supporters' sends per second during the measurement (each invalidates the shared copy) */
  actionsPerSecond: number
  page: LatencyFigures
  json: LatencyFigures
  /** the read itself (the counters' queries), timed in this process, one after the other */
  read: LatencyFigures
  targetP95Ms: number
  pass: boolean
}

const figures = (values: number[], statuses: Record<string, number> = {}): LatencyFigures => ({
  p50: percentile(values, 50), p95: percentile(values, 95), p99: percentile(values, 99), max: values.length ? Math.max(...values) : Number.NaN, count: values.length, statuses
})

async function withClient<T> (url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  try { return await fn(c) } finally { await c.end() }
}

/**
 * The 10-million-action database: created and filled on the first run (several minutes), reused afterwards.
 * Returns its URL and the campaign's id.
 */
export async function prepareDashboardDatabase (): Promise<{ url: string, campaignId: string }> {
  const url = databaseUrl(DASHBOARD_DB)
  const exists = await withClient(adminUrl(), async (c) => (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [DASHBOARD_DB])).rowCount === 1)
  if (!exists) await withClient(adminUrl(), async (c) => { await c.query(`CREATE DATABASE "${DASHBOARD_DB}"`) })
  const pool = new pg.Pool({ connectionString: url, max: 2 })
  try {
    await runMigrations(pool)
    const found = await pool.query<{ id: string, n: string | null }>(
      "SELECT c.id, (SELECT count FROM campaign_counts k WHERE k.campaign_id = c.id AND k.dimension = 'total' AND k.key = '') AS n FROM campaigns c WHERE c.slug = $1", [SLUG])
    const row = found.rows[0]
    if (row && Number(row.n) >= ACTIONS) {
      log(`dashboard: reusing ${DASHBOARD_DB} (${Number(row.n).toLocaleString('en-US')} actions)`)
      // Kept open for this run: the lifecycle worker would have closed it at its closing time.
      await pool.query("UPDATE campaigns SET status = 'live', closes_at = now() + interval '7 days' WHERE id = $1", [row.id])
      return { url, campaignId: row.id }
    }
    if (row) await pool.query('DELETE FROM campaigns WHERE id = $1', [row.id])
    const started = performance.now()
    log(`dashboard: building ${DASHBOARD_DB} with ${ACTIONS.toLocaleString('en-US')} actions over ${DAYS} days (first run only; several minutes)…`)
    const campaign = await pool.query<{ id: string }>(
      "INSERT INTO campaigns (slug, status, goal, default_locale, closes_at) VALUES ($1, 'live', 5000000, 'fr', now() + interval '7 days') RETURNING id", [SLUG])
    const id = campaign.rows[0]!.id
    await pool.query(`INSERT INTO campaign_texts (campaign_id, locale, title, pitch, call_to_action, hashtags) VALUES
      ($1, 'fr', 'Banc d’essai du tableau de bord', 'Dix millions d’actions.', 'Agir', '{bench}'),
      ($1, 'en', 'Dashboard bench', 'Ten million actions.', 'Act', '{bench}')`, [id])
    await pool.query(`INSERT INTO targets (campaign_id, name, country, handles, position)
      SELECT $1, 'Target ' || i, 'FR', jsonb_build_object('x', 'target' || i), i FROM generate_series(1, $2) AS i`, [id, TARGETS])
    await pool.query("INSERT INTO messages (campaign_id, locale, body) VALUES ($1, 'fr', '{target} agissez ! {hashtags} {link}'), ($1, 'en', '{target} act now! {hashtags} {link}')", [id])
    const targets = (await pool.query<{ id: string }>('SELECT id FROM targets WHERE campaign_id = $1 ORDER BY position', [id])).rows.map((r) => r.id)
    const message = (await pool.query<{ id: string }>("SELECT id FROM messages WHERE campaign_id = $1 AND locale = 'fr'", [id])).rows[0]!.id
    const client = await pool.connect()
    try {
      // Bench data only: skip the per-row foreign-key triggers (the rows are built from the ids just inserted).
      await client.query("SET session_replication_role = 'replica'")
      for (let from = 0; from < ACTIONS; from += CHUNK) {
        await client.query(`
          INSERT INTO actions (campaign_id, target_id, message_id, channel, locale, text, ref, key, tallied, created_at)
          SELECT $1, ($2::uuid[])[1 + floor(power(random(), 2) * $5)::int], $3,
                 (ARRAY['x','x','x','bluesky','bluesky','mastodon','threads','email','bottle'])[1 + floor(random() * 9)::int]::channel,
                 CASE WHEN random() < 0.6 THEN 'fr' ELSE 'en' END, 'bench',
                 CASE WHEN random() < 0.3 THEN 'partner-' || floor(power(random(), 3) * 200)::int END,
                 gen_random_uuid(), true,
                 now() - random() * interval '${DAYS} days'
          FROM generate_series($4::bigint + 1, $4::bigint + $6) AS i`, [id, targets, message, from, TARGETS, Math.min(CHUNK, ACTIONS - from)])
        log(`  ${(from + CHUNK).toLocaleString('en-US')} rows (${Math.round((performance.now() - started) / 1000)} s)`)
      }
    } finally {
      await client.query("SET session_replication_role = 'origin'").catch(() => {})
      client.release()
    }
    log('  building the counters with the rebuild (reconcile)…')
    await createActionRepo(pool).rebuild(id)
    await pool.query('ANALYZE')
    log(`dashboard: database ready in ${Math.round((performance.now() - started) / 1000)} s`)
    return { url, campaignId: id }
  } finally {
    await pool.end()
  }
}

/** A viewer's session cookie (a server-side session) for the app started over this database. */
export async function viewerCookie (url: string): Promise<string> {
  const config = loadConfig({ DATABASE_URL: url })
  const { pool, db } = createDb(url, 1)
  try {
    const auth = createAuthService({ db, redis: null, prefix: 'bench', secret: config.secret })
    const user = await auth.findByEmail(EMAIL) ?? await auth.createUser({ email: EMAIL, password: 'bench password, not secret', role: 'viewer' })
    return `bouteille_session=${(await auth.createSession(user.id)).token}`
  } finally {
    await pool.end()
  }
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 })

function get (origin: string, path: string, headers: Record<string, string>): Promise<{ status: number, ms: number }> {
  const t0 = performance.now()
  return new Promise((resolve, reject) => {
    http.get(`${origin}${path}`, { agent, headers }, (res) => {
      res.resume()
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0 }))
    }).on('error', reject)
  })
}

/** `connections` closed loops on one GET for durationS seconds; every latency kept. */
async function closedLoop (origin: string, path: string, headers: Record<string, string>, connections: number, durationS: number): Promise<LatencyFigures> {
  const until = performance.now() + durationS * 1000
  const latencies: number[] = []
  const statuses: Record<string, number> = {}
  await Promise.all(Array.from({ length: connections }, async () => {
    while (performance.now() < until) {
      const r = await get(origin, path, headers)
      statuses[r.status] = (statuses[r.status] ?? 0) + 1
      if (r.status === 200) latencies.push(r.ms)
    }
  }))
  return figures(latencies, statuses)
}

/** Supporters acting at a steady rate until stopped (each send ends with a progress event that invalidates the shared copy). */
function supporters (origin: string, pair: { target: string, message: string }, perSecond: number): { stop: () => Promise<number> } {
  const state = { running: true }
  let sent = 0
  const loop = (async () => {
    while (state.running) {
      const t0 = performance.now()
      await fetch(`${origin}/c/${SLUG}/act`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ target: pair.target, message: pair.message, key: randomUUID(), channel: 'x' })
      }).then((r) => { if (r.status === 201) sent++; return r.arrayBuffer() }).catch(() => {})
      await sleep(Math.max(0, 1000 / perSecond - (performance.now() - t0)))
    }
  })()
  return { stop: async () => { state.running = false; await loop; return sent } }
}

/** Times the page and dashboard.json of the 10-million-action campaign, and the read on its own. */
export async function dashboardScenario (opts: { quick: boolean }, noise: NoiseGuard, origin: string, db: { url: string, campaignId: string }): Promise<DashboardResult> {
  const connections = 4
  const durationS = opts.quick ? 5 : 15
  const cookie = await viewerCookie(db.url)
  const headers = { cookie, 'accept-language': 'fr', 'accept-encoding': 'gzip, deflate, br' }
  const pagePath = `/admin/campaigns/${db.campaignId}`
  const probe = await get(origin, pagePath, headers)
  if (probe.status !== 200) throw new Error(`GET ${pagePath} answered ${probe.status}`)
  const pair = await withClient(db.url, async (c) => (await c.query<{ target: string, message: string }>(
    "SELECT t.id AS target, m.id AS message FROM targets t JOIN messages m ON m.campaign_id = t.campaign_id AND m.locale = 'fr' WHERE t.campaign_id = $1 LIMIT 1", [db.campaignId])).rows[0]!)
  const actionsPerSecond = 20

  log(`dashboard: ${connections} connections × ${durationS} s per URL, supporters sending ${actionsPerSecond}/s meanwhile:`)
  await closedLoop(origin, pagePath, headers, connections, 2)
  const run = async (path: string): Promise<LatencyFigures> => {
    const crowd = supporters(origin, pair, actionsPerSecond)
    const r = await noise.meter(() => closedLoop(origin, path, headers, connections, durationS))
    await crowd.stop()
    if (noise.disturbed(r.foreignCpu)) noise.warn(`dashboard ${path}`, r.foreignCpu)
    const { foreignCpu: _f, ...out } = r
    return out
  }
  const page = await run(pagePath)
  log(`  page  p50 ${page.p50.toFixed(1)} ms, p95 ${page.p95.toFixed(1)} ms, p99 ${page.p99.toFixed(1)} ms (${page.count} responses, ${JSON.stringify(page.statuses)})`)
  const json = await run(`${pagePath}/dashboard.json`)
  log(`  json  p50 ${json.p50.toFixed(1)} ms, p95 ${json.p95.toFixed(1)} ms, p99 ${json.p99.toFixed(1)} ms (${json.count} responses, ${JSON.stringify(json.statuses)})`)

  // The read alone, never shared: what each progress event costs the database, once per campaign.
  const pool = new pg.Pool({ connectionString: db.url, max: 2 })
  const reads: number[] = []
  try {
    const service = createDashboardService({ pool, milestoneRepo: createMilestoneRepo(pool), networkPostRepo: createNetworkPostRepo(pool) })
    for (let i = 0; i < (opts.quick ? 30 : 100); i++) {
      const t0 = performance.now()
      await service.read(db.campaignId)
      if (i >= 5) reads.push(performance.now() - t0)
    }
  } finally {
    await pool.end()
  }
  const read = figures(reads)
  log(`  read  p50 ${read.p50.toFixed(1)} ms, p95 ${read.p95.toFixed(1)} ms, p99 ${read.p99.toFixed(1)} ms (one after the other)`)
  const [{ n }] = await withClient(db.url, async (c) => (await c.query<{ n: string }>("SELECT count FROM campaign_counts WHERE campaign_id = $1 AND dimension = 'total'", [db.campaignId])).rows as [{ n: string }]).catch(() => [{ n: '0' }])
  const ok = (f: LatencyFigures) => Object.keys(f.statuses).every((s) => s === '200')
  return {
    actions: Number(n ?? ACTIONS),
    connections,
    durationS,
    actionsPerSecond,
    page,
    json,
    read,
    targetP95Ms: 200,
    pass: ok(page) && ok(json) && page.p95 < 200 && json.p95 < 200
  }
}
