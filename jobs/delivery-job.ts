import { UnrecoverableError, type Job } from 'bullmq'
import type { DeliveryService } from '../server/services/delivery-service.ts'
import type { JobPayloads } from '../server/queues.ts'

type DeliveryJob = Job<JobPayloads['delivery'][keyof JobPayloads['delivery']], unknown, string>

/**
 * Runs a job of the delivery queue. The job carries ids only: the row in PostgreSQL says what to do, and the
 * service's claim makes a second run (two workers, a stalled job taken over) send nothing. The last try of a job
 * records the failure for good instead of asking for another.
 */
export async function runDeliveryJob (service: Pick<DeliveryService, 'run' | 'runScheduled'>, job: DeliveryJob): Promise<{ result: string }> {
  if (job.name === 'deliver') {
    const { deliveryId } = job.data as JobPayloads['delivery']['deliver']
    if (!Number.isSafeInteger(deliveryId)) throw new UnrecoverableError(`bad delivery id ${String(deliveryId)}`)
    const final = job.attemptsMade + 1 >= (job.opts.attempts ?? 1)
    return { result: await service.run(deliveryId, { final }) }
  }
  if (job.name === 'scheduled') {
    const { campaignId, at } = job.data as JobPayloads['delivery']['scheduled']
    return { result: await service.runScheduled(campaignId, at) }
  }
  throw new UnrecoverableError(`unknown job ${job.name}`)
}
