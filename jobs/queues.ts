import { Queue, type ConnectionOptions } from 'bullmq'

/** Every queue Bouteille uses, with the payload of each job name. Jobs carry ids, never data. */
export interface JobPayloads {
  counts: {
    /** count a campaign's new actions and publish its progress */
    tally: { campaignId: string }
    /** rebuild every counter from the action rows */
    reconcile: { campaignId?: string }
  }
}

export type QueueName = keyof JobPayloads
export type CountsQueue = Queue<JobPayloads['counts'][keyof JobPayloads['counts']], unknown, keyof JobPayloads['counts'] & string>

export interface Queues { counts: CountsQueue }

/** Producer side of every queue (the web and the worker both produce). */
export function createQueues (connection: ConnectionOptions, prefix: string): Queues {
  return {
    counts: new Queue('counts', {
      connection,
      prefix,
      defaultJobOptions: { removeOnComplete: true, removeOnFail: 500, attempts: 5, backoff: { type: 'exponential', delay: 500 } }
    }) as CountsQueue
  }
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
