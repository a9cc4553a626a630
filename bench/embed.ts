import type { BenchOptions } from './options.ts'
import type { NoiseGuard } from './quiet.ts'
import { pageScenario, type PageComparison } from './scenarios.ts'
import { SLUG } from './servers.ts'

/** GET /c/tweetbouteille/embed (the widget, cached like the campaign page) against GET /hello: the page's bar, ≥ 60 %. */
export function embedScenario (opts: BenchOptions, noise: NoiseGuard, baseline: string, app: string): Promise<PageComparison | { skipped: string }> {
  return pageScenario(opts, noise, baseline, app, `/c/${SLUG}/embed`, 'embed')
}
