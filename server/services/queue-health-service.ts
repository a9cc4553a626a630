import type { Queue } from 'bullmq'

/** The states shown for every queue, in this order. */
export const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed', 'completed'] as const
export type QueueStateName = (typeof QUEUE_STATES)[number]

export interface FailedJob {
  id: string
  name: string
  reason: string
  attemptsMade: number
  attempts: number
  failedAt: Date | null
  /** the job's payload as JSON (ids only, by design), cut to a readable length */
  data: string
}

export interface QueueHealth {
  name: string
  paused: boolean
  counts: Record<QueueStateName, number>
  /** connected workers; null when Redis will not list its clients (some managed services) */
  workers: number | null
  /** the latest failed jobs, newest first */
  failed: FailedJob[]
}

/** Redis does not answer (or not in time): the page says so instead of failing. */
export class QueuesUnavailable extends Error {}

export const JOB_ID_RE = /^[\w:.-]{1,200}$/
const DATA_MAX = 200
const RETRY_ALL_MAX = 5_000

export type QueueHealthService = ReturnType<typeof createQueueHealth>

async function withTimeout<T> (p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([p, new Promise<never>((_resolve, reject) => { timer = setTimeout(() => reject(new QueuesUnavailable('Redis did not answer in time')), ms) })])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * The owners' view of every BullMQ queue of the registry (whatever queues it holds): counts per state, workers,
 * the latest failures, and retrying failed jobs. Every call is bounded in time: a Redis that does not answer
 * gives QueuesUnavailable, never a request left hanging.
 */
export function createQueueHealth ({ queues, timeoutMs = 3_000, failedShown = 10 }: { queues: Readonly<Record<string, Queue>>, timeoutMs?: number, failedShown?: number }) {
  const byName = new Map(Object.values(queues).map((q) => [q.name, q]))

  // A failure with Redis away is reported as such; any other error is a real one and goes on up.
  async function guarded<T> (q: Queue, fn: () => Promise<T>, ms = timeoutMs): Promise<T> {
    try {
      return await withTimeout(fn(), ms)
    } catch (err) {
      if (err instanceof QueuesUnavailable) throw err
      const ready = await withTimeout(q.client, 500).then((c) => c.status === 'ready', () => false)
      if (!ready) throw new QueuesUnavailable((err as Error).message)
      throw err
    }
  }

  async function health (q: Queue): Promise<QueueHealth> {
    return guarded(q, async () => {
      const [counts, paused, jobs, workers] = await Promise.all([
        q.getJobCounts('waiting', 'prioritized', 'waiting-children', 'active', 'delayed', 'failed', 'completed'),
        q.isPaused(),
        q.getFailed(0, failedShown - 1),
        q.getWorkersCount().catch(() => null)
      ])
      const n = (k: string) => counts[k] ?? 0
      return {
        name: q.name,
        paused,
        // Prioritised jobs and parents waiting for their children are waiting too, in BullMQ's own lists.
        counts: { waiting: n('waiting') + n('prioritized') + n('waiting-children'), active: n('active'), delayed: n('delayed'), failed: n('failed'), completed: n('completed') },
        workers,
        failed: jobs.filter(Boolean).map((j) => {
          const data = JSON.stringify(j.data ?? null)
          return {
            id: String(j.id),
            name: j.name,
            reason: j.failedReason || '',
            attemptsMade: j.attemptsMade,
            attempts: j.opts.attempts ?? 1,
            failedAt: j.finishedOn ? new Date(j.finishedOn) : null,
            data: data.length > DATA_MAX ? `${data.slice(0, DATA_MAX)}…` : data
          }
        })
      }
    })
  }

  return {
    /** Whether the registry has a queue of that name. */
    has: (name: string): boolean => byName.has(name),

    /** Every queue's state, in the registry's order. */
    async snapshot (): Promise<QueueHealth[]> {
      return Promise.all([...byName.values()].map(health))
    },

    /** Sends one failed job back to wait, with its attempts counted afresh; 'gone' when it is no longer failed. */
    async retryJob (queueName: string, jobId: string): Promise<{ result: 'retried', name: string } | { result: 'gone' }> {
      const q = byName.get(queueName)
      if (!q) return { result: 'gone' }
      return guarded(q, async () => {
        const job = await q.getJob(jobId)
        if (!job || (await job.getState()) !== 'failed') return { result: 'gone' as const }
        try {
          await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true })
        } catch (err) {
          // Retried or removed by someone else in between: the job is not failed any more.
          if ((await q.getJobState(jobId)) !== 'failed') return { result: 'gone' as const }
          throw err
        }
        return { result: 'retried' as const, name: job.name }
      })
    },

    /** Sends every failed job of a queue back to wait (at most RETRY_ALL_MAX per call); returns how many. */
    async retryAllFailed (queueName: string): Promise<number> {
      const q = byName.get(queueName)
      if (!q) return 0
      return guarded(q, async () => {
        const ids = await q.getRanges(['failed'], 0, RETRY_ALL_MAX - 1)
        let retried = 0
        for (const id of new Set(ids)) {
          const job = await q.getJob(id)
          if (!job) continue
          try {
            await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true })
            retried++
          } catch {
            // No longer failed (retried meanwhile, or removed): nothing to do for it.
          }
        }
        return retried
      }, timeoutMs * 10)
    }
  }
}
