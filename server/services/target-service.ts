import { randomBytes } from 'node:crypto'
import type { Redis } from 'ioredis'
import sharp from 'sharp'
import type { Db } from '../db/client.ts'
import { checkTemplate, type RuleTarget } from '../domain/message-rules.ts'
import { NETWORK_LABELS, parseTargetCsv, type CsvResult, type RowError } from '../domain/target-csv.ts'
import { createDuplicateIndex, validateTarget, type FieldError, type KnownTarget, type TargetFields, type TargetValues } from '../domain/target-rules.ts'
import type { CampaignData } from '../repos/campaign-repo.ts'
import type { TargetRepo, TargetRow } from '../repos/target-repo.ts'
import type { AuditService } from './audit-service.ts'
import type { SessionUser } from './auth-service.ts'
import { storeImage } from './image-upload.ts'

/** The locales a target's role is asked for (the CSV's role_fr and role_en). */
export const ROLE_LOCALES = ['fr', 'en'] as const

const PHOTO_SIZE = 256
const IMPORT_TTL_SECONDS = 30 * 60

type User = Pick<SessionUser, 'id' | 'email'>
export type SaveResult = { ok: true, target: TargetRow } | { ok: false, values: TargetValues, errors: FieldError[] }

/** A parsed import waiting for its confirmation (kept in Redis). */
interface PendingImport { campaignId: string, userId: string, fileName: string, rows: Array<{ row: number, values: TargetValues }> }

export type TargetService = ReturnType<typeof createTargetService>

/** Creating, editing, (de)activating targets, their photos, and CSV imports (preview, then all-or-nothing confirmation). */
export function createTargetService ({ db, repo, audit, redis, prefix, announce, campaignLink }: {
  db: Db
  repo: TargetRepo
  audit: Pick<AuditService, 'record'>
  redis: Redis
  prefix: string
  announce: (slug: string) => Promise<void>
  campaignLink: (c: CampaignData) => string
}) {
  const importKey = (id: string) => `${prefix}:target-import:${id}`
  const known = (rows: readonly TargetRow[]): KnownTarget[] => rows.map((t) => ({ id: t.id, name: t.name, handles: t.handles, active: t.active }))

  /**
   * Why the campaign's active message variants would not fit these targets (a longer handle or name can push a text
   * over a network's limit). Only the variants for every target apply to a new one; `forTarget` adds those written for it.
   */
  function fitProblems (c: CampaignData, targets: ReadonlyArray<RuleTarget & { id?: string }>): Array<{ target: RuleTarget, error: FieldError }> {
    const out: Array<{ target: RuleTarget, error: FieldError }> = []
    const link = campaignLink(c)
    for (const m of c.messages) {
      const applies = m.targetId === null ? targets : targets.filter((t) => t.id === m.targetId)
      if (applies.length === 0) continue
      const hashtags = c.texts[m.locale]?.hashtags ?? []
      for (const p of checkTemplate(m.body, applies, c.channels, hashtags, link)) {
        if (p.kind !== 'tooLong') continue
        out.push({
          target: p.target,
          error: { field: p.channel, key: 'admin.targets.errors.messageTooLong', vars: { channel: p.channel, count: p.over, locale: m.locale, excerpt: excerpt(m.body) } }
        })
      }
    }
    return out
  }

  function duplicateErrors (values: TargetValues, id: string | undefined, others: readonly TargetRow[]): FieldError[] {
    const dup = createDuplicateIndex(known(others)).find({ id, name: values.name, handles: values.handles })
    if (!dup) return []
    return [dup.by === 'name'
      ? { field: 'name', key: 'admin.targets.errors.duplicateName', vars: { name: dup.other.name } }
      : { field: dup.by, key: 'admin.targets.errors.duplicateHandle', vars: { name: dup.other.name, network: NETWORK_LABELS[dup.by] } }]
  }

  async function save (user: User, c: CampaignData, existing: TargetRow | null, fields: TargetFields): Promise<SaveResult> {
    const { values, errors } = validateTarget(fields, ROLE_LOCALES)
    if (errors.length) return { ok: false, values, errors }
    const result = await db.transaction(async (tx): Promise<SaveResult> => {
      await repo.lock(c.id, tx)
      const dups = duplicateErrors(values, existing?.id, await repo.list(c.id, tx))
      if (dups.length) return { ok: false, values, errors: dups }
      if (!existing || existing.active) {
        const fit = fitProblems(c, [{ id: existing?.id, ...values }]).map((p) => p.error)
        if (fit.length) return { ok: false, values, errors: fit }
      }
      const target = existing
        ? await repo.update(existing.id, values, tx)
        : (await repo.insert(c.id, [values], tx))[0]!
      await audit.record(user, { action: existing ? 'update' : 'create', entity: 'target', entityId: target.id, campaignId: c.id, before: existing, after: target }, tx)
      return { ok: true, target }
    })
    if (result.ok) await announce(c.slug)
    return result
  }

  return {
    create: (user: User, c: CampaignData, fields: TargetFields) => save(user, c, null, fields),
    update: (user: User, c: CampaignData, target: TargetRow, fields: TargetFields) => save(user, c, target, fields),

    /** Hides a target from supporters, or shows it again (after checking the active variants still fit it). */
    async setActive (user: User, c: CampaignData, target: TargetRow, active: boolean): Promise<{ ok: true } | { ok: false, errors: FieldError[] }> {
      if (target.active === active) return { ok: true }
      if (active) {
        const fit = fitProblems(c, [target]).map((p) => p.error)
        if (fit.length) return { ok: false, errors: fit }
      }
      await db.transaction(async (tx) => {
        await repo.update(target.id, { active }, tx)
        await audit.record(user, { action: 'update', entity: 'target', entityId: target.id, campaignId: c.id, before: { active: target.active }, after: { active } }, tx)
      })
      await announce(c.slug)
      return { ok: true }
    },

    /** Stores a photo (see storeImage), cropped to a 256×256 square around its most salient part. */
    async setPhoto (user: User, c: CampaignData, target: TargetRow, bytes: Buffer): Promise<{ ok: true, url: string } | { ok: false, error: string }> {
      const stored = await storeImage(bytes, (image) => image.resize(PHOTO_SIZE, PHOTO_SIZE, { fit: 'cover', position: sharp.strategy.attention }))
      if (!stored.ok) return { ok: false, error: `admin.targets.photo.errors.${stored.refusal}` }
      const { data, etag } = stored.image
      const url = `/media/targets/${target.id}.webp?v=${etag}`
      await db.transaction(async (tx) => {
        await repo.savePhoto(target.id, { contentType: 'image/webp', data, etag }, tx)
        await repo.update(target.id, { photoUrl: url }, tx)
        await audit.record(user, { action: 'update', entity: 'target', entityId: target.id, campaignId: c.id, before: { photoUrl: target.photoUrl }, after: { photoUrl: url, photoBytes: data.length } }, tx)
      })
      await announce(c.slug)
      return { ok: true, url }
    },

    /** Back to the initials avatar. */
    async removePhoto (user: User, c: CampaignData, target: TargetRow): Promise<void> {
      await db.transaction(async (tx) => {
        await repo.removePhoto(target.id, tx)
        await repo.update(target.id, { photoUrl: null }, tx)
        await audit.record(user, { action: 'update', entity: 'target', entityId: target.id, campaignId: c.id, before: { photoUrl: target.photoUrl }, after: { photoUrl: null } }, tx)
      })
      await announce(c.slug)
    },

    /**
     * Reads an uploaded file and checks every row against the campaign (writes nothing). A file without errors is kept
     * for 30 minutes under a random id, for confirmImport (in Redis: `unavailable` when Redis does not answer).
     */
    async previewImport (user: User, c: CampaignData, bytes: Uint8Array, fileName: string): Promise<{ result: CsvResult, importId: string | null } | { unavailable: true }> {
      const result = await parseTargetCsv(bytes, { existing: known(await repo.list(c.id)) })
      if (!result.ok) return { result, importId: null }
      const rowOf = new Map<RuleTarget, number>()
      const candidates = result.rows.filter((r) => r.values.name).map((r) => {
        const t: RuleTarget = { name: r.values.name, handles: r.values.handles, email: r.values.email }
        rowOf.set(t, r.row)
        return t
      })
      const fit: RowError[] = fitProblems(c, candidates).map((p) => ({ row: rowOf.get(p.target)!, ...p.error }))
      if (fit.length) result.errors = [...result.errors, ...fit].sort((a, b) => a.row - b.row)
      if (result.errors.length) return { result, importId: null }
      const importId = randomBytes(16).toString('base64url')
      const pending: PendingImport = { campaignId: c.id, userId: user.id, fileName, rows: result.rows }
      try {
        await redis.set(importKey(importId), JSON.stringify(pending), 'EX', IMPORT_TTL_SECONDS)
      } catch {
        // Without Redis the preview cannot be kept for its confirmation: say so rather than fail.
        return { unavailable: true }
      }
      return { result, importId }
    },

    /**
     * Writes every row of a previewed import in one transaction, or none: refused when it expired, belongs to another
     * campaign or user, when a row now duplicates a target added since the preview, or when Redis does not answer.
     */
    async confirmImport (user: User, c: CampaignData, importId: string): Promise<{ ok: true, count: number } | { ok: false, reason: 'expired' } | { ok: false, reason: 'notFound' } | { ok: false, reason: 'unavailable' } | { ok: false, reason: 'errors', errors: RowError[] }> {
      const key = importKey(importId)
      // Puts a taken import back, for another try; best effort (if Redis is away, the file is simply uploaded again).
      const putBack = (raw: string) => redis.set(key, raw, 'EX', IMPORT_TTL_SECONDS).then(() => {}, () => {})
      let raw: string | null
      try {
        // Taken out at once: a second click on "confirm" finds nothing instead of importing twice.
        raw = await redis.getdel(key)
      } catch {
        return { ok: false, reason: 'unavailable' }
      }
      if (!raw) return { ok: false, reason: 'expired' }
      const pending = JSON.parse(raw) as PendingImport
      if (pending.campaignId !== c.id || pending.userId !== user.id) {
        await putBack(raw)
        return { ok: false, reason: 'notFound' }
      }
      let outcome
      try {
        outcome = await db.transaction(async (tx) => {
          await repo.lock(c.id, tx)
          const index = createDuplicateIndex(known(await repo.list(c.id, tx)))
          const errors: RowError[] = []
          for (const { row, values } of pending.rows) {
            const dup = index.find({ name: values.name, handles: values.handles })
            if (!dup) continue
            errors.push(dup.by === 'name'
              ? { row, field: 'name', key: 'admin.targets.csv.errors.duplicateExistingName', vars: { name: dup.other.name } }
              : { row, field: dup.by, key: 'admin.targets.csv.errors.duplicateExistingHandle', vars: { name: dup.other.name, network: NETWORK_LABELS[dup.by] } })
          }
          const rowOf = new Map<RuleTarget, number>(pending.rows.map((r) => [r.values, r.row]))
          for (const p of fitProblems(c, pending.rows.map((r) => r.values))) errors.push({ row: rowOf.get(p.target) ?? 0, ...p.error })
          if (errors.length) return { ok: false as const, reason: 'errors' as const, errors: errors.sort((a, b) => a.row - b.row) }
          const inserted = await repo.insert(c.id, pending.rows.map((r) => r.values), tx)
          await audit.record(user, { action: 'import', entity: 'target', campaignId: c.id, after: { count: inserted.length, file: pending.fileName } }, tx)
          return { ok: true as const, count: inserted.length }
        })
      } catch (err) {
        await putBack(raw)
        throw err
      }
      if (!outcome.ok) {
        await putBack(raw)
        return outcome
      }
      // Committed: from here on nothing may put the import back (it would be offered a second time).
      await announce(c.slug)
      return outcome
    }
  }
}

function excerpt (body: string): string {
  const flat = body.replace(/\s+/g, ' ').trim()
  return flat.length > 48 ? flat.slice(0, 47) + '…' : flat
}
