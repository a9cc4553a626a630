import { readFile } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import { compare, log, once, unexpected, type Comparison, type Metered } from './compare.ts'
import { autocannonRate, findWrk, paced, wrkThroughput, type LoadResult, type PacedResult, type Target } from './load.ts'
import type { BenchOptions } from './options.ts'
import type { NoiseGuard } from './quiet.ts'
import { actionBody, copyToFixture, postAction, settle, SLUG, type Pair } from './servers.ts'
import { clickToEvent, type SseResult } from './sse.ts'

/** Action latency at a fixed rate: open loop (judged) and autocannon's overallRate (for reference). */
export interface FixedRate { rate: number, durationS: number, paced: Metered<PacedResult>, autocannon: Metered<LoadResult>, all201: boolean, targetP99Ms: number, pass: boolean }

/** Click → progress event latency, judged on every client. */
export type ClickToEvent = Metered<SseResult> & { targetP99Ms: number, pass: boolean }

// What a browser sends, Accept-Encoding included (the page is measured as browsers get it).
const PAGE_HEADERS = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', 'accept-language': 'fr-FR,fr;q=0.9,en;q=0.8', 'accept-encoding': 'gzip, deflate, br' }
const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json' }

/** The page comparison, and the same measured with autocannon when wrk judged it (autocannon's figure for reference). */
export type PageComparison = Comparison & { autocannon?: Comparison, note?: string }

/**
 * GET /c/tweetbouteille against GET /hello; { skipped } with the reason when the page does not answer 200 yet.
 * wrk is the client when the machine has it: autocannon parses every response in JavaScript, which on a 2-core
 * machine costs more than serving a 7 KiB page — bare Fastify replaying the page's bytes reaches about half of its
 * hello-world rate under autocannon, so that figure measures the client. autocannon's pair is still run and shown.
 */
export async function pageScenario (opts: BenchOptions, noise: NoiseGuard, baseline: string, app: string, path = `/c/${SLUG}`, name = 'page'): Promise<PageComparison | { skipped: string }> {
  const probe = await fetch(`${app}${path}`, { headers: PAGE_HEADERS, redirect: 'manual' })
  const text = await probe.text()
  if (probe.status !== 200) return { skipped: `GET ${path} answers ${probe.status} (${text.slice(0, 120).replace(/\s+/g, ' ')}…)` }
  const wire = await copyToFixture(app, path, PAGE_HEADERS, baseline)
  const wrk = await findWrk()
  const spec = {
    name,
    opts,
    noise,
    baseline: { origin: baseline, method: 'GET', path: '/hello' },
    reference: { origin: baseline, method: 'GET', path: '/fixture', headers: PAGE_HEADERS },
    app: { origin: app, method: 'GET', path, headers: PAGE_HEADERS },
    ok: '200',
    target: 0.6
  } as const
  log(`${name === 'page' ? 'campaign page' : path} (${(Buffer.byteLength(text) / 1024).toFixed(1)} KiB, ${(wire / 1024).toFixed(1)} KiB on the wire) vs hello world, and vs its own bytes replayed by bare Fastify${wrk ? ', with wrk' : ''}:`)
  if (!wrk) {
    const note = 'wrk is not installed (Debian: apt-get install wrk): autocannon was the client, and its own cost per response limits this figure'
    log(`  ${note}`)
    return { ...await compare(spec), note }
  }
  const judged = await compare({ ...spec, client: 'wrk', load: wrkThroughput(wrk, '200') })
  log('  the same with autocannon as the client (reference; the client is the limit there):')
  const reference = await compare({ ...spec, opts: { ...opts, runs: 1, extraRuns: 0 } })
  return { ...judged, autocannon: reference }
}

/** POST /c/tweetbouteille/act (JSON, fresh key each) against the bare INSERT route, then latency at a fixed rate. */
export async function actionScenario (opts: BenchOptions, noise: NoiseGuard, baseline: string, app: string, appDb: string, pairs: Pair[]): Promise<{ throughput: Comparison, fixedRate: FixedRate }> {
  log('action POST vs bare INSERT:')
  const body = actionBody(pairs)
  const appTarget: Target = { origin: app, method: 'POST', path: `/c/${SLUG}/act`, headers: JSON_HEADERS, body }
  // The worker tallies each app run's rows afterwards: let it finish so it does not load the next measurement.
  const quiet = async (): Promise<void> => { await settle(app, appDb, 20_000); await sleep(300) }
  const throughput = await compare({
    name: 'action',
    opts,
    noise,
    baseline: { origin: baseline, method: 'POST', path: '/insert', headers: JSON_HEADERS, body },
    app: appTarget,
    ok: '201',
    target: 0.4,
    between: quiet
  })

  log(`action latency at ${opts.rate}/s for ${opts.rateDurationS} s (open loop, after a ${opts.warmupS} s warm-up):`)
  const open = await once('action latency', opts, noise, async () => {
    await paced(appTarget, opts.rate, opts.warmupS)
    await quiet()
    return paced(appTarget, opts.rate, opts.rateDurationS)
  })
  log(`  p50 ${open.latency.p50.toFixed(2)} ms, p90 ${open.latency.p90.toFixed(2)} ms, p99 ${open.latency.p99.toFixed(2)} ms; statuses ${JSON.stringify(open.statuses)}`)
  await quiet()
  log(`  the same with autocannon overallRate (${opts.connections} connections, reference):`)
  const ac = await noise.meter(() => autocannonRate(appTarget, opts.connections, opts.rate, opts.rateDurationS))
  if (noise.disturbed(ac.foreignCpu)) noise.warn('action latency (autocannon)', ac.foreignCpu)
  log(`  p50 ${ac.latency.p50} ms, p90 ${ac.latency.p90} ms, p99 ${ac.latency.p99} ms; statuses ${JSON.stringify(ac.statuses)}`)
  await quiet()
  const all201 = unexpected(open, '201') === null && open.requests === open.sent
  return {
    throughput,
    fixedRate: { rate: opts.rate, durationS: opts.rateDurationS, paced: open, autocannon: ac, all201, targetP99Ms: 25, pass: all201 && open.latency.p99 < 25 }
  }
}

/** Many open event streams on one web process: all told every new total, and what they cost in memory. */
export type OpenStreams = Metered<SseResult> & { rssBeforeMiB: number | null, rssOpenMiB: number | null, targetP99Ms: number, pass: boolean }

const rssMiB = async (pid: number | undefined): Promise<number | null> => {
  if (!pid) return null
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '')
  const kib = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1])
  return Number.isFinite(kib) ? kib / 1024 : null
}

/** Opens opts.streams SSE clients on the app (one web process) and times POST → every stream told, one action a second. */
export async function streamsScenario (opts: BenchOptions, noise: NoiseGuard, app: string, appPid: number | undefined, appDb: string, pairs: Pair[]): Promise<OpenStreams> {
  log(`open streams: ${opts.streams.toLocaleString('en-US')} SSE clients on one web process, one action a second for 5 s:`)
  const body = actionBody(pairs)
  const mem: { before: number | null, open: number | null } = { before: null, open: null }
  const r = await once('open streams', opts, noise, async () => {
    mem.before = await rssMiB(appPid)
    return clickToEvent({
      origin: app,
      path: `/c/${SLUG}/events`,
      clients: opts.streams,
      intervalMs: 1000,
      durationS: 5,
      afterOpen: async () => { mem.open = await rssMiB(appPid) },
      base: async () => (await settle(app, appDb)).total,
      send: async () => await postAction(app, body()) === 201
    })
  })
  const per = mem.before !== null && mem.open !== null ? ` (${(((mem.open - mem.before) * 1024) / opts.streams).toFixed(1)} KiB a stream)` : ''
  log(`  every stream told: p50 ${r.all.p50.toFixed(0)} ms, p99 ${r.all.p99.toFixed(0)} ms; missing ${r.missing}; web process ${mem.before?.toFixed(0) ?? '?'} → ${mem.open?.toFixed(0) ?? '?'} MiB${per}`)
  return { ...r, rssBeforeMiB: mem.before, rssOpenMiB: mem.open, targetP99Ms: 1000, pass: r.missing === 0 && r.failedPosts === 0 && r.all.p99 < 1000 }
}

/** Opens SSE clients and times POST → progress event carrying the new total. */
export async function sseScenario (opts: BenchOptions, noise: NoiseGuard, app: string, appDb: string, pairs: Pair[]): Promise<ClickToEvent> {
  log(`click → event: ${opts.sseClients} SSE clients, one action every ${opts.sseIntervalMs} ms for ${opts.sseDurationS} s:`)
  const body = actionBody(pairs)
  const r = await once('click → event', opts, noise, () => clickToEvent({
    origin: app,
    path: `/c/${SLUG}/events`,
    clients: opts.sseClients,
    intervalMs: opts.sseIntervalMs,
    durationS: opts.sseDurationS,
    base: async () => {
      const s = await settle(app, appDb)
      if (!s.settled) log('  warning: the published total had not caught up with the action rows after 30 s')
      return s.total
    },
    send: async () => await postAction(app, body()) === 201
  }))
  log(`  first client p50 ${r.first.p50.toFixed(0)} ms, p99 ${r.first.p99.toFixed(0)} ms; all clients p50 ${r.all.p50.toFixed(0)} ms, p99 ${r.all.p99.toFixed(0)} ms; missing ${r.missing}`)
  return { ...r, targetP99Ms: 1000, pass: r.missing === 0 && r.failedPosts === 0 && r.all.p99 < 1000 }
}
