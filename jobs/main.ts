import { Worker, type Job } from 'bullmq'
import { redisRetryStrategy, type Deps } from '../server/deps.ts'
import { campaignAdminFrom } from '../server/services/campaign-admin-service.ts'
import { runDeliveryJob } from './delivery-job.ts'
import { runTransitionJob } from './lifecycle-job.ts'
import { notifyMilestone } from './milestone-job.ts'
import { enqueueMilestoneNotice, enqueueTally, scheduleRetention, type JobPayloads } from '../server/queues.ts'
import { runRetention } from './retention-job.ts'
import { reconcileCounts } from './reconcile-job.ts'
import { startListening } from './listening.ts'
import { tallyCampaign } from './tally-job.ts'

type CountsJob = Job<JobPayloads['counts'][keyof JobPayloads['counts']], unknown, string>

export interface RunningWorker { close: () => Promise<void> }

/**
 * Starts the consumers (counts, milestone notices, the campaigns' timed openings and closings, and the bottle's delivery). Besides the queued work, each
 * worker sweeps every few seconds for actions no job was queued for (Redis lost or restarted, an enqueue that
 * failed), asks for a reconcile once per interval, and re-plans the timed transitions from PostgreSQL at start
 * and every lifecycleSweepMs (applying any that are overdue).
 */
export async function startWorker (deps: Deps, { concurrency = 4, lifecycleSweepMs = 30_000 }: { concurrency?: number, lifecycleSweepMs?: number } = {}): Promise<RunningWorker> {
  const { config, log, outageLog } = deps
  // Blocking connections never give up on a command; they reconnect within a second of Redis answering again.
  const connection = { url: config.redisUrl, maxRetriesPerRequest: null, retryStrategy: redisRetryStrategy } as never

  const worker = new Worker('counts', async (job: CountsJob) => {
    if (job.name === 'tally') {
      const { campaignId } = job.data as JobPayloads['counts']['tally']
      return { counted: await tallyCampaign(deps, campaignId) }
    }
    if (job.name === 'reconcile') {
      const { campaignId } = job.data as JobPayloads['counts']['reconcile']
      return { campaigns: await reconcileCounts(deps, campaignId) }
    }
    throw new Error(`unknown job ${job.name}`)
  }, {
    connection,
    prefix: config.redisPrefix,
    concurrency,
    // Short locks: a worker killed mid-tally hands its job over within seconds (the tally is transactional, so a rerun is exact).
    lockDuration: 10_000,
    stalledInterval: 5_000
  })
  worker.on('error', (err) => outageLog('worker', `worker: ${err.message}`))
  worker.on('failed', (job, err) => outageLog(`counts-failed:${job?.name ?? '?'}`, `job ${job?.name ?? '?'} failed: ${err.message}`))

  // Campaign openings and closings: delayed jobs, backed by PostgreSQL (reconcileSchedules) so they survive losing Redis.
  const campaignAdmin = campaignAdminFrom(deps)
  const lifecycle = new Worker('lifecycle', async (job: Job<JobPayloads['lifecycle']['transition']>) => {
    if (job.name === 'transition') return { result: await runTransitionJob(campaignAdmin, job.data) }
    throw new Error(`unknown job ${job.name}`)
  }, {
    connection,
    prefix: config.redisPrefix,
    concurrency: 2
  })
  lifecycle.on('error', (err) => outageLog('worker', `lifecycle worker: ${err.message}`))
  lifecycle.on('failed', (job, err) => log.warn(`lifecycle job ${job?.id ?? '?'} failed: ${err.message}`))
  // Milestone e-mails to the team: apart from the counts, so a slow mail server never delays a tally.
  const notify = new Worker('notify', async (job: Job<JobPayloads['notify'][keyof JobPayloads['notify']]>) => {
    if (job.name === 'milestone') return { result: await notifyMilestone(deps, (job.data as JobPayloads['notify']['milestone']).milestoneId) }
    if (job.name === 'shareKit') return { result: await deps.shareKit.sendMail((job.data as JobPayloads['notify']['shareKit']).mailId) }
    throw new Error(`unknown job ${job.name}`)
  }, {
    connection,
    prefix: config.redisPrefix,
    concurrency: 2
  })
  notify.on('error', (err) => outageLog('worker', `notify worker: ${err.message}`))
  notify.on('failed', (job, err) => log.warn(`${job?.name ?? 'notify'} job ${job?.id ?? '?'} failed: ${err.message}`))

  const reconcileSchedules = async (): Promise<void> => {
    try {
      await campaignAdmin.reconcileSchedules()
      // Automatic challenges whose quiet period has passed: switched off, audited (bot defence).
      await deps.challenge.sweep()
    } catch (err) {
      outageLog('lifecycle reconcile', `lifecycle reconcile: ${(err as Error).message}`)
    }
  }
  await reconcileSchedules()
  const lifecycleTimer = setInterval(() => { reconcileSchedules().catch(() => {}) }, lifecycleSweepMs)

  // The bottle's delivery: one dossier e-mail per job, retried with backoff; delivery times and queued rows re-planned from PostgreSQL.
  const delivery = new Worker('delivery', async (job: Job) => runDeliveryJob(deps.delivery, job), {
    connection,
    prefix: config.redisPrefix,
    concurrency: 2
  })
  delivery.on('error', (err) => outageLog('worker', `delivery worker: ${err.message}`))
  delivery.on('failed', (job, err) => log.warn(`delivery job ${job?.id ?? '?'} failed: ${err.message}`))
  const reconcileDeliveries = async (): Promise<void> => {
    try {
      await deps.delivery.reconcile()
    } catch (err) {
      outageLog('delivery reconcile', `delivery reconcile: ${(err as Error).message}`)
    }
  }
  await reconcileDeliveries()
  const deliveryTimer = setInterval(() => { reconcileDeliveries().catch(() => {}) }, lifecycleSweepMs)

  // Retention: a repeatable job (BullMQ job scheduler), daily; the rules read their cutoffs from PostgreSQL rows, so a missed day is caught up by the next.
  const retention = new Worker('retention', async (job: Job) => {
    if (job.name === 'apply') return runRetention(deps)
    throw new Error(`unknown job ${job.name}`)
  }, { connection, prefix: config.redisPrefix, concurrency: 1 })
  retention.on('error', (err) => outageLog('worker', `retention worker: ${err.message}`))
  retention.on('failed', (job, err) => log.warn(`retention job ${job?.id ?? '?'} failed: ${err.message}`))
  await scheduleRetention(deps.queues).catch((err: Error) => outageLog('retention schedule', `retention not scheduled (next start will): ${err.message}`))

  const sweepMs = Math.max(2_000, config.tallyIntervalMs * 10)
  const sweep = async (): Promise<void> => {
    try {
      for (const id of await deps.actionRepo.campaignsWithUntallied()) await enqueueTally(deps.queues, id, 0)
    } catch (err) {
      outageLog('sweep', `sweep: ${(err as Error).message}`)
    }
  }
  const askReconcile = async (): Promise<void> => {
    const bucket = Math.floor(Date.now() / config.reconcileIntervalMs)
    try {
      // One job per interval across every worker: the job id is the interval, kept after completion to dedupe.
      await deps.queues.counts.add('reconcile', {}, {
        jobId: `reconcile-${bucket}`,
        removeOnComplete: { age: Math.ceil((config.reconcileIntervalMs * 2) / 1000) }
      })
    } catch (err) {
      outageLog('reconcile not queued', `reconcile not queued: ${(err as Error).message}`)
    }
  }
  // Milestone notices no job was queued for (Redis lost) or whose jobs gave up: not urgent, so less often.
  const sweepNotices = async (): Promise<void> => {
    try {
      for (const id of await deps.milestoneRepo.pendingMail()) await enqueueMilestoneNotice(deps.queues, id)
      for (const id of await deps.shareKit.pendingMail()) await deps.queues.notify.add('shareKit', { mailId: id }, { deduplication: { id: `share-kit:${id}` } })
    } catch (err) {
      outageLog('notice sweep', `notice sweep: ${(err as Error).message}`)
    }
  }
  await sweep()
  await sweepNotices()
  const sweepTimer = setInterval(() => { sweep().catch(() => {}) }, sweepMs)
  const noticeTimer = setInterval(() => { sweepNotices().catch(() => {}) }, Math.max(sweepMs, 30_000))
  const reconcileTimer = setInterval(() => { askReconcile().catch(() => {}) }, Math.min(config.reconcileIntervalMs, 60_000))

  // Listening: the Jetstream subscription (one worker holds it) and the Mastodon polls; off with LISTENING=off.
  const listening = config.listening ? await startListening(deps) : null

  log.info(`Worker consuming queues "counts" (concurrency ${concurrency}), "notify", "lifecycle", "delivery" and "retention"${listening ? ', listening on Bluesky and Mastodon' : ''}`)
  return {
    async close () {
      await listening?.close()
      clearInterval(sweepTimer)
      clearInterval(noticeTimer)
      clearInterval(reconcileTimer)
      clearInterval(lifecycleTimer)
      clearInterval(deliveryTimer)
      // Lets running jobs finish, takes no new ones.
      await Promise.all([worker.close(), lifecycle.close(), delivery.close(), notify.close(), retention.close()])
    }
  }
}
