import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { isAddressOrRange } from './domain/network-address.ts'

export interface Config {
  port: number
  host: string
  /** undefined: run an embedded PostgreSQL with its data under dataDir */
  databaseUrl: string | undefined
  redisUrl: string
  /** true when REDIS_URL was not given, so a local redis-server may be started for the user */
  redisIsDefault: boolean
  publicUrl: string
  /** other sites' origins (scheme://host[:port]) allowed to post supporters' sends, for a campaign embedded there */
  embedOrigins: string[]
  seedDemo: boolean
  /** actions per minute per network address; 0 lifts the limit */
  actionRateLimit: number
  dataDir: string
  logLevel: string
  /** how often (ms) a campaign's progress may be published at most */
  tallyIntervalMs: number
  /** action rows counted per tally transaction */
  tallyBatchSize: number
  /** how often (ms) the reconcile job rebuilds every counter from the action rows */
  reconcileIntervalMs: number
  /** seconds web and worker wait for running work at shutdown */
  shutdownGraceSeconds: number
  /** X-Forwarded-For is read through this many proxies, or from these trusted addresses/CIDRs; false: not read */
  trustProxy: false | number | string[]
  /** ms a client has to send a whole request (headers and body); a body trickled slower is cut */
  requestTimeoutMs: number
  /** event streams one address (an IPv6 /64) may hold open on one web process */
  streamsPerAddress: number
  /** event streams one web process holds open at most */
  streamsPerProcess: number
  /** prefix of every Redis key and channel, so several installations can share one Redis */
  redisPrefix: string
  /** PostgreSQL connections per process */
  dbPoolSize: number
  /** keys the CSRF tokens and the hashes of network addresses (rate limits, sign-in limits); from SECRET, else generated once and kept in DATA_DIR/secret */
  secret: string
  /** outgoing mail server (smtp:// or smtps://, credentials in the URL); undefined: mail is off */
  smtpUrl: string | undefined
  /** the sender of every e-mail Bouteille sends */
  mailFrom: string
  /** first wait (ms) before a failed dossier e-mail is tried again; each next wait doubles */
  deliveryRetryDelayMs: number
  /** tries per dossier e-mail before it is recorded as failed */
  deliveryAttempts: number
  /** the worker follows Bluesky's Jetstream and Mastodon tag timelines for the campaigns' hashtags and targets */
  listening: boolean
  /** Bluesky's Jetstream subscribe endpoint (wss://) */
  jetstreamUrl: string
  /** a Bluesky AppView answering com.atproto.identity.resolveHandle (https://) */
  blueskyAppviewUrl: string
  /** hosts (lower case, optionally host:port) allowed over plain ws:// / http:// or on private addresses: tests and development only */
  outboundAllowHosts: string[]
  /** days after a campaign closes before its listened posts are deleted */
  networkPostsRetentionDays: number
  /** bot defence: the proof of work's difficulty, its lifetime, and what switches it on by itself (README, "Bot defence") */
  challenge: {
    /** the largest number a challenge may hide (ALTCHA's maxnumber): a browser tries half of them on average */
    maxNumber: number
    /** seconds a challenge or a no-JS question may be answered in */
    ttlSeconds: number
    burstFactor: number
    burstMin: number
    /** 0–1 */
    duplicateShare: number
    duplicateMin: number
    /** minutes without a burst before an automatic challenge switches off */
    quietMinutes: number
  }
  /** what is kept and for how long (days); the daily retention job applies them */
  retention: RetentionSettings
  /** who runs this installation, shown on /privacy and /legal and in /privacy.json */
  legal: LegalSettings
}

export interface RetentionSettings {
  /** bottle messages not selected for a dossier (not approved): deleted this many days after their campaign closed */
  unselectedDays: number
  /** signatures of selected messages, and the dossiers' files: removed this many days after the delivery */
  signatureDays: number
  /** supporters' texts on network sends: blanked this many days after the send */
  freeTextDays: number
  /** dossiers a campaign keeps as proof (with their signatures): deleted this many days after the delivery */
  proofDays: number
}

export interface LegalSettings {
  controllerName: string
  controllerAddress: string
  contactEmail: string
  /** the data-protection officer: name and how to reach them; '' when none is designated */
  dpo: string
  /** the hosting provider: name, address and telephone */
  host: string
}

export class ConfigError extends Error {}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

/** Reads and validates the settings; the only reader of process.env. */
export function loadConfig (env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Readonly<Config> {
  const problems: string[] = []

  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name]
    if (raw === undefined || raw === '') return fallback
    const n = Number(raw)
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name} must be a whole number from ${min} to ${max} (got "${raw}").`)
      return fallback
    }
    return n
  }
  const bool = (name: string, fallback: boolean): boolean => {
    const raw = env[name]?.toLowerCase()
    if (raw === undefined || raw === '') return fallback
    if (['1', 'true', 'yes', 'on'].includes(raw)) return true
    if (['0', 'false', 'no', 'off'].includes(raw)) return false
    problems.push(`${name} must be true or false (got "${env[name]}").`)
    return fallback
  }
  // A line shown on the legal pages: trimmed, without control characters (they would not survive the page anyway).
  const oneLine = (name: string, max: number): string => {
    const raw = (env[name] ?? '').trim()
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(raw) || raw.length > max) {
      problems.push(`${name} must be one line of at most ${max} characters (got ${raw.length} characters).`)
      return ''
    }
    return raw
  }
  const url = (name: string, fallback: string | undefined, protocols: string[]): string | undefined => {
    const raw = env[name]
    if (raw === undefined || raw === '') return fallback
    try {
      const u = new URL(raw)
      if (!protocols.includes(u.protocol)) throw new Error('protocol')
      return raw
    } catch {
      problems.push(`${name} must be a ${protocols.join(' or ')}// URL (got "${raw}").`)
      return fallback
    }
  }

  const port = int('PORT', 3000, 0, 65535)
  const host = env.HOST || '0.0.0.0'
  const databaseUrl = url('DATABASE_URL', undefined, ['postgres:', 'postgresql:'])
  const redisUrl = url('REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:'])!
  const publicUrl = (url('PUBLIC_URL', `http://localhost:${port}`, ['http:', 'https:'])!).replace(/\/+$/, '')
  const embedOrigins = origins('EMBED_ORIGINS', env.EMBED_ORIGINS, problems)
  const logLevel = env.LOG_LEVEL || 'info'
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got "${logLevel}").`)
  if (env.REDIS_PREFIX !== undefined && !/^[A-Za-z0-9_.-]{1,64}$/.test(env.REDIS_PREFIX)) problems.push(`REDIS_PREFIX may hold letters, digits, '_', '.' and '-' only (got "${env.REDIS_PREFIX}").`)
  const dataDir = resolve(cwd, env.DATA_DIR || '.data')
  const secret = env.SECRET ? env.SECRET : storedSecret(dataDir, problems)
  const weak = secret ? secretProblem(secret) : null
  if (weak) problems.push(`SECRET ${weak} (try: openssl rand -hex 32, or leave SECRET unset to have one generated in DATA_DIR).`)

  const smtpUrl = url('SMTP_URL', undefined, ['smtp:', 'smtps:'])
  const mailFrom = env.MAIL_FROM || 'Bouteille <bouteille@localhost>'
  if (!/^[^\r\n<>]*<?[^\s@<>]+@[^\s@<>]+>?$/.test(mailFrom)) problems.push(`MAIL_FROM must be an address, optionally with a name: "Campaign team <team@example.org>" (got "${mailFrom}").`)

  const outboundAllowHosts = (env.OUTBOUND_ALLOW_HOSTS ?? '').split(',').map((h) => h.trim().toLowerCase()).filter(Boolean)
  for (const h of outboundAllowHosts) if (!/^[a-z0-9.-]+(:\d{1,5})?$|^\[[0-9a-f:]+\](:\d{1,5})?$/.test(h)) problems.push(`OUTBOUND_ALLOW_HOSTS must list host names or addresses, optionally with :port, separated by commas (got "${h}").`)
  const outbound = (name: string, fallback: string, secure: string, plain: string): string => {
    const value = url(name, fallback, [secure, plain])!
    const u = new URL(value)
    if (u.protocol === plain && !outboundAllowHosts.includes(u.hostname.toLowerCase()) && !outboundAllowHosts.includes(u.host.toLowerCase())) {
      problems.push(`${name} must use ${secure}// (plain ${plain}// only for a host listed in OUTBOUND_ALLOW_HOSTS, meant for tests and development; got "${value}").`)
    }
    return value
  }

  const config: Config = {
    port,
    host,
    databaseUrl,
    redisUrl,
    redisIsDefault: !env.REDIS_URL,
    publicUrl,
    embedOrigins,
    seedDemo: bool('SEED_DEMO', true),
    // 20 refused a conference hall or a carrier's shared address after one send each (issue 13); a campaign may raise its own.
    actionRateLimit: int('ACTION_RATE_LIMIT', 120, 0, 1_000_000),
    dataDir,
    logLevel,
    tallyIntervalMs: int('TALLY_INTERVAL_MS', 300, 50, 10_000),
    tallyBatchSize: int('TALLY_BATCH_SIZE', 5000, 1, 100_000),
    reconcileIntervalMs: int('RECONCILE_INTERVAL_MS', 600_000, 1000, 86_400_000),
    trustProxy: trustProxy(env.TRUST_PROXY, problems),
    requestTimeoutMs: int('REQUEST_TIMEOUT_MS', 120_000, 100, 3_600_000),
    streamsPerAddress: int('STREAMS_PER_ADDRESS', 100, 1, 1_000_000),
    streamsPerProcess: int('STREAMS_PER_PROCESS', 20_000, 1, 1_000_000),
    redisPrefix: env.REDIS_PREFIX || 'bouteille',
    dbPoolSize: int('DB_POOL_SIZE', 10, 1, 500),
    shutdownGraceSeconds: int('SHUTDOWN_GRACE_SECONDS', 10, 1, 600),
    secret,
    smtpUrl,
    mailFrom,
    deliveryRetryDelayMs: int('DELIVERY_RETRY_DELAY_MS', 60_000, 100, 86_400_000),
    deliveryAttempts: int('DELIVERY_ATTEMPTS', 6, 1, 50),
    listening: bool('LISTENING', true),
    jetstreamUrl: outbound('JETSTREAM_URL', 'wss://jetstream2.us-east.bsky.network/subscribe', 'wss:', 'ws:'),
    blueskyAppviewUrl: outbound('BLUESKY_APPVIEW_URL', 'https://public.api.bsky.app', 'https:', 'http:').replace(/\/+$/, ''),
    outboundAllowHosts,
    networkPostsRetentionDays: int('NETWORK_POSTS_RETENTION_DAYS', 90, 1, 3650),
    challenge: {
      maxNumber: int('CHALLENGE_MAX_NUMBER', 100_000, 1000, 10_000_000),
      ttlSeconds: int('CHALLENGE_TTL_SECONDS', 1200, 30, 86_400),
      burstFactor: int('CHALLENGE_BURST_FACTOR', 5, 1, 1000),
      burstMin: int('CHALLENGE_BURST_MIN', 60, 1, 1_000_000),
      duplicateShare: int('CHALLENGE_DUPLICATE_PERCENT', 50, 1, 100) / 100,
      duplicateMin: int('CHALLENGE_DUPLICATE_MIN', 20, 1, 1_000_000),
      quietMinutes: int('CHALLENGE_QUIET_MINUTES', 30, 1, 10_080)
    },
    // Defaults justified in the README ("Privacy"): the shortest that still lets a team report and prove a delivery.
    retention: {
      unselectedDays: int('RETENTION_UNSELECTED_DAYS', 30, 0, 3650),
      signatureDays: int('RETENTION_SIGNATURE_DAYS', 30, 0, 3650),
      freeTextDays: int('RETENTION_FREE_TEXT_DAYS', 90, 0, 3650),
      proofDays: int('RETENTION_PROOF_DAYS', 365, 0, 3650)
    },
    // What a French publisher must show (publisher, contact, host's name, address and telephone): LCEN art. 6 III,
    // https://www.legifrance.gouv.fr/loda/id/JORFTEXT000000801164; the controller and DPO: GDPR Art. 13(1)(a)-(b),
    // https://eur-lex.europa.eu/eli/reg/2016/679/oj; both checked 2026-12-04.
    legal: {
      controllerName: oneLine('LEGAL_CONTROLLER_NAME', 200),
      controllerAddress: oneLine('LEGAL_CONTROLLER_ADDRESS', 500),
      contactEmail: oneLine('LEGAL_CONTACT_EMAIL', 200),
      dpo: oneLine('LEGAL_DPO', 500),
      host: oneLine('LEGAL_HOST', 500)
    }
  }
  if (config.legal.contactEmail && !/^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/.test(config.legal.contactEmail)) problems.push(`LEGAL_CONTACT_EMAIL must be an e-mail address such as privacy@example.org (got "${config.legal.contactEmail}").`)
  if (config.retention.proofDays < config.retention.signatureDays) problems.push(`RETENTION_PROOF_DAYS (${config.retention.proofDays}) must not be shorter than RETENTION_SIGNATURE_DAYS (${config.retention.signatureDays}): a dossier kept as proof is kept longer, not shorter.`)
  if (problems.length > 0) {
    throw new ConfigError(`Bouteille cannot start, the settings need fixing:\n  - ${problems.join('\n  - ')}\nSee .env.example for every setting.`)
  }
  return Object.freeze(config)
}

// Values published in this project's files and older releases: anyone could sign cookies and CSRF tokens with them.
const KNOWN_SECRETS = new Set(['bouteille-development-secret-change-me', 'change-me-to-32-random-characters-or-more'])

/** Why a secret is not good enough, or null: a known placeholder, or shorter than 32 characters. */
export function secretProblem (secret: string): string | null {
  if (KNOWN_SECRETS.has(secret) || /change-?me|replace-?me/i.test(secret)) return 'is a published placeholder; set a random value of your own'
  if (secret.length < 32) return `must be at least 32 characters long (got ${secret.length})`
  return null
}

// With no SECRET, one is generated on first start and kept (mode 0600) so sessions survive a restart.
// 'wx' creates it only if absent: two processes starting at once keep the same one.
function storedSecret (dataDir: string, problems: string[]): string {
  const file = join(dataDir, 'secret')
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 })
    try {
      writeFileSync(file, `${randomBytes(32).toString('hex')}\n`, { flag: 'wx', mode: 0o600 })
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
    return readFileSync(file, 'utf8').trim()
  } catch (err) {
    problems.push(`SECRET is not set and ${file} could not be created or read (${(err as Error).message}); set SECRET or make DATA_DIR writable.`)
    return ''
  }
}

function trustProxy (raw: string | undefined, problems: string[]): false | number | string[] {
  const value = raw?.trim().toLowerCase()
  if (value === undefined || value === '' || value === 'false' || value === '0') return false
  if (value === 'true') {
    // Fastify's `true` takes the left-most X-Forwarded-For, which the client writes itself: any limit is bypassed.
    problems.push('TRUST_PROXY=true would believe any X-Forwarded-For a client sends; set the number of proxies in front of Bouteille (e.g. TRUST_PROXY=1) or their addresses/CIDRs (e.g. TRUST_PROXY=10.0.0.0/8,127.0.0.1).')
    return false
  }
  const n = Number(value)
  if (/^\d+$/.test(value) && n >= 1 && n <= 10) return n
  const list = value.split(',').map((a) => a.trim()).filter(Boolean)
  const wrong = list.filter((a) => !isAddressOrRange(a))
  if (list.length > 0 && wrong.length === 0) return list
  problems.push(`TRUST_PROXY must be false, the number of proxies in front of Bouteille (1 to 10), or a comma-separated list of their addresses or CIDRs (got "${raw}").`)
  return false
}

function origins (name: string, raw: string | undefined, problems: string[]): string[] {
  const list = (raw ?? '').split(',').map((o) => o.trim()).filter(Boolean)
  const out: string[] = []
  for (const o of list) {
    let u: URL | undefined
    try { u = new URL(o) } catch {}
    if (!u || !['http:', 'https:'].includes(u.protocol) || u.origin.toLowerCase() !== o.replace(/\/+$/, '').toLowerCase()) {
      problems.push(`${name} must list origins such as https://partner.example.org, separated by commas, without a path (got "${o}").`)
    } else out.push(u.origin.toLowerCase())
  }
  return out
}
