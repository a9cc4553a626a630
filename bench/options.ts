/** The measurements the bench can run (--only=page,page-langs,embed,action,sse,streams,dashboard,listening,card,action-challenge). */
export const SCENARIOS = ['page', 'page-langs', 'embed', 'action', 'sse', 'streams', 'dashboard', 'listening', 'card', 'action-challenge'] as const
export type Scenario = typeof SCENARIOS[number]

/** Everything a bench run is configured with. */
export interface BenchOptions {
  quick: boolean
  only: Set<Scenario>
  /** baseline/app pairs per throughput measurement (the median ratio is reported) */
  runs: number
  warmupS: number
  durationS: number
  connections: number
  /** fixed rate for the action latency measurement, requests per second */
  rate: number
  rateDurationS: number
  sseClients: number
  sseIntervalMs: number
  sseDurationS: number
  /** open event streams held by one web process in the streams measurement */
  streams: number
  /** extra pairs allowed when another workload disturbed some (this is a shared machine) */
  extraRuns: number
  /** longest total wait, over the whole bench, for other workloads to calm down before measurements */
  quietBudgetS: number
  /** write CPU profiles of the app child under /tmp */
  profile: boolean
}

const USAGE = `Usage: npm run bench -- [--quick] [--only=page,page-langs,embed,action,sse,streams,dashboard,listening,card,action-challenge] [--runs=N] [--profile]
  --quick      one run, short durations (smoke check, under 1.5 minutes)
  --only=...   measure only these (page, page-langs: the page in French, Spanish and Arabic, embed: the widget, action, sse, streams: 10,000 open event streams, dashboard: 10 million actions, built once and kept, listening: a generated Bluesky firehose, card: share cards, action-challenge: action POST with the bot-defence challenge on, and its solving time in Chromium at CPU ×4)
  --runs=N     baseline/app pairs per throughput measurement (default 7; the median ratio is reported)
  --profile    run the app with --cpu-prof; profiles go to /tmp/bouteille-bench-prof`

/** Reads the command-line flags; throws with the usage text on a bad flag. */
export function parseOptions (argv: string[]): BenchOptions {
  const flags = new Map<string, string>()
  for (const arg of argv) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg)
    if (!m || !['quick', 'only', 'runs', 'profile', 'help'].includes(m[1]!)) throw new Error(`unknown argument "${arg}"\n${USAGE}`)
    flags.set(m[1]!, m[2] ?? '')
  }
  if (flags.has('help')) throw new Error(USAGE)
  const quick = flags.has('quick')
  const only = new Set<Scenario>(SCENARIOS)
  if (flags.get('only')) {
    only.clear()
    for (const name of flags.get('only')!.split(',')) {
      if (!(SCENARIOS as readonly string[]).includes(name)) throw new Error(`--only: unknown measurement "${name}"\n${USAGE}`)
      only.add(name as Scenario)
    }
  }
  const runs = flags.get('runs') ? Number(flags.get('runs')) : quick ? 1 : 7
  if (!Number.isInteger(runs) || runs < 1 || runs > 15) throw new Error(`--runs must be a whole number from 1 to 15\n${USAGE}`)
  return {
    quick,
    only,
    runs,
    warmupS: quick ? 1 : 2,
    durationS: quick ? 3 : 4,
    connections: 50,
    rate: 1000,
    rateDurationS: quick ? 4 : 10,
    sseClients: 20,
    sseIntervalMs: quick ? 100 : 150,
    sseDurationS: quick ? 4 : 10,
    streams: quick ? 2_000 : 10_000,
    extraRuns: quick ? 0 : 1,
    quietBudgetS: quick ? 10 : 45,
    profile: flags.has('profile')
  }
}
