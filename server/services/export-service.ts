import { Readable } from 'node:stream'
import { stringify } from 'csv-stringify/sync'
import type { Channel } from '../db/schema.ts'
import { CHANNEL_ORDER } from '../domain/campaign-rules.ts'
import { neutraliseFormula } from '../domain/csv.ts'
import type { ExportFilter } from '../domain/export-filter.ts'
import { OSDI_TAIL, osdiCampaign, osdiHead, osdiOutreach, osdiTarget } from '../domain/osdi.ts'
import type { CampaignData } from '../repos/campaign-repo.ts'
import type { ExportRepo, ExportTarget } from '../repos/export-repo.ts'
import type { AuditService } from './audit-service.ts'
import type { SessionUser } from './auth-service.ts'

/** The columns of actions.csv, in order. */
// suspect: true for a send in a window the team marked suspicious (left out of the public count, kept here).
export const ACTION_COLUMNS = ['id', 'created_at', 'target_id', 'target_name', 'channel', 'locale', 'message_id', 'text', 'ref', 'suspect'] as const
/** The columns of counts.csv: one per channel, then the row's total. */
export const COUNT_COLUMNS = ['target_id', 'target_name', ...CHANNEL_ORDER, 'total'] as const

export type ExportKind = 'actions' | 'counts' | 'osdi'

// Excel reads a CSV as UTF-8 only with a byte-order mark; CRLF is what every spreadsheet expects.
const BOM = '\uFEFF'
const CSV_OPTIONS = { record_delimiter: 'windows' } as const
// A chunk handed to the response once it holds about this much text (fewer, larger writes).
const CHUNK_CHARS = 64 * 1024

const csvLine = (cells: readonly string[]): string => stringify([cells.map(neutraliseFormula)], CSV_OPTIONS)

export type ExportService = ReturnType<typeof createExportService>

/**
 * A Readable over an async generator of text, started already: the first chunk is read before it is returned, so
 * a database that cannot be reached fails the request (an error page) instead of cutting a download short.
 * Destroying the stream (the download cancelled) ends the generator, which hands its connection back.
 */
async function started (chunks: AsyncGenerator<string>): Promise<Readable> {
  const first = await chunks.next()
  let pending: string | null = first.done ? null : first.value
  let done = Boolean(first.done)
  return new Readable({
    async read () {
      try {
        if (pending !== null) {
          const chunk = pending
          pending = null
          this.push(chunk)
          return
        }
        if (done) { this.push(null); return }
        // An empty chunk would leave the stream waiting for a push that never comes: skip to the next one.
        let next = await chunks.next()
        while (!next.done && next.value === '') next = await chunks.next()
        if (next.done) { done = true; this.push(null) } else this.push(next.value)
      } catch (err) {
        this.destroy(err as Error)
      }
    },
    destroy (err, callback) {
      chunks.return(undefined).then(() => callback(err), (e: Error) => callback(err ?? e))
    }
  })
}

/** The campaign exports: actions (CSV), counts per target and channel (CSV), the OSDI document (JSON); each audit-logged. */
export function createExportService ({ repo, audit, publicUrl, maxConcurrent }: { repo: ExportRepo, audit: Pick<AuditService, 'record'>, publicUrl: string, maxConcurrent: number }) {
  // Each running stream holds a pooled connection: a few at a time, so exports never starve the sends.
  let running = 0

  /** Runs open() in one of the few stream slots, or returns null when they are all taken; the slot frees when the stream closes. */
  async function inSlot (open: () => Promise<Readable>): Promise<Readable | null> {
    if (running >= maxConcurrent) return null
    running++
    try {
      const stream = await open()
      stream.once('close', () => { running-- })
      return stream
    } catch (err) {
      running--
      throw err
    }
  }

  async function record (user: SessionUser, c: CampaignData, kind: ExportKind, f: ExportFilter, targets: readonly ExportTarget[], extra: Record<string, unknown> = {}) {
    await audit.record(user, {
      action: 'export',
      entity: kind,
      campaignId: c.id,
      after: {
        name: { actions: 'actions.csv', counts: 'counts.csv', osdi: 'osdi.json' }[kind],
        from: f.from,
        to: f.to,
        target: f.targetId ? (targets.find((t) => t.id === f.targetId)?.name ?? f.targetId) : null,
        channel: f.channel,
        ...extra
      }
    })
  }

  const subjects = (c: CampaignData) => (locale: string) => c.texts[locale]?.title ?? c.texts[c.defaultLocale]?.title ?? c.slug

  return {
    /** Every target of the campaign, deactivated ones too (the filter's choices, and names for the rows). */
    targets: (campaignId: string) => repo.targets(campaignId),

    /** How many actions a filter keeps, and the first and last one's time. */
    summary: (campaignId: string, f: ExportFilter) => repo.summary(campaignId, f),

    /** actions.csv: one row per action in time order (columns ACTION_COLUMNS), streamed from a cursor; null when too many exports run. */
    actionsCsv: (user: SessionUser, c: CampaignData, f: ExportFilter, targets: readonly ExportTarget[]) => inSlot(async () => {
      await record(user, c, 'actions', f, targets)
      const names = new Map(targets.map((t) => [t.id, t.name]))
      const chunks = repo.session(c.id, async function * (s) {
        yield BOM + csvLine(ACTION_COLUMNS)
        for await (const batch of s.actions(f)) {
          const records = batch.map(([id, createdAt, targetId, channel, locale, messageId, text, ref, suspect]) =>
            [id, createdAt, targetId, names.get(targetId) ?? '', channel, locale, messageId ?? '', text, ref ?? '', suspect].map(neutraliseFormula))
          yield stringify(records, CSV_OPTIONS)
        }
      })
      return started(chunks)
    }),

    /**
     * counts.csv: a row per target (all of them, or the filtered one) with its actions per channel and in total,
     * then a Total row. Counted with GROUP BY on the action rows, not read from the counters: the counters hold
     * targets and channels apart (not target × channel), know nothing of a date range, and trail the last sends.
     */
    async countsCsv (user: SessionUser, c: CampaignData, f: ExportFilter, targets: readonly ExportTarget[]): Promise<string> {
      const rows = await repo.countsByTargetChannel(c.id, f)
      const byTarget = new Map<string, Map<Channel, number>>()
      for (const r of rows) {
        let m = byTarget.get(r.targetId)
        if (!m) byTarget.set(r.targetId, (m = new Map()))
        m.set(r.channel, r.count)
      }
      const shown = f.targetId ? targets.filter((t) => t.id === f.targetId) : targets
      const totals = new Map<Channel, number>()
      const lines = [BOM + csvLine(COUNT_COLUMNS)]
      let all = 0
      for (const t of shown) {
        const m = byTarget.get(t.id)
        const perChannel = CHANNEL_ORDER.map((ch) => {
          const n = m?.get(ch) ?? 0
          totals.set(ch, (totals.get(ch) ?? 0) + n)
          return n
        })
        const sum = perChannel.reduce((a, b) => a + b, 0)
        all += sum
        lines.push(csvLine([t.id, t.name, ...perChannel.map(String), String(sum)]))
      }
      lines.push(csvLine(['', 'Total', ...CHANNEL_ORDER.map((ch) => String(totals.get(ch) ?? 0)), String(all)]))
      await record(user, c, 'counts', f, targets, { actions: all })
      return lines.join('')
    },

    /**
     * osdi.json: the campaign as an OSDI advocacy_campaign with every outreach (one per action) embedded, streamed.
     * total_outreaches is counted in the same snapshot the outreaches are read from, so the two always agree.
     * null when too many exports run.
     */
    osdiJson: (user: SessionUser, c: CampaignData, f: ExportFilter, targets: readonly ExportTarget[], opts: { selfUrl: string, locale: string }) => inSlot(async () => {
      const dates = await repo.campaignDates(c.id)
      const texts = c.texts[opts.locale] ?? c.texts[c.defaultLocale] ?? Object.values(c.texts)[0]
      const campaignHref = opts.selfUrl
      const osdiTargets = new Map(targets.map((t) => [t.id, osdiTarget(t, opts.locale)]))
      const subjectOf = subjects(c)
      let total = 0
      const chunks = repo.session(c.id, async function * (s) {
        total = await s.count(f)
        yield osdiHead(osdiCampaign({
          id: c.id,
          slug: c.slug,
          title: texts?.title ?? c.slug,
          description: texts?.pitch ?? '',
          createdAt: dates.createdAt,
          modifiedAt: dates.updatedAt,
          browserUrl: `${publicUrl}/c/${c.slug}`,
          selfUrl: opts.selfUrl,
          targets,
          locale: opts.locale,
          totalOutreaches: total
        }))
        let out = ''
        let first = true
        for await (const batch of s.actions(f)) {
          for (const [id, createdAt, targetId, channel, locale, , text, ref, suspect] of batch) {
            out += (first ? '' : ',') + osdiOutreach({ id, createdAt, targetId, channel, locale, text, ref, suspect: suspect === 'true' }, osdiTargets, campaignHref, subjectOf)
            first = false
          }
          if (out.length >= CHUNK_CHARS) {
            yield out
            out = ''
          }
        }
        yield out + OSDI_TAIL
      })
      const stream = await started(chunks)
      try {
        await record(user, c, 'osdi', f, targets, { outreaches: total })
      } catch (err) {
        stream.destroy()
        throw err
      }
      return stream
    })
  }
}
