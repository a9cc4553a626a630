// The bot defence's cost: action POST with the challenge on (each request carrying a fresh, pre-solved solution)
// against the bare INSERT, and the solver's time in Chromium on a CPU slowed four times (a phone-class figure).
import { createHash } from 'node:crypto'
import pg from 'pg'
import { Redis } from 'ioredis'
import { chromium } from 'playwright-core'
import { compare, log, type Comparison } from './compare.ts'
import type { BenchOptions } from './options.ts'
import type { NoiseGuard } from './quiet.ts'
import { redisUrl } from './scratch.ts'
import { SLUG, actionBody, settle, type Pair } from './servers.ts'

const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json' }

/** The app's difficulty in the throughput runs (pre-solving stays quick; verifying costs the same at any), and the default's. */
export const CHALLENGE_DIFFICULTY = { bench: 1000, default: 100_000 }

/** What the challenge scenario measured. */
export interface ChallengeResult {
  throughput: Comparison
  /** the difficulty the app's challenges had in the throughput runs (the verification costs the same at any) */
  benchMaxNumber: number
  /** the default difficulty, and the solver's time in Chromium with CPU throttling ×4, for an average and the worst number */
  maxNumber: number
  phoneMs: { average: number | null, worst: number | null }
}

interface Issued { algorithm: string, challenge: string, maxnumber: number, salt: string, signature: string }

/** Fetches and solves n challenges from the app (a few at a time), as n browsers would have before sending. */
async function presolve (origin: string, n: number): Promise<string[]> {
  const out: string[] = []
  const one = async (): Promise<void> => {
    const c = await (await fetch(`${origin}/c/${SLUG}/challenge.json`)).json() as Issued
    for (let i = 0; i <= c.maxnumber; i++) {
      if (createHash('sha256').update(c.salt + i).digest('hex') === c.challenge) {
        out.push(Buffer.from(JSON.stringify({ ...c, number: i })).toString('base64'))
        return
      }
    }
    throw new Error('a challenge without a solution')
  }
  for (let done = 0; done < n; done += 32) await Promise.all(Array.from({ length: Math.min(32, n - done) }, one))
  return out
}

/** Switches the demo campaign's challenge on, as the campaigner's form does (the row, then the announcement). */
async function switchOn (databaseUrl: string, redisPrefix: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl })
  client.on('error', () => {})
  await client.connect()
  try { await client.query("UPDATE campaigns SET challenge_mode = 'on' WHERE slug = $1", [SLUG]) } finally { await client.end() }
  const redis = new Redis(redisUrl(), { lazyConnect: true, maxRetriesPerRequest: 1 })
  redis.on('error', () => {})
  await redis.connect()
  try { await redis.publish(`${redisPrefix}:campaigns`, JSON.stringify({ slug: SLUG })) } finally { redis.disconnect() }
}

/** The solver (public/js/challenge-worker.js) timed in Chromium on the app's page, CPU throttled ×4 (CDP). */
async function phoneSolve (origin: string, maxNumber: number): Promise<{ average: number | null, worst: number | null }> {
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] })
  try {
    const page = await browser.newPage()
    await page.goto(`${origin}/c/${SLUG}`)
    const cdp = await page.context().newCDPSession(page)
    // https://chromedevtools.github.io/devtools-protocol/tot/Emulation/#method-setCPUThrottlingRate, checked 2026-12-04
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 })
    const time = async (n: number): Promise<number | null> => {
      const salt = `${createHash('sha256').update(String(Math.random())).digest('hex').slice(0, 24)}?expires=9999999999&`
      const challenge = createHash('sha256').update(salt + n).digest('hex')
      return page.evaluate(async (c) => new Promise<number | null>((resolve) => {
        const started = performance.now()
        const worker = new Worker('/assets/js/challenge-worker.js')
        worker.onmessage = (e) => { worker.terminate(); resolve(e.data.number === null ? null : performance.now() - started) }
        worker.onerror = () => resolve(null)
        worker.postMessage(c)
      }), { algorithm: 'SHA-256', challenge, maxnumber: maxNumber, salt })
    }
    const median = (xs: Array<number | null>): number | null => {
      const ok = xs.filter((x): x is number => x !== null).sort((a, b) => a - b)
      return ok.length ? ok[Math.floor(ok.length / 2)]! : null
    }
    const average: Array<number | null> = []
    for (let i = 0; i < 3; i++) average.push(await time(Math.floor(maxNumber / 2)))
    return { average: median(average), worst: await time(maxNumber) }
  } finally {
    await browser.close()
  }
}

/** Action POST with the challenge on vs the bare INSERT (target ≥ 40 %), and the phone-class solving time. */
export async function challengeScenario (opts: BenchOptions, noise: NoiseGuard, baseline: string, app: { origin: string, redisPrefix: string }, appDb: string, pairs: Pair[], difficulty = CHALLENGE_DIFFICULTY): Promise<ChallengeResult> {
  log('action POST with the challenge on vs bare INSERT:')
  await switchOn(appDb, app.redisPrefix)
  // Each solution works once. Enough for one run at 4,000 sends/s first; after each measurement (outside it), topped
  // up to half as many again as the last one used, so a faster hour does not run out (a run that lacks some shows 403s).
  const perRun = (opts.warmupS + opts.durationS) * 4000
  log(`  pre-solving ${perRun.toLocaleString('en-US')} challenges (difficulty ${difficulty.bench}), topped up between runs…`)
  const solutions = await presolve(app.origin, perRun)
  let mark = 0
  const topUp = async (): Promise<void> => {
    const want = Math.max(perRun, Math.ceil((next - mark) * 1.5))
    mark = next
    const left = solutions.length - next
    if (left < want) solutions.push(...await presolve(app.origin, want - left))
  }
  const plain = actionBody(pairs)
  let next = 0
  // The solution (base64: nothing to escape) goes in by concatenation: the load generator shares the CPUs with the
  // app, so its own work per request is kept to what the baseline's costs.
  const body = (): string => `${plain().slice(0, -1)},"altcha":"${solutions[next++ % solutions.length]!}"}`
  const quiet = async (): Promise<void> => { await settle(app.origin, appDb, 20_000); await topUp() }
  const throughput = await compare({
    name: 'action-challenge',
    opts,
    noise,
    baseline: { origin: baseline, method: 'POST', path: '/insert', headers: JSON_HEADERS, body: plain },
    app: { origin: app.origin, method: 'POST', path: `/c/${SLUG}/act`, headers: JSON_HEADERS, body },
    ok: '201',
    target: 0.4,
    between: quiet
  })
  log(`  solver in Chromium, CPU ×4, difficulty ${difficulty.default}:`)
  const phoneMs = await phoneSolve(app.origin, difficulty.default)
  log(`  average ${phoneMs.average?.toFixed(0) ?? 'n/a'} ms, worst ${phoneMs.worst?.toFixed(0) ?? 'n/a'} ms`)
  return { throughput, benchMaxNumber: difficulty.bench, maxNumber: difficulty.default, phoneMs }
}
