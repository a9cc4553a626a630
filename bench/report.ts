import { mkdir, writeFile } from 'node:fs/promises'
import { SAME_AS_FRENCH, type PageLangs } from './page-langs.ts'
import { dirname } from 'node:path'
import type { BenchOptions } from './options.ts'
import type { Comparison } from './compare.ts'
import type { ClickToEvent, FixedRate, OpenStreams, PageComparison } from './scenarios.ts'
import type { DashboardResult } from './dashboard.ts'
import type { ListeningResult } from './listening.ts'
import type { CardResult } from './cards.ts'
import type { ChallengeResult } from './challenge.ts'

/** Everything one bench run measured (also written as JSON). */
export interface Results {
  date: string
  machine: { cpus: number, node: string, platform: string }
  options: Omit<BenchOptions, 'only'> & { only: string[] }
  durationS?: number
  page?: PageComparison | { skipped: string }
  embed?: PageComparison | { skipped: string }
  /** the page in French, Spanish and Arabic, each against hello world */
  pageLangs?: PageLangs
  action?: Comparison
  actionLatency?: FixedRate
  actionChallenge?: ChallengeResult
  sse?: ClickToEvent
  streams?: OpenStreams
  dashboard?: DashboardResult
  listening?: ListeningResult
  card?: CardResult | { skipped: string }
  /** measurements that another workload disturbed */
  warnings: string[]
  error?: string
}

type Row = [string, string, string, string]

const pct = (r: number): string => `${(r * 100).toFixed(1)} %`
const ms = (n: number): string => Number.isFinite(n) ? `${n < 10 ? n.toFixed(2) : n.toFixed(0)} ms` : 'n/a'
const rps = (n: number): string => `${Math.round(n).toLocaleString('en-US')}/s`
const verdict = (pass: boolean): string => pass ? 'PASS' : 'FAIL'
const pairs = (c: Comparison): string => `(${c.used} of ${c.runs.length} pairs)`

function rows (r: Results): Row[] {
  const out: Row[] = []
  for (const [lang, c] of Object.entries(r.pageLangs ?? {})) {
    out.push(lang === 'fr'
      ? [`Campaign page ?lang=${lang} / hello GET (${c.client})`, `${pct(c.ratio)} ${pairs(c)}`, '≥ 60 %', verdict(c.pass)]
      : [`Campaign page ?lang=${lang} / ?lang=fr (${c.client})`, `${pct(c.ratio)} ${pairs(c)}`, `≥ ${pct(SAME_AS_FRENCH)}`, verdict(c.pass)])
  }
  if (r.page && 'skipped' in r.page) out.push(['Campaign page / hello GET', 'skipped', '≥ 60 %', 'SKIP'])
  else if (r.page) {
    out.push([`Campaign page / hello GET (${r.page.client})`, pct(r.page.ratio), '≥ 60 %', verdict(r.page.pass)])
    out.push(['  page, hello (median req/s)', `${rps(r.page.appRps)}, ${rps(r.page.baselineRps)} ${pairs(r.page)}`, '', ''])
    if (r.page.referenceRatio !== undefined) {
      out.push(['  page / its bytes replayed by bare Fastify', `${pct(r.page.referenceRatio)} (${rps(r.page.referenceRps!)})`, '(ceiling)', ''])
    }
    const ac = r.page.autocannon
    if (ac) {
      out.push(['  with autocannon: page / hello', `${pct(ac.ratio)} (${rps(ac.appRps)}, ${rps(ac.baselineRps)})`, '(reference)', ''])
      if (ac.referenceRps !== undefined) out.push(['  with autocannon: same bytes / hello', pct(ac.referenceRps / ac.baselineRps), '(client limit)', ''])
    }
  }
  if (r.embed && 'skipped' in r.embed) out.push(['Widget (/embed) / hello GET', 'skipped', '≥ 60 %', 'SKIP'])
  else if (r.embed) {
    out.push([`Widget (/embed) / hello GET (${r.embed.client})`, pct(r.embed.ratio), '≥ 60 %', verdict(r.embed.pass)])
    out.push(['  widget, hello (median req/s)', `${rps(r.embed.appRps)}, ${rps(r.embed.baselineRps)} ${pairs(r.embed)}`, '', ''])
  }
  if (r.action) {
    out.push(['Action POST / bare INSERT', pct(r.action.ratio), '≥ 40 %', verdict(r.action.pass)])
    out.push(['  action, INSERT (median req/s)', `${rps(r.action.appRps)}, ${rps(r.action.baselineRps)} ${pairs(r.action)}`, '', ''])
  }
  if (r.actionLatency) {
    const { paced: p, autocannon: a, rate } = r.actionLatency
    out.push([`Action p99 at ${rate}/s (open loop)`, ms(p.latency.p99), '< 25 ms', verdict(r.actionLatency.pass)])
    out.push(['  p50 / p90', `${ms(p.latency.p50)} / ${ms(p.latency.p90)}`, '', ''])
    out.push(['  every response 201', r.actionLatency.all201 ? 'yes' : `no: ${JSON.stringify(p.statuses)}, ${p.errors} errors`, 'yes', ''])
    out.push(['  autocannon overallRate p50/p90/p99', `${ms(a.latency.p50)} / ${ms(a.latency.p90)} / ${ms(a.latency.p99)}`, '(reference)', ''])
  }
  if (r.actionChallenge) {
    const c = r.actionChallenge
    out.push(['Action POST, challenge on / bare INSERT', pct(c.throughput.ratio), '≥ 40 %', verdict(c.throughput.pass)])
    out.push(['  action, INSERT (median req/s)', `${rps(c.throughput.appRps)}, ${rps(c.throughput.baselineRps)} ${pairs(c.throughput)}`, '', ''])
    out.push([`  solving in Chromium, CPU ×4 (maxnumber ${c.maxNumber.toLocaleString('en-US')})`, `${c.phoneMs.average === null ? 'n/a' : ms(c.phoneMs.average)} average, ${c.phoneMs.worst === null ? 'n/a' : ms(c.phoneMs.worst)} worst`, '(phone-class)', ''])
  }
  if (r.sse) {
    out.push([`Click → event p99 (all ${r.sse.clients} clients)`, ms(r.sse.all.p99), '< 1 s', verdict(r.sse.pass)])
    out.push(['  p50 all clients; first client p50/p99', `${ms(r.sse.all.p50)}; ${ms(r.sse.first.p50)} / ${ms(r.sse.first.p99)}`, '', ''])
    out.push(['  actions sent / never seen', `${r.sse.actions} / ${r.sse.missing}`, '0 unseen', ''])
  }
  if (r.streams) {
    const st = r.streams
    out.push([`${st.clients.toLocaleString('en-US')} open streams, every one told p99`, ms(st.all.p99), '< 1 s', verdict(st.pass)])
    out.push(['  p50; actions sent / not seen by all', `${ms(st.all.p50)}; ${st.actions} / ${st.missing}`, '0 unseen', ''])
    if (st.rssBeforeMiB !== null && st.rssOpenMiB !== null) {
      out.push(['  web process memory, idle → streams open', `${st.rssBeforeMiB.toFixed(0)} → ${st.rssOpenMiB.toFixed(0)} MiB (${(((st.rssOpenMiB - st.rssBeforeMiB) * 1024) / st.clients).toFixed(1)} KiB a stream)`, '', ''])
    }
  }
  if (r.card && 'skipped' in r.card) out.push(['Cached card.png / hello GET', 'skipped', '≥ 60 %', 'SKIP'])
  else if (r.card) {
    out.push([`Cached card.png / hello GET (${r.card.cached.client})`, pct(r.card.cached.ratio), '≥ 60 %', verdict(r.card.cached.pass)])
    out.push(['  card, hello (median req/s)', `${rps(r.card.cached.appRps)}, ${rps(r.card.cached.baselineRps)} ${pairs(r.card.cached)}`, '', ''])
    out.push([`Card render p95 (${r.card.renders.count} new cards)`, ms(r.card.renders.p95), '< 300 ms', verdict(r.card.renders.pass)])
    out.push(['  render p50 / max', `${ms(r.card.renders.p50)} / ${ms(r.card.renders.max)}`, '', ''])
  }
  if (r.dashboard) {
    const d = r.dashboard
    const ok = (f: DashboardResult['page']) => f.p95 < d.targetP95Ms
    out.push([`Dashboard page p95 (${d.actions.toLocaleString('en-US')} actions)`, ms(d.page.p95), '< 200 ms', verdict(ok(d.page))])
    out.push(['  page p50 / p99', `${ms(d.page.p50)} / ${ms(d.page.p99)}`, '', ''])
    out.push(['Dashboard JSON p95', ms(d.json.p95), '< 200 ms', verdict(ok(d.json))])
    out.push(['  JSON p50 / p99', `${ms(d.json.p50)} / ${ms(d.json.p99)}`, '', ''])
    out.push([`  while ${d.actionsPerSecond} actions/s, ${d.connections} connections`, `${d.page.count} pages, ${d.json.count} JSON`, '', ''])
    out.push(['  one read of the counters p50 / p95 / p99', `${ms(d.read.p50)} / ${ms(d.read.p95)} / ${ms(d.read.p99)}`, '', ''])
  }
  if (r.listening) {
    const l = r.listening
    out.push([`Listening: firehose events read (${l.events.toLocaleString('en-US')}, 1 in 1,000 matching)`, rps(l.eventsPerSecond), '≥ 5,000/s', verdict(l.eventsPerSecond >= 5_000)])
    out.push(['  naive consumer (JSON.parse every event)', `${rps(l.naivePerSecond)} (ours ${(l.eventsPerSecond / l.naivePerSecond).toFixed(1)}×)`, '(baseline)', ''])
    out.push([`  at ${rps(l.rate)}: matching post → dashboard stream max`, ms(l.latency.max), '< 1 s', verdict(l.pass)])
    out.push(['  p50 / p99; posts seen', `${ms(l.latency.p50)} / ${ms(l.latency.p99)}; ${l.seen} of ${l.matching}`, '', ''])
  }
  return out
}

/** The results as a text table with PASS/FAIL per target. */
export function table (r: Results): string {
  const header: Row = ['Measure', 'Result', 'Target', 'Verdict']
  const all = [header, ...rows(r)]
  const widths = header.map((_, i) => Math.max(...all.map((row) => row[i]!.length)))
  const line = (row: Row): string => `│ ${row.map((cell, i) => cell.padEnd(widths[i]!)).join(' │ ')} │`
  const rule = (l: string, m: string, e: string): string => `${l}${widths.map((w) => '─'.repeat(w + 2)).join(m)}${e}`
  const runs = r.options.runs > 1 ? `medians of ${r.options.runs} baseline/app pairs` : '1 baseline/app pair'
  return [
    `Bouteille bench — ${r.date}, ${r.machine.cpus} CPUs, Node ${r.machine.node}, ${runs}${r.options.quick ? ' (quick)' : ''}`,
    rule('┌', '┬', '┐'), line(header), rule('├', '┼', '┤'), ...rows(r).map(line), rule('└', '┴', '┘'),
    ...(r.page && !('skipped' in r.page) ? r.page.problems : []).map((p) => `page: ${p}`),
    ...(r.action?.problems ?? []).map((p) => `action: ${p}`),
    ...(r.actionChallenge?.throughput.problems ?? []).map((p) => `action-challenge: ${p}`),
    ...(r.page && 'skipped' in r.page ? [`page skipped: ${r.page.skipped}`] : []),
    ...(r.page && !('skipped' in r.page) && r.page.note ? [`page: ${r.page.note}`] : []),
    ...(r.warnings.length ? ['warning: other processes were using the CPUs, so these figures are unreliable:', ...r.warnings.map((w) => `  ${w}`)] : []),
    ...(r.error ? [`error: ${r.error}`] : [])
  ].join('\n')
}

/** True when every measured target passed (a skipped measure does not count). */
export function allPassed (r: Results): boolean {
  const page = !r.page || 'skipped' in r.page || r.page.pass
  const embed = !r.embed || 'skipped' in r.embed || r.embed.pass
  const langs = Object.values(r.pageLangs ?? {}).every((c) => c.pass)
  return !r.error && page && embed && langs && (r.action?.pass ?? true) && (r.actionLatency?.pass ?? true) && (r.actionChallenge?.throughput.pass ?? true) && (r.sse?.pass ?? true) && (r.streams?.pass ?? true) && (r.dashboard?.pass ?? true) && (r.listening?.pass ?? true) && (!r.card || 'skipped' in r.card || r.card.pass)
}

/** Writes the results as JSON (NaN becomes null). */
export async function writeJson (path: string, r: Results): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  await writeFile(path, `${JSON.stringify(r, (_k, v: unknown) => typeof v === 'number' && !Number.isFinite(v) ? null : v, 2)}\n`)
}
