import { fileURLToPath } from 'node:url'
import { Redis, type RedisOptions } from 'ioredis'
import type { Config } from './config.ts'
import { createDb } from './db/client.ts'
import { createI18n } from './i18n.ts'
import { createQueues, createTallyRequester } from './queues.ts'
import { createActionRepo } from './repos/action-repo.ts'
import { createCampaignRepo } from './repos/campaign-repo.ts'
import { createMilestoneRepo } from './repos/milestone-repo.ts'
import { createNetworkPostRepo } from './repos/network-post-repo.ts'
import { createListeningService } from './services/listening-service.ts'
import { createDashboardHub } from './services/dashboard-hub.ts'
import { createDashboardService } from './services/dashboard-service.ts'
import { createPostAnswerService } from './services/post-answer-service.ts'
import { createBottleRepo } from './repos/bottle-repo.ts'
import { createBottleHub } from './services/bottle-hub.ts'
import { createBottleService } from './services/bottle-service.ts'
import { createActionService } from './services/action-service.ts'
import { createAuditService } from './services/audit-service.ts'
import { createAuthService, sessionsChannel } from './services/auth-service.ts'
import { createTeamService } from './services/team-service.ts'
import { createAccessService } from './services/access-service.ts'
import { channels as busChannels, createBus } from './services/bus.ts'
import { createCardFonts } from './infra/card-fonts.ts'
import { createCardRenderer } from './services/card-renderer.ts'
import { createCardService } from './services/card-service.ts'
import { createTargetRepo } from './repos/target-repo.ts'
import { createCampaignCatalog } from './services/campaign-catalog.ts'
import { createDeliveryService } from './services/delivery-service.ts'
import { createDossierService } from './services/dossier-service.ts'
import { createMailer } from './services/mailer.ts'
import { createPasswordService } from './services/password-service.ts'
import { createSessionWatch } from './services/session-watch.ts'
import { createTwoFactorService } from './services/two-factor-service.ts'
import { createProgressHub } from './services/progress-hub.ts'
import { createProgressService } from './services/progress-service.ts'
import { createRateLimiter } from './services/rate-limiter.ts'
import { createThrottledLog } from './infra/throttled-log.ts'
import { createStreamLimiter } from './services/stream-limiter.ts'
import { createPartnerRepo } from './repos/partner-repo.ts'
import { rankPartners } from './domain/partner-rules.ts'
import { createPartnerService } from './services/partner-service.ts'
import { createReachService } from './services/reach-service.ts'
import { createShareKitService } from './services/share-kit-service.ts'
import { createChallengeService } from './services/challenge-service.ts'
import { createSignalService } from './services/signal-service.ts'
import { createSuspectRepo } from './repos/suspect-repo.ts'
import { createSuspectService } from './services/suspect-service.ts'
import { createWithdrawalService } from './services/withdrawal-service.ts'
import { createRetentionService } from './services/retention-service.ts'
import { createLegalTextService } from './services/legal-text-service.ts'

export interface Logger {
  info: (msg: string) => void
  warn: (msg: string) => void
  error: (obj: unknown, msg?: string) => void
}

/** The settings createDeps needs: the config with the database URL resolved (embedded or given). */
export type ResolvedConfig = Config & { databaseUrl: string }

const VIEWS = fileURLToPath(new URL('../views', import.meta.url))

/**
 * How soon a lost Redis connection is tried again: every 250 ms at first, then every second. BullMQ's own default
 * grows to 20 s (Math.min(Math.exp(times), 20000) in bullmq/src/classes/redis-connection.ts, checked 2026-12-04),
 * so counts would resume up to 20 s after Redis is back; a retry is one TCP connect, cheap at this pace.
 */
export const redisRetryStrategy = (times: number): number => Math.min(250 * times, 1000)

/** Builds the one dependency graph that web and worker share; close() releases everything it opened. */
export async function createDeps (config: ResolvedConfig, log: Logger) {
  // Outages fail every request alike: one line per kind of failure and interval, not one per request.
  const outageLog = createThrottledLog(log)
  const { pool, db } = createDb(config.databaseUrl, config.dbPoolSize, (err) => outageLog('postgres', `PostgreSQL: ${err.message}`))

  const redisOptions: RedisOptions = { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false, retryStrategy: redisRetryStrategy }
  // Commands (publish, rate limits): fail fast when Redis is away instead of queueing in memory.
  const redis = new Redis(config.redisUrl, redisOptions)
  // Pub/sub: needs its own connection; resubscribes by itself after a reconnect.
  const subscriber = new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: null, retryStrategy: redisRetryStrategy })
  for (const r of [redis, subscriber]) r.on('error', (err) => outageLog('redis', `Redis: ${err.message}`))
  await Promise.all([redis.connect(), subscriber.connect()])

  // BullMQ producers: fail fast too, so an action response never waits on a Redis outage.
  const queues = createQueues({ url: config.redisUrl, enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy: redisRetryStrategy } as never, config.redisPrefix)
  for (const q of Object.values(queues)) q.on('error', (err: Error) => outageLog('redis', `Redis (queue): ${err.message}`))

  const channels = busChannels(config.redisPrefix)
  const bus = createBus(subscriber)
  const i18n = createI18n(`${VIEWS}/locales`)
  const actionRepo = createActionRepo(pool)
  const campaignRepo = createCampaignRepo(db)
  const progressService = createProgressService({ db, actionRepo, redis, channels })
  const progressHub = createProgressHub({ bus, channels, read: progressService.read })
  const milestoneRepo = createMilestoneRepo(pool)
  // Reach (issue 14): share clicks, supporter links and the partners' leaderboard, read by the dashboard's Recruitment.
  const reach = createReachService({ db, redis, channels, onPublishError: (err) => outageLog('share-publish', `share counted, dashboards not told: ${err.message}`) })
  const partnerRepo = createPartnerRepo(db)
  const networkPostRepo = createNetworkPostRepo(pool)
  const dashboardService = createDashboardService({
    pool,
    milestoneRepo,
    networkPostRepo,
    recruitment: async (campaignId) => {
      const [figures, list, counts] = await Promise.all([reach.recruitment(campaignId), partnerRepo.list(campaignId), partnerRepo.refCounts(campaignId)])
      return { ...figures, partners: rankPartners(list.map((p) => ({ name: p.name, code: p.code, logo: p.logo, count: counts.get(p.code) ?? 0 }))) }
    }
  })
  const postAnswers = createPostAnswerService({ db, redis, channels, onPublishError: (err) => outageLog('post-answer-publish', `answer counted, dashboards not told: ${err.message}`) })
  // The dashboard carries the bot-defence signals too (Redis counters, the mode, the marked windows).
  const dashboardHub = createDashboardHub({
    bus,
    channels,
    read: async (id) => {
      const [d, signals, windows, mode] = await Promise.all([dashboardService.read(id), signalService.read(id).catch(() => null), suspectRepo.list(id), challengeModeOf(id)])
      return d && mode ? { ...d, defence: { ...mode, signals, windows } } : d
    }
  })
  const catalog = createCampaignCatalog({ repo: campaignRepo, bus, channels })
  const rateLimiter = createRateLimiter({ redis, prefix: config.redisPrefix, limitPerMinute: config.actionRateLimit, secret: config.secret })
  const streamLimiter = createStreamLimiter({ perAddress: config.streamsPerAddress, perProcess: config.streamsPerProcess })
  const bottleRepo = createBottleRepo(pool, db)
  const bottleHub = createBottleHub({ bus, channels })
  const audit = createAuditService({ db })
  const announceCampaign = async (slug: string, previousSlug?: string): Promise<void> => {
    await redis.publish(channels.campaigns, JSON.stringify({ slug, previousSlug }))
  }
  const signalService = createSignalService({
    redis,
    prefix: config.redisPrefix,
    thresholds: config.challenge,
    onBurst: async (c, reason) => { if (await challenge.switchOnAuto(c, reason)) signalService.autoSwitched(c.id) },
    onChange: (campaignId) => redis.publish(channels.dashboard, JSON.stringify({ campaignId })),
    onError: (err) => outageLog('signals', `bot-defence signals not counted: ${err.message}`)
  })
  const challenge = createChallengeService({
    pool,
    redis,
    prefix: config.redisPrefix,
    secret: config.secret,
    settings: config.challenge,
    audit,
    announceCampaign,
    signalRefusal: signalService.refused,
    log: outageLog
  })
  const suspectRepo = createSuspectRepo(pool)
  const suspects = createSuspectService({ repo: suspectRepo, audit, recounted: (id) => progressService.publish(id) })
  const challengeModeOf = async (id: string) => {
    const res = await pool.query<{ mode: 'off' | 'on' | 'auto', until: Date | null }>('SELECT challenge_mode AS mode, challenge_auto_until AS until FROM campaigns WHERE id = $1', [id])
    const r = res.rows[0]
    return r ? { mode: r.mode, active: challenge.active({ challengeMode: r.mode, challengeAutoUntil: r.until }), autoUntil: r.until?.toISOString() ?? null } : null
  }
  const actionService = createActionService({
    actionRepo,
    bottleRepo,
    requestTally: createTallyRequester(queues, config.tallyIntervalMs, (err) => outageLog('tally-enqueue', `tally not queued (the sweep will count it): ${(err as Error).message}`)),
    challenge,
    observe: signalService.observe,
    publicUrl: config.publicUrl
  })

  const auth = createAuthService({ db, redis, prefix: config.redisPrefix, secret: config.secret })
  const twoFactor = createTwoFactorService({ db, secret: config.secret })
  const passwords = createPasswordService({ db, auth })
  const sessionWatch = createSessionWatch({ bus, channel: sessionsChannel(config.redisPrefix), auth })
  const access = createAccessService({ db, audit, live: { redis, bus, channels } })
  const team = createTeamService({ db, auth, twoFactor, audit })
  const mailer = createMailer({ url: config.smtpUrl, from: config.mailFrom })
  const dossiers = createDossierService({ db, i18n, campaignLink: (c) => `${config.publicUrl}/c/${c.slug}`, networkPosts: networkPostRepo })
  const delivery = createDeliveryService({ db, queues, mailer, dossiers, audit, announceCampaign, log, retryDelayMs: config.deliveryRetryDelayMs, attempts: config.deliveryAttempts })
  const listening = createListeningService({ repo: networkPostRepo, audit, redis, channels })
  const bottle = createBottleService({
    db, repo: bottleRepo, audit, redis, channels, announce: announceCampaign, recounted: (id) => progressService.publish(id)
  })
  // Share cards: fonts read on the first card drawn, once per process.
  const targetRepo = createTargetRepo(db)
  const cards = createCardService({ i18n, redis, prefix: config.redisPrefix, renderer: createCardRenderer({ fonts: createCardFonts() }), photo: (id) => targetRepo.photo(id) })

  // Reach: partners, supporter links and share clicks (issue 14).
  const partners = createPartnerService({
    repo: partnerRepo,
    audit,
    // After the commit: a lost announcement heals by itself (the catalog's TTL).
    announce: (slug) => announceCampaign(slug).catch((err: Error) => log.warn(`partner change not announced: ${err.message}`))
  })
  const shareKit = createShareKitService({ db, campaignRepo, queues, mailer, audit, i18n, publicUrl: config.publicUrl })
  const withdrawals = createWithdrawalService({ pool, redis, channels, recounted: (id) => progressService.publish(id) })
  const retention = createRetentionService({ pool, audit, settings: config.retention, redis, channels })
  const legalTexts = createLegalTextService({ db, audit })

  return {
    config,
    log,
    /** warns once per kind of failure and interval (outages) */
    outageLog,
    pool,
    db,
    redis,
    subscriber,
    queues,
    channels,
    bus,
    i18n,
    actionRepo,
    campaignRepo,
    progressService,
    progressHub,
    milestoneRepo,
    networkPostRepo,
    targetRepo,
    dashboardService,
    dashboardHub,
    catalog,
    rateLimiter,
    streamLimiter,
    actionService,
    auth,
    twoFactor,
    passwords,
    sessionWatch,
    audit,
    team,
    access,
    mailer,
    dossiers,
    delivery,
    bottleRepo,
    bottleHub,
    bottle,
    postAnswers,
    listening,
    cards,
    partners,
    reach,
    shareKit,
    /** bot defence: the challenge, its signals, and the windows marked suspicious */
    challenge,
    signalService,
    suspects,
    withdrawals,
    retention,
    legalTexts,
    /** Announces that a campaign's public content changed, so every web instance drops its copy. */
    announceCampaign,
    async close (): Promise<void> {
      progressHub.close()
      sessionWatch.close()
      dashboardHub.close()
      bottleHub.close()
      mailer.close()
      await Promise.allSettled(Object.values(queues).map((q) => q.close()))
      redis.disconnect()
      subscriber.disconnect()
      await pool.end()
    }
  }
}

export type Deps = Awaited<ReturnType<typeof createDeps>>
