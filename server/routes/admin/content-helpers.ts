// Helpers shared by the campaign content pages (targets, messages).
import type { FastifyReply } from 'fastify'
import type { Deps } from '../../deps.ts'
import type { FieldError } from '../../domain/target-rules.ts'
import type { Translator } from '../../i18n.ts'
import type { CampaignData } from '../../repos/campaign-repo.ts'
import { UUID_RE } from './format.ts'

export type Body = Record<string, unknown>
export const str = (v: unknown): string => typeof v === 'string' ? v : ''

/** The campaign of an :id in the URL; replies 404 (and returns null) when the id is not a campaign's. */
export async function campaignOr404 (deps: Pick<Deps, 'campaignRepo'>, id: string, reply: FastifyReply): Promise<CampaignData | null> {
  const c = UUID_RE.test(id) ? await deps.campaignRepo.findById(id) : null
  if (!c) {
    await reply.sendError(404, 'errors.notFound.message', { back: { href: '/admin', labelKey: 'admin.nav.campaigns' } })
    return null
  }
  return c
}

/** Replies 404 for an id of something that is not the campaign's (or not an id at all). */
export function notFound (reply: FastifyReply, campaignId: string): FastifyReply {
  return reply.sendError(404, 'errors.notFound.message', { back: { href: `/admin/campaigns/${campaignId}`, labelKey: 'admin.nav.campaigns' } })
}

/** A rule's error in the admin's language; a channel in its variables is named ("on X", "in the bottle"). */
export function translateError (tr: Translator, e: Pick<FieldError, 'key' | 'vars'>): string {
  const vars = { ...e.vars }
  if (typeof vars.channel === 'string') vars.on = tr.t(`admin.messages.on.${vars.channel}`)
  return tr.t(e.key, vars)
}

/** Errors for a form: the first message per field (shown under it) and every message (the summary at the top). */
export function formErrors (tr: Translator, errors: readonly FieldError[]): { byField: Record<string, string>, list: Array<{ field: string, message: string }> } {
  const byField: Record<string, string> = {}
  const list = errors.map((e) => {
    const message = translateError(tr, e)
    if (e.field && !(e.field in byField)) byField[e.field] = message
    return { field: e.field, message }
  })
  return { byField, list }
}

/** The campaign's name in the admin's language, for titles. */
export function campaignTitle (c: CampaignData, locale: string): string {
  return c.texts[locale]?.title ?? c.texts[c.defaultLocale]?.title ?? c.slug
}
