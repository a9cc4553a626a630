import { randomUUID } from 'node:crypto'
import { and, asc, desc, eq, isNull, lt, or, sql } from 'drizzle-orm'
import type { Db } from '../db/client.ts'
import { bottleMessages, campaigns, deliveries, deliveryAttempts, deliverySchedules, targets, type DeliveryStatus } from '../db/schema.ts'
import { parseLocalDateTime } from '../domain/campaign-rules.ts'
import { DOSSIER_MESSAGE_CAP } from '../domain/dossier.ts'
import type { Queues } from '../queues.ts'
import type { AuditService } from './audit-service.ts'
import type { SessionUser } from './auth-service.ts'
import type { DossierService } from './dossier-service.ts'
import type { Mailer } from './mailer.ts'

/** Why a delivery attempt failed, as the admin names it. */
export type DeliveryReason = 'noAddress' | 'mailOff' | 'smtpTemporary' | 'smtpRejected' | 'error' | 'gone'

export type Actor = Pick<SessionUser, 'id' | 'email'> | null

/** A send whose claim is older than this is taken over: its worker died (SMTP timeouts stay well below it). */
export const DELIVERY_LEASE_SECONDS = 15 * 60
// A delayed job may be promoted a little early (clocks of Redis and of this process differ): it waits that out.
const MAX_EARLY_MS = 10_000

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0]

/** The outcome of asking for deliveries: how many were queued, were already sent or under way, or are being sent. */
export interface RequestResult { queued: number, already: number, busy: number }

export type DeliveryService = ReturnType<typeof createDeliveryService>

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** The domain of the sender's address, for Message-IDs ("Team <t@example.org>" → example.org). */
export function mailDomain (from: string): string {
  return /@([^\s>]+)>?\s*$/.exec(from)?.[1]?.toLowerCase() ?? 'localhost'
}

/** A failed send sorted out: a 5xx answer is the server's refusal (no retry), anything else may pass later. */
export function classifySendError (err: unknown): { reason: DeliveryReason, permanent: boolean, detail: string } {
  const e = err as { responseCode?: number, response?: string, message?: string, code?: string }
  const detail = String(e.response ?? e.message ?? err).slice(0, 500)
  if (typeof e.responseCode === 'number' && e.responseCode >= 500) return { reason: 'smtpRejected', permanent: true, detail }
  if (typeof e.responseCode === 'number') return { reason: 'smtpTemporary', permanent: false, detail }
  return { reason: 'error', permanent: false, detail }
}

/** Thrown from a job to have the queue try again later (the row already says why). */
export class RetryLater extends Error {}

/**
 * Delivers the bottle: per target, a row in PostgreSQL is the single truth about one dossier to send. Asking twice
 * queues nothing new ("never a duplicate unless asked"); a forced "send again" opens a new round. The worker claims
 * a row atomically before sending, so two workers or a re-run job send one mail; each row keeps a stable Message-ID
 * and the dossier bytes it was built with, so a retry sends exactly the same mail.
 */
export function createDeliveryService ({ db, queues, mailer, dossiers, audit, announceCampaign, log, retryDelayMs, attempts }: {
  db: Db
  queues: Pick<Queues, 'delivery'>
  mailer: Pick<Mailer, 'enabled' | 'send' | 'from'>
  dossiers: Pick<DossierService, 'build' | 'mail'>
  audit: Pick<AuditService, 'record'>
  announceCampaign: (slug: string) => Promise<void>
  log: { warn: (msg: string) => void }
  retryDelayMs: number
  attempts: number
}) {
  const domain = mailDomain(mailer.from)

  async function enqueue (rows: Array<{ id: number, queuedAt: Date }>): Promise<void> {
    for (const r of rows) {
      try {
        await queues.delivery.add('deliver', { deliveryId: r.id }, {
          jobId: `deliver-${r.id}-${r.queuedAt.getTime()}`,
          attempts,
          backoff: { type: 'exponential', delay: retryDelayMs }
        })
      } catch (err) {
        log.warn(`delivery ${r.id} not queued (the worker's reconcile will): ${(err as Error).message}`)
      }
    }
  }

  /** Inside a transaction: queues the deliveries asked for; returns the rows to hand to the queue after the commit. */
  async function queueIn (tx: Tx, campaignId: string, targetIds: string[], opts: { force: boolean, origin: 'manual' | 'schedule', user: Actor }): Promise<RequestResult & { rows: Array<{ id: number, queuedAt: Date }> }> {
    const result = { queued: 0, already: 0, busy: 0, rows: [] as Array<{ id: number, queuedAt: Date }> }
    for (const targetId of targetIds) {
      const [latest] = await tx.select({ id: deliveries.id, round: deliveries.round, status: deliveries.status }).from(deliveries)
        .where(and(eq(deliveries.campaignId, campaignId), eq(deliveries.targetId, targetId))).orderBy(desc(deliveries.round)).limit(1).for('update')
      const fresh = (round: number) => tx.insert(deliveries).values({
        campaignId,
        targetId,
        round,
        forced: opts.force,
        origin: opts.origin,
        requestedBy: opts.user?.id ?? null,
        requestedByEmail: opts.user?.email ?? 'system',
        messageId: `<bottle.${randomUUID()}@${domain}>`
      }).onConflictDoNothing().returning({ id: deliveries.id, queuedAt: deliveries.queuedAt })
      let row: { id: number, queuedAt: Date } | undefined
      if (!opts.force) {
        if (!latest) row = (await fresh(1))[0]
        else if (latest.status === 'failed') {
          // Asked again after a failure: the same round (same Message-ID, nothing was delivered), rebuilt with today's messages.
          row = (await tx.update(deliveries).set({
            status: 'queued',
            queuedAt: sql`clock_timestamp()`,
            claimToken: null,
            claimedAt: null,
            builtAt: null,
            pdf: null,
            html: null,
            mail: null,
            reason: null,
            lastError: null,
            updatedAt: sql`now()`,
            requestedBy: opts.user?.id ?? null,
            requestedByEmail: opts.user?.email ?? 'system',
            origin: opts.origin
          }).where(and(eq(deliveries.id, latest.id), eq(deliveries.status, 'failed'))).returning({ id: deliveries.id, queuedAt: deliveries.queuedAt }))[0]
        }
        if (row) { result.queued++; result.rows.push(row) } else result.already++
      } else if (latest && (latest.status === 'queued' || latest.status === 'sending')) {
        result.busy++
      } else {
        row = (await fresh((latest?.round ?? 0) + 1))[0]
        if (row) { result.queued++; result.rows.push(row) } else result.busy++
      }
    }
    return result
  }

  async function finish (id: number, token: string, attempt: number, outcome: { status: DeliveryStatus, reason: DeliveryReason | null, detail: string | null, address?: string | null }): Promise<boolean> {
    return db.transaction(async (tx) => {
      const updated = await tx.update(deliveries).set({
        status: outcome.status,
        reason: outcome.reason,
        lastError: outcome.detail,
        toAddress: outcome.address ?? undefined,
        sentAt: outcome.status === 'sent' ? sql`now()` : undefined,
        claimToken: null,
        updatedAt: sql`now()`
      }).where(and(eq(deliveries.id, id), eq(deliveries.claimToken, token))).returning({ id: deliveries.id })
      if (updated.length === 0) return false
      await tx.insert(deliveryAttempts).values({ deliveryId: id, attempt, outcome: outcome.status === 'sent' ? 'sent' : 'failed', reason: outcome.reason, detail: outcome.detail })
      return true
    })
  }

  async function targetsOf (campaignId: string, targetId?: string): Promise<string[] | null> {
    if (targetId !== undefined) {
      if (!UUID_RE.test(targetId)) return null
      const [t] = await db.select({ id: targets.id }).from(targets).where(and(eq(targets.id, targetId), eq(targets.campaignId, campaignId)))
      return t ? [t.id] : null
    }
    const rows = await db.select({ id: targets.id }).from(targets).where(and(eq(targets.campaignId, campaignId), eq(targets.active, true))).orderBy(asc(targets.position), asc(targets.name))
    return rows.map((r) => r.id)
  }

  async function campaignOf (campaignId: string) {
    if (!UUID_RE.test(campaignId)) return null
    const [c] = await db.select({ id: campaigns.id, slug: campaigns.slug, timeZone: campaigns.timeZone }).from(campaigns).where(eq(campaigns.id, campaignId))
    return c ?? null
  }

  async function scheduleJob (campaignId: string, at: Date): Promise<void> {
    await queues.delivery.add('scheduled', { campaignId, at: at.toISOString() }, {
      jobId: `deliver-at-${campaignId}-${at.getTime()}`,
      delay: Math.max(0, at.getTime() - Date.now()),
      attempts: 5,
      backoff: { type: 'exponential', delay: 1000 }
    })
  }

  async function fireSchedule (campaignId: string, at: Date): Promise<'done' | 'fired'> {
    const result = await db.transaction(async (tx) => {
      const fired = await tx.update(deliverySchedules).set({ firedAt: sql`now()`, updatedAt: sql`now()` })
        .where(and(eq(deliverySchedules.campaignId, campaignId), eq(deliverySchedules.deliverAt, at), isNull(deliverySchedules.firedAt))).returning({ campaignId: deliverySchedules.campaignId })
      if (fired.length === 0) return null
      const ids = await tx.select({ id: targets.id }).from(targets).where(and(eq(targets.campaignId, campaignId), eq(targets.active, true)))
      const queued = await queueIn(tx, campaignId, ids.map((t) => t.id), { force: false, origin: 'schedule', user: null })
      await audit.record(null, { action: 'deliver', entity: 'delivery', campaignId, after: { origin: 'schedule', at, queued: queued.queued, already: queued.already, busy: queued.busy } }, tx)
      return queued
    })
    if (!result) return 'done'
    await enqueue(result.rows)
    return 'fired'
  }

  return {
    /**
     * Asks for the dossier of one target (targetId) or of every active target. Not forced, a target already
     * delivered or under way gets nothing new and a failed one is tried again; forced ("send again", one target),
     * a new round is sent even though one was delivered.
     */
    async request (user: Actor, campaignId: string, opts: { targetId?: string, force?: boolean } = {}): Promise<({ ok: true } & RequestResult) | { ok: false, notFound: true }> {
      const c = await campaignOf(campaignId)
      if (!c) return { ok: false, notFound: true }
      const ids = await targetsOf(campaignId, opts.targetId)
      if (!ids) return { ok: false, notFound: true }
      const force = Boolean(opts.force && opts.targetId)
      const result = await db.transaction(async (tx) => {
        const queued = await queueIn(tx, campaignId, ids, { force, origin: 'manual', user })
        await audit.record(user, {
          action: force ? 'resend' : 'deliver',
          entity: 'delivery',
          entityId: opts.targetId ?? null,
          campaignId,
          after: { targets: opts.targetId ? 'one' : 'all', queued: queued.queued, already: queued.already, busy: queued.busy }
        }, tx)
        return queued
      })
      await enqueue(result.rows)
      return { ok: true, queued: result.queued, already: result.already, busy: result.busy }
    },

    /**
     * The worker's part: claims a queued delivery (or one whose worker died), builds its dossier once, sends it and
     * records the attempt. A row someone else holds or already sent is left alone ('skipped'). A failure that may
     * pass throws RetryLater unless `final`; a permanent one (no address, mail off, refused) is recorded as failed.
     */
    async run (deliveryId: number, { final }: { final: boolean }): Promise<'sent' | 'failed' | 'retry' | 'skipped'> {
      const token = randomUUID()
      const [row] = await db.update(deliveries).set({ status: 'sending', attempts: sql`${deliveries.attempts} + 1`, claimedAt: sql`now()`, claimToken: token, updatedAt: sql`now()` })
        .where(and(eq(deliveries.id, deliveryId), or(
          eq(deliveries.status, 'queued'),
          and(eq(deliveries.status, 'sending'), lt(deliveries.claimedAt, sql`now() - make_interval(secs => ${DELIVERY_LEASE_SECONDS})`))
        )))
        .returning({ id: deliveries.id, campaignId: deliveries.campaignId, targetId: deliveries.targetId, attempts: deliveries.attempts, messageId: deliveries.messageId, builtAt: deliveries.builtAt })
      if (!row) return 'skipped'
      const fail = async (reason: DeliveryReason, detail: string | null, address: string | null = null) => {
        await finish(row.id, token, row.attempts, { status: 'failed', reason, detail, address })
        return 'failed' as const
      }

      const [t] = await db.select({ email: targets.email, name: targets.name }).from(targets).where(eq(targets.id, row.targetId))
      const [c] = await db.select({ slug: campaigns.slug }).from(campaigns).where(eq(campaigns.id, row.campaignId))
      if (!t || !c) return fail('gone', null)
      const address = t.email?.trim()
      if (!address) return fail('noAddress', null)
      if (!mailer.enabled) return fail('mailOff', 'SMTP_URL is not set', address)

      let stored: { pdf: Buffer, html: string, mail: { subject: string, text: string, html: string } } | null = null
      if (row.builtAt) {
        const [s] = await db.select({ pdf: deliveries.pdf, html: deliveries.html, mail: deliveries.mail }).from(deliveries).where(eq(deliveries.id, row.id))
        if (s?.pdf && s.html && s.mail) stored = { pdf: s.pdf, html: s.html, mail: s.mail }
      }
      if (!stored) {
        const dossier = await dossiers.build(row.campaignId, row.targetId)
        if (!dossier) return fail('gone', null, address)
        const mail = dossiers.mail(dossier.view)
        stored = { pdf: dossier.pdf, html: dossier.html, mail }
        await db.update(deliveries).set({ pdf: dossier.pdf, html: dossier.html, mail, builtAt: sql`now()`, messageCount: dossier.view.messageCount, actionCount: dossier.view.total })
          .where(and(eq(deliveries.id, row.id), eq(deliveries.claimToken, token)))
      }

      const base = `${c.slug}-${fileSlug(t.name)}`
      try {
        await mailer.send({
          to: address,
          subject: stored.mail.subject,
          text: stored.mail.text,
          html: stored.mail.html,
          messageId: row.messageId,
          attachments: [
            { filename: `${base}.pdf`, content: stored.pdf, contentType: 'application/pdf' },
            { filename: `${base}.html`, content: Buffer.from(stored.html), contentType: 'text/html; charset=utf-8' }
          ]
        })
      } catch (err) {
        const why = classifySendError(err)
        const retry = !why.permanent && !final
        await finish(row.id, token, row.attempts, { status: retry ? 'queued' : 'failed', reason: why.reason, detail: why.detail, address })
        if (retry) throw new RetryLater(`delivery ${row.id}: ${why.detail}`)
        return 'failed'
      }
      await finish(row.id, token, row.attempts, { status: 'sent', reason: null, detail: null, address })
      // The public page says the bottle was delivered: every web instance re-renders it.
      await announceCampaign(c.slug).catch((err: Error) => log.warn(`delivery not announced: ${err.message}`))
      return 'sent'
    },

    /** Sets (or moves) the campaign's delivery time, given on the clocks of its time zone ("2026-12-10T09:00"). */
    async setSchedule (user: Actor, campaignId: string, value: string, now = new Date()): Promise<{ ok: true, at: Date } | { ok: false, notFound: true } | { ok: false, error: 'dateTime' | 'inPast' }> {
      const c = await campaignOf(campaignId)
      if (!c) return { ok: false, notFound: true }
      const at = parseLocalDateTime(value.trim(), c.timeZone)
      if (!at) return { ok: false, error: 'dateTime' }
      if (at.getTime() <= now.getTime()) return { ok: false, error: 'inPast' }
      await db.transaction(async (tx) => {
        const [before] = await tx.select().from(deliverySchedules).where(eq(deliverySchedules.campaignId, campaignId)).for('update')
        await tx.insert(deliverySchedules).values({ campaignId, deliverAt: at, setBy: user?.id ?? null })
          .onConflictDoUpdate({ target: deliverySchedules.campaignId, set: { deliverAt: at, setBy: user?.id ?? null, firedAt: null, updatedAt: sql`now()` } })
        await audit.record(user, { action: 'schedule', entity: 'delivery', campaignId, before: before ? { deliverAt: before.deliverAt, firedAt: before.firedAt } : null, after: { deliverAt: at } }, tx)
      })
      // A moved time leaves the old job behind: it finds the stored time changed and does nothing.
      await scheduleJob(campaignId, at).catch((err: Error) => log.warn(`delivery time not queued (the worker's reconcile will): ${err.message}`))
      return { ok: true, at }
    },

    /** Removes the campaign's delivery time. */
    async clearSchedule (user: Actor, campaignId: string): Promise<{ ok: true } | { ok: false, notFound: true }> {
      const c = await campaignOf(campaignId)
      if (!c) return { ok: false, notFound: true }
      await db.transaction(async (tx) => {
        const [before] = await tx.delete(deliverySchedules).where(eq(deliverySchedules.campaignId, campaignId)).returning()
        if (before) await audit.record(user, { action: 'unschedule', entity: 'delivery', campaignId, before: { deliverAt: before.deliverAt, firedAt: before.firedAt }, after: null }, tx)
      })
      return { ok: true }
    },

    /** A scheduled job's run: delivers if the stored time is still the job's and has come; safe to run twice. */
    async runScheduled (campaignId: string, atIso: string): Promise<'gone' | 'stale' | 'early' | 'done' | 'fired'> {
      const [s] = UUID_RE.test(campaignId) ? await db.select().from(deliverySchedules).where(eq(deliverySchedules.campaignId, campaignId)) : []
      if (!s) return 'gone'
      if (s.deliverAt.getTime() !== Date.parse(atIso)) return 'stale'
      if (s.firedAt) return 'done'
      const wait = s.deliverAt.getTime() - Date.now()
      if (wait > MAX_EARLY_MS) return 'early'
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
      return fireSchedule(campaignId, s.deliverAt)
    },

    /**
     * What makes delivery survive losing Redis or a worker: fires delivery times that have passed, re-plans those
     * ahead, takes back sends whose worker died (claim older than the lease) and hands every queued row to the queue
     * again (same job id: a job still waiting is not doubled).
     */
    async reconcile (): Promise<{ fired: number, planned: number, requeued: number }> {
      let fired = 0
      let planned = 0
      for (const s of await db.select().from(deliverySchedules).where(isNull(deliverySchedules.firedAt))) {
        if (s.deliverAt.getTime() <= Date.now()) {
          if (await fireSchedule(s.campaignId, s.deliverAt) === 'fired') fired++
        } else {
          await scheduleJob(s.campaignId, s.deliverAt)
          planned++
        }
      }
      await db.update(deliveries).set({ status: 'queued', queuedAt: sql`clock_timestamp()`, claimToken: null, updatedAt: sql`now()` })
        .where(and(eq(deliveries.status, 'sending'), lt(deliveries.claimedAt, sql`now() - make_interval(secs => ${DELIVERY_LEASE_SECONDS})`)))
      const queued = await db.select({ id: deliveries.id, queuedAt: deliveries.queuedAt }).from(deliveries).where(eq(deliveries.status, 'queued')).orderBy(asc(deliveries.queuedAt)).limit(5000)
      await enqueue(queued)
      return { fired, planned, requeued: queued.length }
    },

    /** The admin's view of a campaign's delivery: each target with its selected messages and its last delivery, the time planned, the log. */
    async overview (campaignId: string) {
      const c = await campaignOf(campaignId)
      if (!c) return null
      const ts = await db.select({ id: targets.id, name: targets.name, email: targets.email, active: targets.active, organisation: targets.organisation })
        .from(targets).where(eq(targets.campaignId, campaignId)).orderBy(asc(targets.position), asc(targets.name))
      const approved = await db.select({ targetId: bottleMessages.targetId, n: sql<number>`count(*)::int` }).from(bottleMessages)
        .where(and(eq(bottleMessages.campaignId, campaignId), eq(bottleMessages.status, 'approved'))).groupBy(bottleMessages.targetId)
      const cols = {
        id: deliveries.id,
        targetId: deliveries.targetId,
        round: deliveries.round,
        status: deliveries.status,
        forced: deliveries.forced,
        origin: deliveries.origin,
        attempts: deliveries.attempts,
        reason: deliveries.reason,
        lastError: deliveries.lastError,
        sentAt: deliveries.sentAt,
        updatedAt: deliveries.updatedAt,
        toAddress: deliveries.toAddress,
        requestedByEmail: deliveries.requestedByEmail,
        builtAt: deliveries.builtAt,
        messageCount: deliveries.messageCount
      }
      const latest = await db.selectDistinctOn([deliveries.targetId], cols).from(deliveries).where(eq(deliveries.campaignId, campaignId)).orderBy(deliveries.targetId, desc(deliveries.round))
      const lastSent = await db.selectDistinctOn([deliveries.targetId], { targetId: deliveries.targetId, sentAt: deliveries.sentAt, round: deliveries.round }).from(deliveries)
        .where(and(eq(deliveries.campaignId, campaignId), eq(deliveries.status, 'sent'))).orderBy(deliveries.targetId, desc(deliveries.round))
      const [schedule] = await db.select().from(deliverySchedules).where(eq(deliverySchedules.campaignId, campaignId))
      const log = await db.select({
        at: deliveryAttempts.at,
        attempt: deliveryAttempts.attempt,
        outcome: deliveryAttempts.outcome,
        reason: deliveryAttempts.reason,
        detail: deliveryAttempts.detail,
        round: deliveries.round,
        targetId: deliveries.targetId,
        toAddress: deliveries.toAddress
      }).from(deliveryAttempts).innerJoin(deliveries, eq(deliveries.id, deliveryAttempts.deliveryId))
        .where(eq(deliveries.campaignId, campaignId)).orderBy(desc(deliveryAttempts.id)).limit(100)
      const approvedBy = new Map(approved.map((a) => [a.targetId, Number(a.n)]))
      const latestBy = new Map(latest.map((d) => [d.targetId, d]))
      const sentBy = new Map(lastSent.map((d) => [d.targetId, d]))
      return {
        campaign: c,
        schedule: schedule ? { deliverAt: schedule.deliverAt, firedAt: schedule.firedAt } : null,
        targets: ts.map((t) => ({
          ...t,
          approved: approvedBy.get(t.id) ?? 0,
          selected: Math.min(approvedBy.get(t.id) ?? 0, DOSSIER_MESSAGE_CAP),
          latest: latestBy.get(t.id) ?? null,
          lastSentAt: sentBy.get(t.id)?.sentAt ?? null
        })),
        log
      }
    },

    /** The dossier as last sent to a target (the bytes that went out), or null before any was sent. */
    async storedDossier (campaignId: string, targetId: string): Promise<{ pdf: Buffer, html: string, round: number, sentAt: Date | null } | null> {
      if (!UUID_RE.test(campaignId) || !UUID_RE.test(targetId)) return null
      const [d] = await db.select({ pdf: deliveries.pdf, html: deliveries.html, round: deliveries.round, sentAt: deliveries.sentAt }).from(deliveries)
        .where(and(eq(deliveries.campaignId, campaignId), eq(deliveries.targetId, targetId), eq(deliveries.status, 'sent'))).orderBy(desc(deliveries.round)).limit(1)
      return d?.pdf && d.html ? { pdf: d.pdf, html: d.html, round: d.round, sentAt: d.sentAt } : null
    }
  }
}

/** A name as a file name part: "Amina Diallo-Keïta" → "amina-diallo-keita". */
export function fileSlug (name: string): string {
  return name.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60) || 'target'
}
