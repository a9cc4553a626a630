import { randomBytes, randomUUID } from 'node:crypto'
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { createServer } from 'node:net'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import pg from 'pg'
import { Redis } from 'ioredis'
import { inject } from 'vitest'
import { buildApp } from '../server/app.ts'
import { loadConfig } from '../server/config.ts'
import { createDeps, type Deps } from '../server/deps.ts'
import { campaigns, campaignTexts, messages, targets, type CampaignStatus, type Channel, type UserRole } from '../server/db/schema.ts'
import { SESSION_COOKIE, sessionBinding } from '../server/plugins/admin.ts'
import type { SessionUser } from '../server/services/auth-service.ts'
import { withDatabase } from './global-setup.ts'

export const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379'

export const silentLog = { info: () => {}, warn: () => {}, error: () => {} }

/** A fresh database cloned from the migrated template; drop() removes it. */
export async function createTestDatabase (): Promise<{ url: string, name: string, drop: () => Promise<void> }> {
  const adminUrl = inject('adminUrl')
  const name = `bouteille_t_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  // CREATE DATABASE … TEMPLATE fails while another session is connected to the template: retry briefly.
  for (let i = 0; ; i++) {
    try {
      await admin.query(`CREATE DATABASE ${name} TEMPLATE ${inject('templateDb')}`)
      break
    } catch (err) {
      if (i > 50) throw err
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
  await admin.end()
  return {
    url: withDatabase(adminUrl, name),
    name,
    drop: async () => {
      const c = new pg.Client({ connectionString: adminUrl })
      await c.connect()
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      await c.end()
    }
  }
}

/** The environment a test process would be started with: its own database and Redis prefix. */
export function testEnv (databaseUrl: string, prefix: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    DATABASE_URL: databaseUrl,
    REDIS_URL,
    REDIS_PREFIX: prefix,
    LOG_LEVEL: 'silent',
    ACTION_RATE_LIMIT: '0',
    PUBLIC_URL: 'http://bouteille.test',
    TALLY_INTERVAL_MS: '100',
    // No test reaches the real networks: listening is off unless a test turns it on against its local fakes.
    LISTENING: 'off',
    ...extra
  }
}

export interface TestContext {
  deps: Deps
  databaseUrl: string
  prefix: string
  close: () => Promise<void>
}

/** Deps over a fresh database and a fresh Redis prefix. */
export async function buildTestDeps (extra: Record<string, string> = {}): Promise<TestContext> {
  const database = await createTestDatabase()
  const prefix = `bt-${randomBytes(4).toString('hex')}`
  const config = loadConfig(testEnv(database.url, prefix, extra))
  const deps = await createDeps({ ...config, databaseUrl: database.url }, silentLog)
  return {
    deps,
    databaseUrl: database.url,
    prefix,
    close: async () => {
      await deps.close()
      await clearRedisPrefix(prefix)
      await database.drop()
    }
  }
}

/** Deps and the web app (not listening; use app.inject), with the catalog and hub started. */
export async function buildTestApp (extra: Record<string, string> = {}) {
  const ctx = await buildTestDeps(extra)
  const app = await buildApp(ctx.deps)
  await ctx.deps.catalog.start()
  await ctx.deps.progressHub.start()
  await app.ready()
  return {
    ...ctx,
    app,
    close: async () => {
      ctx.deps.progressHub.close()
      await app.close()
      await ctx.close()
    }
  }
}

export async function clearRedisPrefix (prefix: string): Promise<void> {
  const r = new Redis(REDIS_URL)
  try {
    let cursor = '0'
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000)
      cursor = next
      if (keys.length) await r.del(...keys)
    } while (cursor !== '0')
  } finally {
    r.disconnect()
  }
}

export interface SeededCampaign {
  id: string
  slug: string
  targets: Array<{ id: string, name: string, handles: Record<string, string>, email: string | null }>
  messages: Array<{ id: string, locale: string, body: string, targetId: string | null }>
}

/** A small campaign straight in the database: 3 targets (one without e-mail), 2 messages per language. */
export async function seedCampaign (deps: Pick<Deps, 'db'>, opts: { slug?: string, status?: CampaignStatus, goal?: number, channels?: Channel[], opensAt?: Date, closesAt?: Date } = {}): Promise<SeededCampaign> {
  const slug = opts.slug ?? `test-${randomBytes(3).toString('hex')}`
  const [c] = await deps.db.insert(campaigns).values({
    slug,
    status: opts.status ?? 'live',
    goal: opts.goal ?? 100,
    defaultLocale: 'fr',
    channels: opts.channels ?? ['x', 'bluesky', 'mastodon', 'threads', 'email', 'bottle'],
    opensAt: opts.opensAt,
    closesAt: opts.closesAt
  }).returning()
  const id = c!.id
  await deps.db.insert(campaignTexts).values([
    { campaignId: id, locale: 'fr', title: 'Le climat n’attend pas', pitch: 'Écrivez aux négociateurs.', callToAction: 'Agissez', shareText: 'J’ai agi', hashtags: ['tweetbouteille'] },
    { campaignId: id, locale: 'en', title: 'Climate can’t wait', pitch: 'Write to the negotiators.', callToAction: 'Act', shareText: 'I acted', hashtags: ['tweetbottle'] }
  ])
  const ts = await deps.db.insert(targets).values([
    { campaignId: id, name: 'Alice Martin', role: { fr: 'Ministre', en: 'Minister' }, country: 'FR', handles: { x: 'alice_martin', bluesky: 'alice.bsky.social', mastodon: 'alice@climat.social', threads: 'alice.martin' }, email: 'alice@example.org', position: 0 },
    { campaignId: id, name: 'Bongani Dube', role: { fr: 'Négociateur', en: 'Negotiator' }, country: 'ZA', handles: { x: 'bdube', bluesky: 'bdube.bsky.social' }, email: 'bdube@example.org', position: 1 },
    { campaignId: id, name: 'Carla Souza', role: { fr: 'Présidente', en: 'President' }, country: 'BR', handles: { x: 'carlasouza' }, email: null, position: 2 }
  ]).returning({ id: targets.id, name: targets.name, handles: targets.handles, email: targets.email })
  const ms = await deps.db.insert(messages).values([
    { campaignId: id, locale: 'fr', body: '{target} financez le fonds pertes et dommages maintenant ! {hashtags} {link}', position: 0 },
    { campaignId: id, locale: 'fr', body: '{target}, des millions de personnes comptent sur vous. {hashtags} {link}', position: 1 },
    { campaignId: id, locale: 'en', body: '{target} fund loss and damage now! {hashtags} {link}', position: 0 },
    { campaignId: id, locale: 'en', body: '{target}, millions are counting on you. {hashtags} {link}', position: 1 }
  ]).returning({ id: messages.id, locale: messages.locale, body: messages.body, targetId: messages.targetId })
  return { id, slug, targets: ts as SeededCampaign['targets'], messages: ms }
}

/** A valid form body for an action. */
export function actBody (c: SeededCampaign, extra: Record<string, string> = {}): Record<string, string> {
  return { target: c.targets[0]!.id, message: c.messages[0]!.id, key: randomUUID(), channel: 'x', ...extra }
}

/** Waits until fn() returns a truthy value (polling), or fails after timeoutMs. */
export async function eventually<T> (fn: () => Promise<T | undefined | null | false>, timeoutMs = 15_000, label = 'condition'): Promise<T> {
  const until = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const v = await fn()
      if (v) return v
    } catch (err) { last = err }
    if (Date.now() > until) throw new Error(`timed out waiting for ${label}${last ? `: ${String(last)}` : ''}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

export interface SignedIn { user: SessionUser, cookie: string, csrf: string, headers: Record<string, string> }

/** Creates a team account with a role and returns what a signed-in browser sends: the session cookie and the CSRF token. */
export async function signIn (deps: Pick<Deps, 'auth'>, role: UserRole, email = `${role}-${randomBytes(3).toString('hex')}@example.org`): Promise<SignedIn> {
  const created = await deps.auth.createUser({ email, password: 'correct horse battery staple', role })
  // A real server-side session, as POST /admin/login opens one.
  const session = await deps.auth.createSession(created.id, { userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0' })
  const user: SessionUser = { ...created, sessionId: session.id }
  const cookie = `${SESSION_COOKIE}=${session.token}`
  const csrf = deps.auth.csrfToken(sessionBinding(session.id))
  return { user, cookie, csrf, headers: { cookie } }
}

/**
 * Counts, as they are made, the queries sent through a pool (pool.query, drizzle included, and every client taken
 * with pool.connect for a transaction); restore() puts the pool back. PostgreSQL's own statistics lag by a second.
 */
export function countPoolQueries (pool: pg.Pool): { count: () => number, restore: () => void } {
  let n = 0
  let inQuery = false
  const query = pool.query
  const connect = pool.connect
  pool.query = function (this: pg.Pool, ...args: unknown[]) {
    n++
    // pool.query takes its client with this.connect, synchronously: that one is the same query.
    inQuery = true
    try { return (query as (...a: unknown[]) => unknown).apply(this, args) } finally { inQuery = false }
  } as typeof pool.query
  pool.connect = function (this: pg.Pool, ...args: unknown[]) {
    if (!inQuery) n++
    return (connect as (...a: unknown[]) => unknown).apply(this, args)
  } as typeof pool.connect
  return { count: () => n, restore: () => { pool.query = query; pool.connect = connect } }
}

let gc: (() => void) | null = null
/** A full garbage collection now, so that what a test measures is memory held, not garbage waiting for the collector. */
export function fullGc (): void {
  if (!gc) {
    setFlagsFromString('--expose-gc')
    gc = runInNewContext('gc') as () => void
  }
  gc()
}

/** A loopback port nothing listens on now (for a process the test starts). */
export function freePort (): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const p = (srv.address() as { port: number }).port
      srv.close(() => resolve(p))
    })
  })
}

/** Makes the app listen on a free loopback port; returns its base URL (for browsers and plain HTTP clients). */
export async function listen (t: { app: Awaited<ReturnType<typeof buildTestApp>>['app'] }): Promise<string> {
  await t.app.listen({ port: 0, host: '127.0.0.1' })
  const addr = t.app.server.address()
  if (!addr || typeof addr === 'string') throw new Error('no address')
  return `http://127.0.0.1:${addr.port}`
}

/** The text of an HTML page without tags, entities decoded for the few we write. */
export function pageText (html: string): string {
  return html.replace(/<[^>]+>/g, ' ').replace(/&quot;/g, '"').replace(/&#39;/g, '\'').replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/\s+/g, ' ')
}

/**
 * Opens a Server-Sent Events stream over real HTTP and collects its frames as they arrive: with `only`, the parsed
 * data of that event's frames; without, { event, data } for every frame. Resolves on the response, or with
 * firstData once its first bytes came (the stream is subscribed then).
 */
export function readEventStream<T> (base: string, path: string, { only, cookie, firstData = false }: { only?: string, cookie?: string, firstData?: boolean } = {}): Promise<{ events: T[], res: IncomingMessage, close: () => void }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { headers: { accept: 'text/event-stream', ...(cookie ? { cookie } : {}) } }, (res) => {
      const events: T[] = []
      let buffer = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        buffer += chunk
        let i
        while ((i = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, i)
          buffer = buffer.slice(i + 2)
          const event = /^event: (.+)$/m.exec(frame)?.[1]
          const data = /^data: (.+)$/m.exec(frame)?.[1]
          if (!event || !data) continue
          if (only === undefined) events.push({ event, data: JSON.parse(data) } as T)
          else if (event === only) events.push(JSON.parse(data) as T)
        }
      })
      res.on('error', () => {})
      const stream = { events, res, close: () => req.destroy() }
      if (firstData) res.once('data', () => resolve(stream))
      else resolve(stream)
    })
    req.on('error', reject)
    req.end()
  })
}
