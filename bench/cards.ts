// Share cards: a cached card.png view against the hello-world GET (≥ 60 %), and the time to draw a card the app has
// not drawn yet (p95 < 300 ms), measured in the app process through the route: each first view of a card (a
// target × language × format) is a render.
import { performance } from 'node:perf_hooks'
import { compare, log, once, type Comparison, type Metered } from './compare.ts'
import { findWrk, wrkThroughput } from './load.ts'
import type { BenchOptions } from './options.ts'
import type { NoiseGuard } from './quiet.ts'
import { SLUG } from './servers.ts'
import { percentile } from './stats.ts'

export interface CardRenders { count: number, p50: number, p95: number, max: number, targetP95Ms: number, pass: boolean }
export interface CardResult { cached: Comparison, renders: Metered<CardRenders>, pass: boolean }

/** Cached card views vs hello world, then N first views timed one after another. */
export async function cardScenario (opts: BenchOptions, noise: NoiseGuard, baseline: string, app: string): Promise<CardResult | { skipped: string }> {
  const probe = await fetch(`${app}/c/${SLUG}/card.png?lang=fr`)
  const bytes = (await probe.arrayBuffer()).byteLength
  if (probe.status !== 200) return { skipped: `GET /c/${SLUG}/card.png answers ${probe.status}` }
  const version = probe.headers.get('etag')!.replace(/"/g, '')
  const progress = await (await fetch(`${app}/c/${SLUG}/progress.json`)).json() as { targets: Array<{ id: string }> }

  const count = opts.quick ? 12 : 60
  log(`card renders: ${count} cards not drawn yet (targets × languages × formats), one after another:`)
  const renders = await once('card renders', opts, noise, async () => {
    const times: number[] = []
    let i = 0
    for (const format of ['landscape', 'square', 'story']) {
      for (const lang of ['fr', 'en']) {
        for (const t of progress.targets) {
          if (i++ >= count) break
          const started = performance.now()
          const res = await fetch(`${app}/c/${SLUG}/card.png?lang=${lang}&format=${format}&target=${t.id}`)
          await res.arrayBuffer()
          if (res.status !== 200) throw new Error(`card render answered ${res.status}`)
          times.push(performance.now() - started)
        }
      }
    }
    return { count: times.length, p50: percentile(times, 50), p95: percentile(times, 95), max: Math.max(...times), targetP95Ms: 300, pass: percentile(times, 95) < 300 }
  })
  log(`  p50 ${renders.p50.toFixed(0)} ms, p95 ${renders.p95.toFixed(0)} ms, max ${renders.max.toFixed(0)} ms over ${renders.count}`)

  const wrk = await findWrk()
  const path = `/c/${SLUG}/card.png?lang=fr&v=${version}`
  log(`cached card.png (${(bytes / 1024).toFixed(1)} KiB) vs hello world${wrk ? ', with wrk' : ''}:`)
  const spec = { name: 'card', opts, noise, baseline: { origin: baseline, method: 'GET', path: '/hello' }, app: { origin: app, method: 'GET', path }, ok: '200', target: 0.6 } as const
  const cached = wrk ? await compare({ ...spec, client: 'wrk', load: wrkThroughput(wrk, '200') }) : await compare(spec)
  return { cached, renders, pass: cached.pass && renders.pass }
}
