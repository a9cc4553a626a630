import type { Db } from '../db/client.ts'
import { checkTemplate, type RuleTarget, type TemplateProblem } from '../domain/message-rules.ts'
import { SUBJECT_MAX, readVariantChannels, variantChannels } from '../domain/variant-channels.ts'
import type { FieldError } from '../domain/target-rules.ts'
import type { CampaignData } from '../repos/campaign-repo.ts'
import type { MessageRepo, MessageRow, MessageValues } from '../repos/message-repo.ts'
import type { TargetRepo, TargetRow } from '../repos/target-repo.ts'
import type { AuditService } from './audit-service.ts'
import type { SessionUser } from './auth-service.ts'

type User = Pick<SessionUser, 'id' | 'email'>

/** What the message form sends. */
export interface MessageFields { locale: string, targetId: string, body: string, channels: string[], subject: string }

export type MessageSaveResult = { ok: true, message: MessageRow, warnings: FieldError[] } | { ok: false, values: MessageValues, errors: FieldError[], warnings: FieldError[] }

// Too-long problems shown one by one; the rest are counted.
const SHOWN_PROBLEMS = 10

/** The locales a campaign writes messages in: those it has texts for, its default first. */
export function campaignLocales (c: Pick<CampaignData, 'declaredLanguages'>): string[] {
  return c.declaredLanguages
}

/** Turns the template rules' blocking problems into form errors on the body field, worst first (a misread hashtag only warns: templateWarnings). */
export function templateErrors (problems: readonly TemplateProblem[]): FieldError[] {
  const errors: FieldError[] = []
  const tooLong = problems.filter((p) => p.kind === 'tooLong').sort((a, b) => b.over - a.over)
  for (const p of problems) {
    if (p.kind === 'empty') errors.push({ field: 'body', key: 'admin.messages.errors.empty' })
    if (p.kind === 'tooLongInput') errors.push({ field: 'body', key: 'admin.messages.errors.tooLongInput', vars: { max: p.max } })
    if (p.kind === 'placeholder') {
      errors.push(p.suggestion
        ? { field: 'body', key: 'admin.messages.errors.placeholderSuggest', vars: { name: `{${p.name}}`, suggestion: `{${p.suggestion}}` } }
        : { field: 'body', key: 'admin.messages.errors.placeholder', vars: { name: `{${p.name}}` } })
    }
  }
  for (const p of tooLong.slice(0, SHOWN_PROBLEMS)) {
    const byName = p.mention === p.target.name
    errors.push({ field: 'body', key: byName ? 'admin.messages.errors.tooLongByName' : 'admin.messages.errors.tooLong', vars: { channel: p.channel, name: p.target.name, mention: p.mention, count: p.over, length: p.length, limit: p.limit } })
  }
  if (tooLong.length > SHOWN_PROBLEMS) errors.push({ field: 'body', key: 'admin.messages.errors.tooLongMore', vars: { count: tooLong.length - SHOWN_PROBLEMS } })
  return errors
}

/**
 * Hashtags a network reads differently from how they are written, as warnings on the body field: the variant is still
 * saved (a Persian tag with a ZWNJ is whole on X and Mastodon and cut on Bluesky; the campaigner decides).
 */
export function templateWarnings (problems: readonly TemplateProblem[]): FieldError[] {
  return problems.flatMap((p): FieldError[] => p.kind !== 'tagRead'
    ? []
    : [p.read === null
        ? { field: 'body', key: 'admin.messages.warnings.tagNone', vars: { tag: `#${p.tag}`, channel: p.channel } }
        : { field: 'body', key: 'admin.messages.warnings.tagRead', vars: { tag: `#${p.tag}`, channel: p.channel, read: `#${p.read}` } }])
}

export type MessageService = ReturnType<typeof createMessageService>

/** Message variants: checked against every target they apply to before they are saved or shown again. */
export function createMessageService ({ db, repo, targetRepo, audit, announce, campaignLink }: {
  db: Db
  repo: MessageRepo
  targetRepo: Pick<TargetRepo, 'list'>
  audit: Pick<AuditService, 'record'>
  announce: (slug: string) => Promise<void>
  campaignLink: (c: CampaignData) => string
}) {
  const ruleTarget = (t: TargetRow): RuleTarget => ({ id: t.id, name: t.name, handles: t.handles, email: t.email })

  /** Checks a variant: its locale, its target (one of the campaign's, or none), and its template for every target it applies to. */
  async function check (c: CampaignData, fields: MessageFields): Promise<{ values: MessageValues, errors: FieldError[], warnings: FieldError[] }> {
    const body = fields.body.replace(/\r\n?/g, '\n').replace(/[ \t]+$/gm, '').trim()
    const read = readVariantChannels(fields.channels, c.channels)
    const values: MessageValues = { locale: fields.locale, targetId: fields.targetId || null, body, channels: read.channels, subject: fields.subject.replace(/\s+/g, ' ').trim() }
    const errors: FieldError[] = []
    if (read.unknown) errors.push({ field: 'channels', key: 'admin.messages.errors.channels' })
    const sentOn = variantChannels(values, c.channels)
    // The subject only travels with an e-mail: kept only for a variant sent by e-mail.
    if (!sentOn.includes('email')) values.subject = ''
    if ([...values.subject].length > SUBJECT_MAX) errors.push({ field: 'subject', key: 'admin.messages.errors.subjectTooLong', vars: { max: SUBJECT_MAX } })
    if (!campaignLocales(c).includes(values.locale)) errors.push({ field: 'locale', key: 'admin.messages.errors.locale' })
    const targets = await targetRepo.list(c.id)
    let applies = targets.filter((t) => t.active)
    if (values.targetId) {
      const one = targets.find((t) => t.id === values.targetId)
      if (!one) errors.push({ field: 'targetId', key: 'admin.messages.errors.target' })
      applies = one ? [one] : []
    }
    const hashtags = c.texts[values.locale]?.hashtags ?? []
    // Checked only on the channels the variant is sent on: a long letter for e-mail is not refused for X.
    const problems = checkTemplate(body, applies.map(ruleTarget), sentOn, hashtags, campaignLink(c))
    errors.push(...templateErrors(problems))
    return { values, errors, warnings: templateWarnings(problems) }
  }

  return {
    check,

    /** Adds or edits a variant, if its template fits every target it applies to; its hashtag warnings do not stop it. */
    async save (user: User, c: CampaignData, existing: MessageRow | null, fields: MessageFields): Promise<MessageSaveResult> {
      const { values, errors, warnings } = await check(c, fields)
      if (errors.length) return { ok: false, values, errors, warnings }
      const message = await db.transaction(async (tx) => {
        const row = existing ? await repo.update(existing.id, values, tx) : await repo.insert(c.id, values, tx)
        await audit.record(user, { action: existing ? 'update' : 'create', entity: 'message', entityId: row.id, campaignId: c.id, before: existing, after: row }, tx)
        return row
      })
      await announce(c.slug)
      return { ok: true, message, warnings }
    },

    /** Hides a variant from supporters, or shows it again (if it still fits every target it applies to). */
    async setActive (user: User, c: CampaignData, message: MessageRow, active: boolean): Promise<{ ok: true } | { ok: false, errors: FieldError[] }> {
      if (message.active === active) return { ok: true }
      if (active) {
        const { errors } = await check(c, { locale: message.locale, targetId: message.targetId ?? '', body: message.body, channels: message.channels.length ? message.channels : [...c.channels], subject: message.subject })
        if (errors.length) return { ok: false, errors }
      }
      await db.transaction(async (tx) => {
        await repo.update(message.id, { active }, tx)
        await audit.record(user, { action: 'update', entity: 'message', entityId: message.id, campaignId: c.id, before: { active: message.active }, after: { active } }, tx)
      })
      await announce(c.slug)
      return { ok: true }
    }
  }
}
