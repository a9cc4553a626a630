import { eq } from 'drizzle-orm'
import type { Db } from '../db/client.ts'
import { legalTexts } from '../db/schema.ts'
import type { AuditService } from './audit-service.ts'
import type { SessionUser } from './auth-service.ts'

export interface LegalText { privacy: string, legal: string }

export type LegalTextService = ReturnType<typeof createLegalTextService>

/** The owners' own words on /privacy and /legal, per language; read from memory, written (and audited) by an owner. */
export function createLegalTextService ({ db, audit }: { db: Db, audit: Pick<AuditService, 'record'> }) {
  // The pages are public and the texts change rarely: one read per language and process until this process writes one.
  // Another web instance sees an owner's change within CACHE_MS.
  const CACHE_MS = 60_000
  const cache = new Map<string, { at: number, text: LegalText }>()

  async function read (locale: string): Promise<LegalText> {
    const [row] = await db.select({ privacy: legalTexts.privacy, legal: legalTexts.legal }).from(legalTexts).where(eq(legalTexts.locale, locale))
    return row ?? { privacy: '', legal: '' }
  }

  return {
    /** The texts of a language ('' when none was written). */
    async get (locale: string): Promise<LegalText> {
      const hit = cache.get(locale)
      if (hit && Date.now() - hit.at < CACHE_MS) return hit.text
      const text = await read(locale)
      cache.set(locale, { at: Date.now(), text })
      return text
    },

    /** The texts as stored now (the admin's form). */
    read,

    /** Replaces a language's texts; the change is audited with both versions. */
    async set (user: Pick<SessionUser, 'id' | 'email'>, locale: string, text: LegalText): Promise<void> {
      await db.transaction(async (tx) => {
        const [before] = await tx.select({ privacy: legalTexts.privacy, legal: legalTexts.legal }).from(legalTexts).where(eq(legalTexts.locale, locale)).for('update')
        await tx.insert(legalTexts).values({ locale, ...text, updatedBy: user.id })
          .onConflictDoUpdate({ target: legalTexts.locale, set: { ...text, updatedBy: user.id, updatedAt: new Date() } })
        await audit.record(user, { action: 'update', entity: 'legal_text', entityId: locale, before: before ?? null, after: text }, tx)
      })
      cache.delete(locale)
    }
  }
}
