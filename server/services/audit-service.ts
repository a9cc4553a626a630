import { desc, eq } from 'drizzle-orm'
import type { Db } from '../db/client.ts'
import { auditLog, campaigns } from '../db/schema.ts'
import type { SessionUser } from './auth-service.ts'

export interface AuditEntry {
  action: string
  entity: string
  entityId?: string | null
  campaignId?: string | null
  before?: unknown
  after?: unknown
}

export type AuditService = ReturnType<typeof createAuditService>

// Never written to the log, whatever the entity.
const SECRET_FIELDS = new Set(['password', 'passwordHash', 'password_hash', 'tokenHash', 'token_hash', 'token', 'totpSecret', 'totp_secret', 'recoveryCodeHashes', 'recovery_code_hashes', 'data'])

function scrub (value: unknown): unknown {
  if (value === null || value === undefined) return null
  if (Array.isArray(value)) return value.map(scrub)
  if (value instanceof Date) return value.toISOString()
  if (Buffer.isBuffer(value)) return `<${value.length} bytes>`
  if (typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).filter(([k]) => !SECRET_FIELDS.has(k)).map(([k, v]) => [k, scrub(v)]))
  }
  return value
}

/** The audit log: every admin change, who, what, when, before → after. */
export function createAuditService ({ db }: { db: Db }) {
  return {
    /** Records a change; `tx` lets it commit with the change itself. */
    async record (user: Pick<SessionUser, 'id' | 'email'> | null, entry: AuditEntry, tx: Pick<Db, 'insert'> = db): Promise<void> {
      await tx.insert(auditLog).values({
        userId: user?.id ?? null,
        userEmail: user?.email ?? 'system',
        action: entry.action,
        entity: entry.entity,
        entityId: entry.entityId ?? null,
        campaignId: entry.campaignId ?? null,
        before: scrub(entry.before),
        after: scrub(entry.after)
      })
    },

    /** The campaigns the log can be filtered by, newest first. */
    async campaignChoices () {
      return db.select({ id: campaigns.id, slug: campaigns.slug }).from(campaigns).orderBy(desc(campaigns.createdAt))
    },

    /** Entries newest first, with the campaign's slug; campaignId (a UUID) keeps one campaign's. */
    async list ({ limit = 100, offset = 0, campaignId }: { limit?: number, offset?: number, campaignId?: string } = {}) {
      return db.select({ entry: auditLog, campaignSlug: campaigns.slug })
        .from(auditLog).leftJoin(campaigns, eq(campaigns.id, auditLog.campaignId))
        .where(campaignId ? eq(auditLog.campaignId, campaignId) : undefined)
        .orderBy(desc(auditLog.id)).limit(limit).offset(offset)
    }
  }
}
