import { Queue, type ConnectionOptions } from 'bullmq'

/** Every queue Bouteille uses, with the payload of each job name. Jobs carry ids, never data. */
export interface JobPayloads {
  counts: {
    /** count a campaign's new actions and publish its progress */
    tally: { campaignId: string }
    /** rebuild every counter from the action rows */
    reconcile: { campaignId?: string }
  }
  lifecycle: {
    /** open (live) or close a campaign at a time; the worker checks against PostgreSQL that it is still due */
    transition: { campaignId: string, to: 'live' | 'closed', at: string }
  }
  delivery: {
    /** send one delivery row's dossier (claimed in PostgreSQL, so a second run sends nothing) */
    deliver: { deliveryId: number }
    /** a campaign's delivery time has come: queue a delivery to every target not delivered yet */
    scheduled: { campaignId: string, at: string }
  }
  notify: {
    /** e-mail the team that a campaign reached a milestone; the milestone row says whether it was sent */
    milestone: { milestoneId: number }
    /** send one "Call to share" mail (the share_call_mails row says whether it was sent) */
    shareKit: { mailId: number }
  }
  retention: {
    /** apply every retention rule as of now (daily; a second run removes nothing more) */
    apply: Record<string, never>
  }
}

export type CountsQueue = Queue<JobPayloads['counts'][keyof JobPayloads['counts']], unknown, keyof JobPayloads['counts'] & string>

export type LifecycleQueue = Queue<JobPayloads['lifecycle']['transition'], unknown, 'transition'>

export type DeliveryQueue = Queue<JobPayloads['delivery'][keyof JobPayloads['delivery']], unknown, keyof JobPayloads['delivery'] & string>

export type NotifyQueue = Queue<JobPayloads['notify'][keyof JobPayloads['notify']], unknown, keyof JobPayloads['notify'] & string>

export type RetentionQueue = Queue<JobPayloads['retention']['apply'], unknown, 'apply'>

export interface Queues { counts: CountsQueue, lifecycle: LifecycleQueue, delivery: DeliveryQueue, notify: NotifyQueue, retention: RetentionQueue }

/** Producer side of every queue (the web and the worker both produce). */
export function createQueues (connection: ConnectionOptions, prefix: string): Queues {
  // Producers skip BullMQ's INFO version check at connect (the workers' own connections make it): with the offline
  // queue off, that INFO could meet a connection not writable yet and reject inside BullMQ, where nothing handles it.
  const common = { connection, prefix, skipVersionCheck: true }
  return {
    counts: new Queue('counts', {
      ...common,
      defaultJobOptions: { removeOnComplete: true, removeOnFail: 500, attempts: 5, backoff: { type: 'exponential', delay: 500 } }
    }) as CountsQueue,
    lifecycle: new Queue('lifecycle', {
      ...common,
      defaultJobOptions: { removeOnComplete: true, removeOnFail: 500, attempts: 5, backoff: { type: 'exponential', delay: 1000 } }
    }) as LifecycleQueue,
    // Attempts and backoff are set per job (DELIVERY_RETRY_DELAY_MS); failures are kept a week for the operator.
    delivery: new Queue('delivery', {
      ...common,
      defaultJobOptions: { removeOnComplete: true, removeOnFail: { age: 7 * 86_400, count: 1000 } }
    }) as DeliveryQueue,
    notify: new Queue('notify', {
      ...common,
      defaultJobOptions: { removeOnComplete: true, removeOnFail: 500, attempts: 8, backoff: { type: 'exponential', delay: 2000 } }
    }) as NotifyQueue,
    retention: new Queue('retention', {
      ...common,
      defaultJobOptions: { removeOnComplete: 30, removeOnFail: 100, attempts: 3, backoff: { type: 'exponential', delay: 60_000 } }
    }) as RetentionQueue
  }
}

/** The retention job's schedule: every day at 03:30 UTC, one scheduler for every worker (upserted under a fixed id). */
export const RETENTION_SCHEDULE = { id: 'retention-daily', pattern: '30 3 * * *', tz: 'UTC' } as const

/** Plans the daily retention run (re-planning is a no-op: BullMQ keeps one scheduler per id). */
export async function scheduleRetention (queues: Queues): Promise<void> {
  // BullMQ types the scheduler's id as a job name: the queue is widened for this one call.
  await (queues.retention as Queue).upsertJobScheduler(RETENTION_SCHEDULE.id, { pattern: RETENTION_SCHEDULE.pattern, tz: RETENTION_SCHEDULE.tz }, { name: 'apply', data: {} })
}

/** Asks for a milestone's e-mail to the team; one waiting job per milestone (the row itself guards against a second send). */
export async function enqueueMilestoneNotice (queues: Queues, milestoneId: number): Promise<void> {
  await queues.notify.add('milestone', { milestoneId }, { deduplication: { id: `milestone:${milestoneId}` } })
}

/**
 * Asks for a tally of a campaign in intervalMs. Deduplicated: one job waits per campaign however fast the clicks
 * come; an add while the job runs leaves exactly one follow-up job (keepLastIfActive), so no action is ever left behind.
 */
export async function enqueueTally (queues: Queues, campaignId: string, intervalMs: number): Promise<void> {
  await queues.counts.add('tally', { campaignId }, {
    delay: intervalMs,
    deduplication: { id: `tally:${campaignId}`, keepLastIfActive: true }
  })
}

/** The id of a campaign's timed transition: one per campaign, change and time, so re-adding it is a no-op and a moved time is a new job. */
export function lifecycleJobId (campaignId: string, to: 'live' | 'closed', at: Date): string {
  return `${to === 'live' ? 'open' : 'close'}-${campaignId}-${at.getTime()}`
}

/** Adds a delayed job that opens or closes a campaign at a time (nothing happens if one is already waiting for it). */
export async function scheduleTransition (queues: Queues, campaignId: string, to: 'live' | 'closed', at: Date, now = Date.now()): Promise<void> {
  await queues.lifecycle.add('transition', { campaignId, to, at: at.toISOString() }, {
    jobId: lifecycleJobId(campaignId, to, at),
    delay: Math.max(0, at.getTime() - now)
  })
}

/** Removes the delayed job of a transition that is no longer planned (a running one finishes, and finds nothing to do). */
export async function unscheduleTransition (queues: Queues, campaignId: string, to: 'live' | 'closed', at: Date): Promise<void> {
  await queues.lifecycle.remove(lifecycleJobId(campaignId, to, at))
}

/**
 * Coalesces tally requests per campaign inside a process: the first action of a short window arms a timer and
 * the timer makes one add. Every committed action is still followed by an add (the window only groups them),
 * a failed add is reported to onError and left to the worker's sweep, and the action's response never waits on Redis.
 */
export function createTallyRequester (queues: Queues, intervalMs: number, onError: (err: unknown) => void, windowMs = 25) {
  const armed = new Set<string>()
  return (campaignId: string): void => {
    if (armed.has(campaignId)) return
    armed.add(campaignId)
    setTimeout(() => {
      armed.delete(campaignId)
      enqueueTally(queues, campaignId, Math.max(0, intervalMs - windowMs)).catch(onError)
    }, windowMs).unref()
  }
}
