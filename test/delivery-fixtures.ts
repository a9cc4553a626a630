import { randomUUID } from 'node:crypto'
import { actions, bottleMessages, type BottleStatus, type Channel } from '../server/db/schema.ts'
import type { Deps } from '../server/deps.ts'

/** Inserts sends to a target straight in the database: `n` actions on a channel. */
export async function insertActions (deps: Pick<Deps, 'db'>, campaignId: string, targetId: string, channel: Channel, n: number): Promise<number[]> {
  if (n === 0) return []
  const rows = await deps.db.insert(actions).values(Array.from({ length: n }, (_, i) => ({
    campaignId, targetId, channel, locale: 'fr', text: `${channel} ${i}`, key: randomUUID()
  }))).returning({ id: actions.id })
  return rows.map((r) => r.id)
}

/** Puts a message in the bottle for a target (with its bottle action), as collecting and moderation would leave it. */
export async function insertBottleMessage (deps: Pick<Deps, 'db'>, campaignId: string, targetId: string, text: string, opts: {
  status?: BottleStatus
  featured?: boolean
  signatureName?: string
  signatureTown?: string
  publishConsent?: boolean
  createdAt?: Date
} = {}): Promise<number> {
  const [a] = await insertActions(deps, campaignId, targetId, 'bottle', 1)
  const [m] = await deps.db.insert(bottleMessages).values({
    actionId: a!,
    campaignId,
    targetId,
    locale: 'fr',
    text,
    signatureName: opts.signatureName ?? null,
    signatureTown: opts.signatureTown ?? null,
    publishConsent: opts.publishConsent ?? false,
    consentVersion: opts.publishConsent ? 'v1' : null,
    status: opts.status ?? 'approved',
    featured: opts.featured ?? false,
    fingerprint: randomUUID(),
    createdAt: opts.createdAt
  }).returning({ id: bottleMessages.id })
  return m!.id
}
