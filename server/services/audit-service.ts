import { desc, eq, inArray } from 'drizzle-orm'
import type { Db } from '../db/client.ts'
import { auditLog, campaigns, campaignTexts, messages, targets, users } from '../db/schema.ts'
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

    /** What some ids name (targets, members, campaigns, message variants), to show words instead of raw ids. */
    async names (ids: readonly string[]): Promise<Map<string, string>> {
      const out = new Map<string, string>()
      if (ids.length === 0) return out
      const list = [...ids]
      const [ts, us, cs, ms] = await Promise.all([
        db.select({ id: targets.id, name: targets.name }).from(targets).where(inArray(targets.id, list)),
        db.select({ id: users.id, name: users.name, email: users.email }).from(users).where(inArray(users.id, list)),
        db.select({ id: campaigns.id, slug: campaigns.slug, title: campaignTexts.title }).from(campaigns)
          .leftJoin(campaignTexts, eq(campaignTexts.campaignId, campaigns.id)).where(inArray(campaigns.id, list)),
        db.select({ id: messages.id, body: messages.body }).from(messages).where(inArray(messages.id, list))
      ])
      for (const t of ts) out.set(t.id, t.name)
      for (const u of us) out.set(u.id, u.name ? `${u.name} (${u.email})` : u.email)
      for (const c of cs) if (!out.has(c.id)) out.set(c.id, c.title ?? c.slug)
      for (const m of ms) out.set(m.id, m.body)
      return out
    },

    /** The campaigns the log can be filtered by, newest first. */
    async campaignChoices () {
      return db.select({ id: campaigns.id, slug: campaigns.slug }).from(campaigns).orderBy(desc(campaigns.createdAt))
    },

    /** Entries newest first, with the campaign's slug and zone and the member's name; campaignId (a UUID) keeps one campaign's. */
    async list ({ limit = 100, offset = 0, campaignId }: { limit?: number, offset?: number, campaignId?: string } = {}) {
      return db.select({ entry: auditLog, campaignSlug: campaigns.slug, campaignTimeZone: campaigns.timeZone, userName: users.name })
        .from(auditLog).leftJoin(campaigns, eq(campaigns.id, auditLog.campaignId)).leftJoin(users, eq(users.id, auditLog.userId))
        .where(campaignId ? eq(auditLog.campaignId, campaignId) : undefined)
        .orderBy(desc(auditLog.id)).limit(limit).offset(offset)
    }
  }
}
