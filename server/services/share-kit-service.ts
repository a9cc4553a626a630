import { and, eq, inArray, isNull, lt, or, sql } from 'drizzle-orm'
import type { Db } from '../db/client.ts'
import { partners, shareCallMails, users, campaignGrants } from '../db/schema.ts'
import { buildShareKit, shareKitText, type ShareKit } from '../domain/share-kit.ts'
import type { I18n } from '../i18n.ts'
import type { CampaignData, CampaignRepo } from '../repos/campaign-repo.ts'
import type { Queues } from '../queues.ts'
import type { AuditService } from './audit-service.ts'
import type { SessionUser } from './auth-service.ts'
import type { Mailer } from './mailer.ts'

// Long enough for a slow SMTP exchange; a worker killed mid-send lets another retry after it.
const LEASE_MS = 5 * 60_000

export type ShareKitService = ReturnType<typeof createShareKitService>

/** The share kit of a campaign (for the team or a partner), its plain-text form for e-mails, and "Call to share". */
export function createShareKitService ({ db, campaignRepo, queues, mailer, audit, i18n, publicUrl }: {
  db: Db
  campaignRepo: Pick<CampaignRepo, 'findById'>
  queues: Pick<Queues, 'notify'>
  mailer: Pick<Mailer, 'send' | 'enabled'>
  audit: Pick<AuditService, 'record'>
  i18n: I18n
  publicUrl: string
}) {
  const kitOf = (c: CampaignData, ref: string | null = null): ShareKit => buildShareKit(publicUrl, c, ref)

  /** The kit as text in the campaign's languages the installation speaks (the default first), for an e-mail. */
  function mailText (c: CampaignData, kit: ShareKit): string {
    const locales = [c.defaultLocale, ...i18n.locales.filter((l) => l !== c.defaultLocale)].filter((l) => i18n.locales.includes(l))
    const tr = i18n.translator(locales[0] ?? 'en')
    return shareKitText(kit, (key, vars) => key === 'lang' ? tr.t(`lang.${String(vars?.locale)}`) : tr.t(`admin.shareKit.mail.${key}`, vars))
  }

  /** The members who may see the campaign: owners, installation-wide members, and those it is granted to. */
  async function teamOf (campaignId: string): Promise<string[]> {
    const rows = await db.select({ email: users.email }).from(users)
      .where(or(eq(users.role, 'owner'), eq(users.allCampaigns, true), inArray(users.id, db.select({ id: campaignGrants.userId }).from(campaignGrants).where(eq(campaignGrants.campaignId, campaignId)))))
    return rows.map((r) => r.email)
  }

  return {
    kitOf,
    mailText,

    /** "Call to share": one mail to the team, one to each partner with an address (their kit); queued, audited. */
    async callToShare (user: Pick<SessionUser, 'id' | 'email'>, c: CampaignData): Promise<{ team: number, partners: number }> {
      const team = await teamOf(c.id)
      const withMail = (await db.select({ id: partners.id, email: partners.email }).from(partners).where(eq(partners.campaignId, c.id))).filter((p) => p.email)
      const rows = [
        ...(team.length ? [{ campaignId: c.id, partnerId: null, toAddresses: team, requestedBy: user.id }] : []),
        ...withMail.map((p) => ({ campaignId: c.id, partnerId: p.id, toAddresses: [p.email!], requestedBy: user.id }))
      ]
      if (rows.length === 0) return { team: 0, partners: 0 }
      const ids = await db.transaction(async (tx) => {
        const inserted = await tx.insert(shareCallMails).values(rows).returning({ id: shareCallMails.id })
        await audit.record(user, { action: 'callToShare', entity: 'share_kit', campaignId: c.id, after: { team: team.length, partners: withMail.length } }, tx)
        return inserted.map((r) => r.id)
      })
      // The rows are committed: a lost enqueue is picked up by the worker's sweep.
      await Promise.all(ids.map((id) => queues.notify.add('shareKit', { mailId: id }, { deduplication: { id: `share-kit:${id}` } }))).catch(() => {})
      return { team: team.length, partners: withMail.length }
    },

    /**
     * Sends one "Call to share" mail. Safe to run twice and concurrently: the row is claimed for a lease, then marked
     * sent once the SMTP server accepted it; a retry carries the same Message-ID.
     */
    async sendMail (id: number): Promise<'sent' | 'skipped' | 'done'> {
      const [row] = await db.update(shareCallMails).set({ claimedUntil: sql`now() + ${LEASE_MS} * interval '1 millisecond'`, attempts: sql`${shareCallMails.attempts} + 1` })
        .where(and(eq(shareCallMails.id, id), eq(shareCallMails.status, 'pending'), or(isNull(shareCallMails.claimedUntil), lt(shareCallMails.claimedUntil, sql`now()`))))
        .returning()
      if (!row) return 'done'
      const finish = (status: 'sent' | 'skipped') => db.update(shareCallMails).set({ status, sentAt: status === 'sent' ? new Date() : null, claimedUntil: null }).where(eq(shareCallMails.id, id))
      const c = await campaignRepo.findById(row.campaignId)
      const partner = row.partnerId ? (await db.select().from(partners).where(eq(partners.id, row.partnerId)))[0] : null
      if (!mailer.enabled || !c || (row.partnerId && !partner)) {
        await finish('skipped')
        return 'skipped'
      }
      const tr = i18n.translator(i18n.locales.includes(c.defaultLocale) ? c.defaultLocale : 'en')
      const title = c.texts[c.defaultLocale]?.title ?? c.slug
      const intro = partner ? tr.t('admin.shareKit.mail.introPartner', { name: partner.name, title }) : tr.t('admin.shareKit.mail.introTeam', { title })
      const host = new URL(publicUrl).hostname || 'bouteille.local'
      try {
        await mailer.send({
          to: row.toAddresses,
          subject: tr.t('admin.shareKit.mail.subject', { title }),
          text: `${intro}\n\n${mailText(c, kitOf(c, partner?.code ?? null))}\n`,
          messageId: `<share-kit-${row.id}.${row.campaignId}@${host}>`
        })
      } catch (err) {
        await db.update(shareCallMails).set({ claimedUntil: null }).where(eq(shareCallMails.id, id))
        throw err
      }
      await finish('sent')
      return 'sent'
    },

    /** Mails still to send that nobody holds (for the worker's sweep). */
    async pendingMail (): Promise<number[]> {
      const rows = await db.select({ id: shareCallMails.id }).from(shareCallMails)
        .where(and(eq(shareCallMails.status, 'pending'), or(isNull(shareCallMails.claimedUntil), lt(shareCallMails.claimedUntil, sql`now()`)))).limit(100)
      return rows.map((r) => r.id)
    }
  }
}
