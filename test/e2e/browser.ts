import { createRequire } from 'node:module'
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Frame, type Page } from 'playwright-core'
import { afterAll, beforeAll } from 'vitest'
import { startWorker, type RunningWorker } from '../../jobs/main.ts'
import { buildTestApp, listen } from '../helper.ts'

/** Debian's Chromium, headless, with nothing that reaches the network by itself. */
export async function launchBrowser (): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic']
  })
}

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js')

/** Runs axe-core on the page (or a frame's document); returns the serious and critical violations (empty when it passes). */
export async function seriousViolations (page: Page | Frame): Promise<Array<{ id: string, impact: string, help: string, nodes: string[] }>> {
  await page.addScriptTag({ path: AXE })
  const result = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: Document, opts: unknown) => Promise<{ violations: Array<{ id: string, impact: string, help: string, nodes: Array<{ target: string[] }> }> }> } }).axe
    return axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] } })
  })
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) }))
}

/** A browser context signed in as a team member (their session cookie, from signIn's `name=value`), with the given options. */
export async function signedInContext (browser: Browser, base: string, who: { cookie: string }, options: BrowserContextOptions = {}): Promise<BrowserContext> {
  const at = who.cookie.indexOf('=')
  const context = await browser.newContext(options)
  await context.addCookies([{ name: who.cookie.slice(0, at), value: who.cookie.slice(at + 1), url: base }])
  return context
}

/** What a browser test drives: the app and its worker, listening on a port, and Chromium. */
export interface BrowserStack {
  t: Awaited<ReturnType<typeof buildTestApp>>
  /** may be replaced by the test (a restarted worker); the one here at the end is closed */
  worker: RunningWorker
  base: string
  browser: Browser
}

/**
 * Starts the stack before the file's tests and stops it after them, last started first stopped (also after a
 * start that failed half way). The object is filled once the file's tests run. env() is read at start, so it may
 * use what an earlier beforeAll made (an SMTP sink's address).
 */
export function browserStack (opts: { env?: () => Record<string, string>, worker?: Parameters<typeof startWorker>[1] } = {}): BrowserStack {
  const stack = {} as BrowserStack
  const stops: Array<() => Promise<unknown>> = []
  beforeAll(async () => {
    stack.t = await buildTestApp(opts.env?.())
    stops.push(() => stack.t.close())
    stack.worker = await startWorker(stack.t.deps, opts.worker)
    stops.push(() => stack.worker.close())
    stack.base = await listen(stack.t)
    stack.browser = await launchBrowser()
    stops.push(() => stack.browser.close())
  })
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop()
  })
  return stack
}

/** Chooses a card (a target or a wording) as a supporter would: the full list is opened first when the card waits in it. */
export async function choose (page: Page, radioId: string): Promise<void> {
  const more = page.locator(`details:not([open]):has(#${radioId}) > summary`)
  if (await more.count()) await more.click()
  await page.click(`label[for="${radioId}"]`)
}
