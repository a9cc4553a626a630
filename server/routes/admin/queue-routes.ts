import type { Queue } from 'bullmq'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Deps } from '../../deps.ts'
import { JOB_ID_RE, QUEUE_STATES, QueuesUnavailable, createQueueHealth } from '../../services/queue-health-service.ts'
import { formatDateTime, labelOr } from './format.ts'
import { RECHECK_SOURCE, sourceHealth } from '../../domain/listening.ts'
import type { Translator } from '../../i18n.ts'

type QueueRequest = FastifyRequest<{ Params: { queue: string } }>
type JobRequest = FastifyRequest<{ Params: { queue: string, jobId: string } }>

const PAGE = '/admin/queues'

/** Queue health for owners: every queue of the registry with its jobs per state and latest failures, and retries. */
export async function queueRoutes (app: FastifyInstance, { deps }: { deps: Deps }): Promise<void> {
  const health = createQueueHealth({ queues: deps.queues as unknown as Record<string, Queue> })

  // Listening's sources live in PostgreSQL: shown whether Redis answers or not.
  async function listening (tr: Translator) {
    const now = Date.now()
    const rows = await deps.networkPostRepo.cursors().catch(() => [])
    return {
      enabled: deps.config.listening,
      sources: rows.map((r) => {
        const h = sourceHealth(r, now)
        const [kind, instance, tag] = r.source.split(':')
        return {
          label: kind === 'mastodon'
            ? tr.t('admin.listening.queues.mastodon', { instance: instance ?? '', tag: tag ?? '' })
            : r.source === RECHECK_SOURCE ? tr.t('admin.listening.queues.recheck') : tr.t('admin.listening.queues.jetstream'),
          status: labelOr(tr, `admin.listening.queues.status.${r.status}`, r.status),
          stalled: h.stalled,
          lag: h.lagSeconds,
          lastError: r.lastError,
          next: r.nextPollAt ? { text: formatDateTime(tr.locale, r.nextPollAt), iso: r.nextPollAt.toISOString() } : null
        }
      })
    }
  }

  async function unavailable (reply: FastifyReply) {
    const tr = reply.adminTranslator()
    reply.code(503).header('retry-after', '30')
    return reply.adminView('admin/queues.eta', { title: tr.t('admin.queues.title'), unavailable: true, queues: [], listening: await listening(tr) })
  }

  const notFound = (reply: FastifyReply) => reply.sendError(404, 'errors.notFound.message', { back: { href: PAGE, labelKey: 'admin.queues.title' } })

  // Answers 503 (the page saying Redis is away) for QueuesUnavailable, and lets anything else go on up.
  async function orUnavailable (reply: FastifyReply, fn: () => Promise<FastifyReply>): Promise<FastifyReply> {
    try {
      return await fn()
    } catch (err) {
      if (err instanceof QueuesUnavailable) return unavailable(reply)
      throw err
    }
  }

  app.get(PAGE, { config: { access: 'owner' } }, async (_request, reply) => orUnavailable(reply, async () => {
    const tr = reply.adminTranslator()
    const queues = await health.snapshot()
    return reply.adminView('admin/queues.eta', {
      title: tr.t('admin.queues.title'),
      unavailable: false,
      readAt: formatDateTime(tr.locale, new Date()),
      listening: await listening(tr),
      queues: queues.map((q) => ({
        name: q.name,
        // A queue added to the registry without a label here shows its name.
        label: labelOr(tr, `admin.queues.names.${q.name}`, q.name),
        paused: q.paused,
        workers: q.workers,
        states: QUEUE_STATES.map((s) => ({ state: s, label: tr.t(`admin.queues.states.${s}`), count: q.counts[s] })),
        failedCount: q.counts.failed,
        more: Math.max(0, q.counts.failed - q.failed.length),
        retryAllAction: `${PAGE}/${encodeURIComponent(q.name)}/retry-failed`,
        failed: q.failed.map((j) => ({
          ...j,
          failedAt: j.failedAt ? { text: formatDateTime(tr.locale, j.failedAt), iso: j.failedAt.toISOString() } : null,
          retryAction: `${PAGE}/${encodeURIComponent(q.name)}/jobs/${encodeURIComponent(j.id)}/retry`
        }))
      }))
    })
  }))

  app.post(`${PAGE}/:queue/jobs/:jobId/retry`, { config: { access: 'owner' } }, async (request: JobRequest, reply) => {
    const { queue, jobId } = request.params
    if (!health.has(queue) || !JOB_ID_RE.test(jobId)) return notFound(reply)
    return orUnavailable(reply, async () => {
      const done = await health.retryJob(queue, jobId)
      if (done.result === 'retried') {
        await deps.audit.record(request.user, { action: 'retry', entity: 'job', entityId: jobId, after: { queue, job: jobId, name: done.name } })
        reply.flash({ type: 'success', key: 'admin.queues.flash.retried', vars: { job: jobId, queue } })
      } else {
        reply.flash({ type: 'warning', key: 'admin.queues.flash.gone', vars: { job: jobId, queue } })
      }
      return reply.redirect(`${PAGE}#q-${queue}`, 303)
    })
  })

  app.post(`${PAGE}/:queue/retry-failed`, { config: { access: 'owner' } }, async (request: QueueRequest, reply) => {
    const { queue } = request.params
    if (!health.has(queue)) return notFound(reply)
    return orUnavailable(reply, async () => {
      const count = await health.retryAllFailed(queue)
      if (count > 0) {
        await deps.audit.record(request.user, { action: 'retry', entity: 'queue', entityId: queue, after: { queue, count } })
        reply.flash({ type: 'success', key: 'admin.queues.flash.retriedAll', vars: { count, queue } })
      } else {
        reply.flash({ type: 'info', key: 'admin.queues.flash.noneFailed', vars: { queue } })
      }
      return reply.redirect(`${PAGE}#q-${queue}`, 303)
    })
  })
}
