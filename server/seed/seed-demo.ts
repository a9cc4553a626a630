import { eq, sql } from 'drizzle-orm'
import type { Db } from '../db/client.ts'
import { campaigns, campaignTexts, messages, targets, type Channel } from '../db/schema.ts'
import { demoCampaign } from './demo-content.ts'

type DemoMessage = string | { body: string, targetIndex?: number }

/** Inserts the demo campaign "tweetbouteille" (live) unless a campaign with its slug exists. Returns whether it inserted. */
export async function seedDemo (db: Db): Promise<boolean> {
  return db.transaction(async (tx) => {
    // Two processes starting together (web and worker) must not both seed.
    await tx.execute(sql`SELECT pg_advisory_xact_lock(7411203521)`)
    const existing = await tx.select({ id: campaigns.id }).from(campaigns).where(eq(campaigns.slug, demoCampaign.slug))
    if (existing.length > 0) return false
    const [campaign] = await tx.insert(campaigns).values({
      slug: demoCampaign.slug,
      status: 'live',
      defaultLocale: demoCampaign.defaultLocale,
      languages: [...demoCampaign.languages],
      goal: demoCampaign.goal,
      channels: [...demoCampaign.channels] as Channel[]
    }).returning({ id: campaigns.id })
    const campaignId = campaign!.id
    await tx.insert(campaignTexts).values(Object.entries(demoCampaign.texts).map(([locale, t]) => ({
      campaignId, locale, title: t.title, pitch: t.pitch, callToAction: t.callToAction, shareText: t.shareText, shareCall: t.shareCall, hashtags: [...t.hashtags]
    })))
    const targetRows = await tx.insert(targets).values(demoCampaign.targets.map((t, i) => ({
      campaignId,
      name: t.name,
      role: { ...t.role },
      organisation: t.organisation,
      country: t.country,
      handles: { ...t.handles },
      email: t.email,
      groups: [...(t.groups ?? [])],
      position: i
    }))).returning({ id: targets.id })
    const messageRows = Object.entries(demoCampaign.messages as Record<string, readonly DemoMessage[]>).flatMap(([locale, list]) => list.map((m, i) => {
      const body = typeof m === 'string' ? m : m.body
      const index = typeof m === 'string' ? undefined : m.targetIndex
      return { campaignId, locale, body, targetId: index === undefined ? null : targetRows[index]?.id ?? null, position: i }
    }))
    await tx.insert(messages).values(messageRows)
    return true
  })
}

/** Seeds the demo only into a database with no campaign at all. */
export async function seedDemoIfEmpty (db: Db): Promise<boolean> {
  const any = await db.select({ id: campaigns.id }).from(campaigns).limit(1)
  if (any.length > 0) return false
  return seedDemo(db)
}
