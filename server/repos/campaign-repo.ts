import { and, asc, eq, inArray, sql } from 'drizzle-orm'
import type { Db } from '../db/client.ts'
import { campaignLanguages, missingByLanguage } from '../domain/languages.ts'
import { campaigns, campaignTexts, deliveries, messages, targets, type CampaignStatus, type ChallengeMode, type Channel, type Handles } from '../db/schema.ts'

export interface CampaignTextData { title: string, pitch: string, callToAction: string, shareText: string, shareCall: string, hashtags: string[], summary?: string }

export interface TargetData {
  id: string
  name: string
  role: Record<string, string>
  organisation: string
  country: string
  photoUrl: string | null
  handles: Handles
  email: string | null
  groups: string[]
}

export interface MessageData { id: string, locale: string, targetId: string | null, body: string, channels: Channel[], subject: string }

/** Everything the public side needs of a campaign, loaded in one go and cached by the web process. */
export interface CampaignData {
  id: string
  slug: string
  status: CampaignStatus
  defaultLocale: string
  /** the languages the public is offered, in order (the default among them): see publicLanguages */
  languages: string[]
  /** every language the team declared, complete or not (the admin's editors list them all) */
  declaredLanguages: string[]
  goal: number
  /** sends per minute from one address for this campaign, or null for the installation's limit */
  actionRateLimit: number | null
  channels: Channel[]
  opensAt: Date | null
  closesAt: Date | null
  /** the zone the team scheduled in, for showing the opening and closing times */
  timeZone: string
  texts: Record<string, CampaignTextData>
  /** active targets, in display order */
  targets: TargetData[]
  targetsById: Map<string, TargetData>
  /** active message variants, in display order */
  messages: MessageData[]
  messagesById: Map<string, MessageData>
  /** when the bottle was first delivered (a dossier sent), and to how many targets; absent before */
  delivered?: { at: Date, targets: number } | null
  /** words that hold a bottle message for review */
  blockedWords: string[]
  /** the sites that may frame the widget; empty: any */
  embedOrigins: string[]
  /** bot defence: the campaigner's choice, and until when the signals switched it on (automatic mode) */
  challengeMode: ChallengeMode
  challengeAutoUntil: Date | null
  /** the share cards' background and accent (#rrggbb) */
  cardColours: { background: string, bar: string }
}

/**
 * The languages the public is offered: every declared one while a draft is previewed; once open, those complete
 * only (the default always), so a language being written on a live campaign shows when it is ready.
 */
function publicLanguages (c: { status: CampaignStatus, languages: string[], defaultLocale: string }, texts: Array<{ locale: string, title: string, pitch: string, callToAction: string, shareText: string, hashtags: string[] }>, ms: MessageData[]): string[] {
  const all = campaignLanguages(c.languages, c.defaultLocale, texts.map((t) => t.locale))
  if (c.status === 'draft') return all
  const missing = missingByLanguage(all, Object.fromEntries(texts.map((t) => [t.locale, t])), ms.map((m) => m.locale))
  return all.filter((l) => l === c.defaultLocale || !missing[l])
}

export type CampaignRepo = ReturnType<typeof createCampaignRepo>

/** Reads campaigns with their texts, targets and messages. */
export function createCampaignRepo (db: Db) {
  async function assemble (rows: Array<typeof campaigns.$inferSelect>): Promise<CampaignData[]> {
    if (rows.length === 0) return []
    const ids = rows.map((r) => r.id)
    const [texts, targetRows, messageRows, delivered] = await Promise.all([
      db.select().from(campaignTexts).where(inArray(campaignTexts.campaignId, ids)),
      db.select().from(targets).where(and(inArray(targets.campaignId, ids), eq(targets.active, true))).orderBy(asc(targets.position), asc(targets.name)),
      db.select().from(messages).where(and(inArray(messages.campaignId, ids), eq(messages.active, true))).orderBy(asc(messages.position), asc(messages.id)),
      db.select({ campaignId: deliveries.campaignId, at: sql<Date>`min(${deliveries.sentAt})`.mapWith(deliveries.sentAt), n: sql<number>`count(distinct ${deliveries.targetId})::int` })
        .from(deliveries).where(and(inArray(deliveries.campaignId, ids), eq(deliveries.status, 'sent'))).groupBy(deliveries.campaignId)
    ])
    return rows.map((c) => {
      const ts = targetRows.filter((t) => t.campaignId === c.id).map((t): TargetData => ({
        id: t.id, name: t.name, role: t.role, organisation: t.organisation, country: t.country, photoUrl: t.photoUrl, handles: t.handles, email: t.email, groups: t.groups
      }))
      const ms = messageRows.filter((m) => m.campaignId === c.id).map((m): MessageData => ({ id: m.id, locale: m.locale, targetId: m.targetId, body: m.body, channels: m.channels, subject: m.subject }))
      return {
        id: c.id,
        slug: c.slug,
        status: c.status,
        defaultLocale: c.defaultLocale,
        languages: publicLanguages(c, texts.filter((t) => t.campaignId === c.id), ms),
        declaredLanguages: campaignLanguages(c.languages, c.defaultLocale, texts.filter((t) => t.campaignId === c.id).map((t) => t.locale)),
        goal: c.goal,
        actionRateLimit: c.actionRateLimit,
        channels: c.channels,
        opensAt: c.opensAt,
        closesAt: c.closesAt,
        timeZone: c.timeZone,
        texts: Object.fromEntries(texts.filter((t) => t.campaignId === c.id).map((t) => [t.locale, {
          title: t.title, pitch: t.pitch, callToAction: t.callToAction, shareText: t.shareText, shareCall: t.shareCall, hashtags: t.hashtags, summary: t.summary
        }])),
        targets: ts,
        targetsById: new Map(ts.map((t) => [t.id, t])),
        messages: ms,
        messagesById: new Map(ms.map((m) => [m.id, m])),
        delivered: ((d) => d ? { at: d.at, targets: Number(d.n) } : null)(delivered.find((d) => d.campaignId === c.id)),
        blockedWords: c.blockedWords,
        embedOrigins: c.embedOrigins,
        challengeMode: c.challengeMode,
        challengeAutoUntil: c.challengeAutoUntil,
        cardColours: { background: c.cardBackground, bar: c.cardAccent }
      }
    })
  }

  return {
    async findBySlug (slug: string): Promise<CampaignData | null> {
      const rows = await db.select().from(campaigns).where(eq(campaigns.slug, slug)).limit(1)
      return (await assemble(rows))[0] ?? null
    },

    async findById (id: string): Promise<CampaignData | null> {
      const rows = await db.select().from(campaigns).where(eq(campaigns.id, id)).limit(1)
      return (await assemble(rows))[0] ?? null
    },

    /** Campaigns the public can see a count for (all but drafts). */
    async listPublic (): Promise<CampaignData[]> {
      const rows = await db.select().from(campaigns).where(inArray(campaigns.status, ['scheduled', 'live', 'paused', 'closed'])).orderBy(asc(campaigns.createdAt))
      return assemble(rows)
    }
  }
}
