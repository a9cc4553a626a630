// npm run bench [-- --quick] [-- --only=page,action,sse,streams,dashboard,listening] [-- --runs=N] [-- --profile]
// Measures the app against bare Fastify baselines started here, each server in its own child process; see options.ts.
import { cpus } from 'node:os'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { parseOptions, type BenchOptions } from './options.ts'
import { stopAll } from './procs.ts'
import { noiseGuard } from './quiet.ts'
import { allPassed, table, writeJson, type Results } from './report.ts'
import { actionScenario, pageScenario, sseScenario, streamsScenario } from './scenarios.ts'
import { embedScenario } from './embed.ts'
import { cardScenario } from './cards.ts'
import { dashboardScenario, prepareDashboardDatabase } from './dashboard.ts'
import { pageLangsScenario } from './page-langs.ts'
import { listeningScenario } from './listening.ts'
import { CHALLENGE_DIFFICULTY, challengeScenario } from './challenge.ts'
import { cleanRedisPrefix, createBaselineSchema, databaseUrl, dropDatabase, recreateDatabase } from './scratch.ts'
import { findPairs, PROFILE_DIR, startApp, startBaseline } from './servers.ts'

const APP_DB = 'bouteille_bench_app'
const BASE_DB = 'bouteille_bench_base'
const RESULTS = fileURLToPath(new URL('./results/latest.json', import.meta.url))

const log = (line: string): void => { process.stderr.write(`${line}\n`) }

let redisPrefix: string | null = null
const extraPrefixes: string[] = []
let cleaning: Promise<void> | null = null

/** Stops the servers, then removes the scratch databases and the app's Redis keys (once). */
function cleanup (): Promise<void> {
  cleaning ??= (async () => {
    await stopAll()
    const steps = [dropDatabase(APP_DB), dropDatabase(BASE_DB)]
    for (const prefix of [redisPrefix, ...extraPrefixes]) if (prefix) steps.push(cleanRedisPrefix(prefix).then(() => {}))
    for (const r of await Promise.allSettled(steps)) if (r.status === 'rejected') log(`cleanup: ${(r.reason as Error).message}`)
  })()
  return cleaning
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`\n${signal}: stopping the servers and cleaning up…`)
    cleanup().finally(() => process.exit(130))
  })
}

async function measure (opts: BenchOptions, results: Results): Promise<void> {
  const appDb = databaseUrl(APP_DB)
  const baseDb = databaseUrl(BASE_DB)
  const needBaseline = opts.only.has('page') || opts.only.has('page-langs') || opts.only.has('embed') || opts.only.has('action') || opts.only.has('card') || opts.only.has('action-challenge')
  const needApp = needBaseline || opts.only.has('sse') || opts.only.has('streams')
  await recreateDatabase(APP_DB)
  if (needBaseline) {
    await recreateDatabase(BASE_DB)
    await createBaselineSchema(baseDb)
  }
  log('starting the servers…')
  const [baseline, app] = await Promise.all([needBaseline ? startBaseline(baseDb) : null, needApp ? startApp(appDb, opts.profile, { CHALLENGE_MAX_NUMBER: String(CHALLENGE_DIFFICULTY.bench) }) : null])
  redisPrefix = app?.redisPrefix ?? null
  const pairs = app && (opts.only.has('action') || opts.only.has('action-challenge') || opts.only.has('sse') || opts.only.has('streams')) ? await findPairs(app.origin, appDb) : []
  const noise = noiseGuard(opts.quietBudgetS * 1000)
  results.warnings = noise.warnings

  if (opts.only.has('page')) results.page = await pageScenario(opts, noise, baseline!.origin, app!.origin)
  if (opts.only.has('embed')) results.embed = await embedScenario(opts, noise, baseline!.origin, app!.origin)
  if (opts.only.has('page-langs')) results.pageLangs = await pageLangsScenario(opts, noise, baseline!.origin, app!.origin, appDb, app!.redisPrefix)
  if (opts.only.has('action')) {
    const { throughput, fixedRate } = await actionScenario(opts, noise, baseline!.origin, app!.origin, appDb, pairs)
    results.action = throughput
    results.actionLatency = fixedRate
  }
  if (opts.only.has('card')) results.card = await cardScenario(opts, noise, baseline!.origin, app!.origin)
  // After the action scenario: it switches the campaign's challenge on.
  if (opts.only.has('action-challenge')) results.actionChallenge = await challengeScenario(opts, noise, baseline!.origin, app!, appDb, pairs)
  if (opts.only.has('sse')) results.sse = await sseScenario(opts, noise, app!.origin, appDb, pairs)
  if (opts.only.has('streams')) results.streams = await streamsScenario(opts, noise, app!.origin, app!.child.proc.pid, appDb, pairs)
  if (opts.only.has('dashboard')) {
    // Its own app over the kept 10-million-action database; no scheduled rebuild during the measurement.
    const db = await prepareDashboardDatabase()
    const dashApp = await startApp(db.url, opts.profile, { RECONCILE_INTERVAL_MS: String(24 * 3_600_000), SEED_DEMO: 'false' })
    extraPrefixes.push(dashApp.redisPrefix)
    results.dashboard = await dashboardScenario(opts, noise, dashApp.origin, db)
  }
  if (opts.only.has('listening')) results.listening = await listeningScenario(opts)
}

/** Runs the bench; prints the table on stdout and writes bench/results/latest.json. */
async function main (): Promise<number> {
  let opts: BenchOptions
  try {
    opts = parseOptions(process.argv.slice(2))
  } catch (err) {
    log((err as Error).message)
    return 2
  }
  const started = performance.now()
  const results: Results = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, node: process.version, platform: `${process.platform}-${process.arch}` },
    options: { ...opts, only: [...opts.only] },
    warnings: []
  }
  try {
    await measure(opts, results)
  } catch (err) {
    results.error = (err as Error).message
    log(`bench failed: ${(err as Error).stack ?? String(err)}`)
  } finally {
    await cleanup()
  }
  results.durationS = Math.round((performance.now() - started) / 1000)
  await writeJson(RESULTS, results)
  process.stdout.write(`\n${table(results)}\n`)
  log(`results written to ${RESULTS} (${results.durationS} s)`)
  if (opts.profile) log(`CPU profiles of the app: ${PROFILE_DIR}`)
  return results.error ? 2 : allPassed(results) ? 0 : 1
}

process.exitCode = await main()
