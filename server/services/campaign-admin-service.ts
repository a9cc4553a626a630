import { and, asc, eq, inArray, isNotNull, or, sql } from 'drizzle-orm'
import type { Db } from '../db/client.ts'
import { campaigns, campaignTexts, messages, type CampaignStatus, type Channel } from '../db/schema.ts'
import {
  CHANNEL_ORDER, DEFAULT_TIME_ZONE, SLUG_MAX, SLUG_MIN, dueTransition, isTimeZone, parseGoal, parseHashtags, parseSendLimit, parseLocalDateTime, slugProblem, toLocalDateTime,
  transitionProblem, upcomingTransitions, windowProblem
} from '../domain/campaign-rules.ts'
import { embedOriginsText, parseEmbedOrigins } from '../domain/embed-rules.ts'
import { CARD_MIN_CONTRAST, CARD_PALETTE, checkCardColours } from '../domain/share-card.ts'
import { LANGUAGES_MAX, campaignLanguages, canonicalLanguage, missingByLanguage, parseLanguageList, type MissingByLanguage } from '../domain/languages.ts'
import { scheduleTransition, unscheduleTransition, type Queues } from '../queues.ts'
import type { AuditService } from './audit-service.ts'
import type { SessionUser } from './auth-service.ts'

export const TEXT_LIMITS = { title: 140, pitch: 1000, callToAction: 200, shareText: 280, shareCall: 200, hashtags: 400, summary: 300 } as const
export const TEXT_FIELDS = ['title', 'pitch', 'callToAction', 'shareText', 'shareCall', 'hashtags', 'summary'] as const
type TextField = (typeof TEXT_FIELDS)[number]

/** A campaign as the editor shows it: the raw values of the form (times on the clocks of its zone). */
export interface CampaignForm {
  slug: string
  goal: string
  /** sends per minute from one address; '' for the installation's default */
  sendLimit: string
  timeZone: string
  opensAt: string
  closesAt: string
  defaultLocale: string
  /** the campaign's languages as typed ("fr en es ar") */
  languages: string
  channels: string[]
  texts: Record<string, Record<TextField, string>>
  /** the sites that may frame the widget, as typed (one a line); '' for any */
  embedOrigins: string
  /** the share cards' background and accent, as typed (#rrggbb) */
  cardBackground: string
  cardAccent: string
  /** "N public posts" beside the count on the public page */
  showPublicPosts: boolean
}

/** A checked campaign, ready to be written. */
export interface CampaignInput {
  slug: string
  goal: number
  sendLimit: number | null
  timeZone: string
  opensAt: Date | null
  closesAt: Date | null
  defaultLocale: string
  languages: string[]
  channels: Channel[]
  texts: Record<string, { title: string, pitch: string, callToAction: string, shareText: string, shareCall: string, hashtags: string[], summary: string }>
  embedOrigins: string[]
  cardBackground: string
  cardAccent: string
  showPublicPosts: boolean
}

/** A problem with a field: its i18n key under admin.campaigns.errors and the key's variables. */
export interface FieldError { key: string, vars?: Record<string, string | number>, missing?: MissingByLanguage }
export type FieldErrors = Record<string, FieldError>

type CampaignRow = typeof campaigns.$inferSelect
type TextRow = typeof campaignTexts.$inferSelect
export interface CampaignRecord extends CampaignRow { texts: Record<string, Omit<TextRow, 'campaignId' | 'locale'>> }

export type Actor = Pick<SessionUser, 'id' | 'email'> | null

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const str = (v: unknown): string => typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : ''

/**
 * The languages a form's texts are read for: the typed list's tags that read (the rest is reported by checkForm);
 * without a list (a client of the older form), every language a title field was sent for.
 */
export function formLanguages (form: Pick<CampaignForm, 'languages' | 'defaultLocale'>): string[] {
  const tags = form.languages.split(/[\s,;]+/).map((raw) => canonicalLanguage(raw)).filter((t): t is string => t !== null)
  const defaultTag = canonicalLanguage(form.defaultLocale)
  return [...new Set([...tags, ...(defaultTag && !tags.includes(defaultTag) ? [defaultTag] : [])])]
}

/** Reads the editor's form (urlencoded body) into its raw values, whatever was sent. */
export function formFromBody (body: Record<string, unknown>): CampaignForm {
  const raw = body.channels
  const channels = (Array.isArray(raw) ? raw : [raw]).filter((c): c is string => typeof c === 'string')
  const defaultLocale = str(body.defaultLocale).trim().slice(0, 40)
  const languages = typeof body.languages === 'string' || Array.isArray(body.languages)
    ? str(body.languages).slice(0, 400)
    : (Object.keys(body).filter((k) => k.startsWith('title_')).map((k) => k.slice(6)).join(' ') || defaultLocale).slice(0, 400)
  const texts: CampaignForm['texts'] = {}
  for (const locale of formLanguages({ languages, defaultLocale })) {
    texts[locale] = Object.fromEntries(TEXT_FIELDS.map((f) => [f, str(body[`${f}_${locale}`]).slice(0, 5000)])) as Record<TextField, string>
  }
  return {
    slug: str(body.slug).trim().slice(0, 200),
    goal: str(body.goal).trim().slice(0, 40),
    sendLimit: str(body.sendLimit).trim().slice(0, 40),
    timeZone: str(body.timeZone).trim().slice(0, 80) || DEFAULT_TIME_ZONE,
    opensAt: str(body.opensAt).trim().slice(0, 40),
    closesAt: str(body.closesAt).trim().slice(0, 40),
    defaultLocale,
    languages,
    channels,
    texts,
    embedOrigins: str(body.embedOrigins).slice(0, 5000),
    cardBackground: (str(body.cardBackground).trim() || str(body.cardBackgroundPicker).trim()).slice(0, 40) || CARD_PALETTE.background,
    cardAccent: (str(body.cardAccent).trim() || str(body.cardAccentPicker).trim()).slice(0, 40) || CARD_PALETTE.bar,
    showPublicPosts: str(body.showPublicPosts) === 'on'
  }
}

/** The editor's form for an existing campaign (or an empty one for a new campaign in the given languages, the preferred one by default). */
export function formFromRecord (c: CampaignRecord | null, newLanguages: readonly string[], preferredLocale?: string): CampaignForm {
  const tz = c?.timeZone ?? DEFAULT_TIME_ZONE
  const defaultLocale = c?.defaultLocale ?? (preferredLocale && newLanguages.includes(preferredLocale) ? preferredLocale : newLanguages[0] ?? 'fr')
  const languages = c ? campaignLanguages(c.languages, c.defaultLocale, Object.keys(c.texts)) : [defaultLocale, ...newLanguages.filter((l) => l !== defaultLocale)]
  const texts: CampaignForm['texts'] = {}
  for (const locale of languages) {
    const t = c?.texts[locale]
    texts[locale] = { title: t?.title ?? '', pitch: t?.pitch ?? '', callToAction: t?.callToAction ?? '', shareText: t?.shareText ?? '', shareCall: t?.shareCall ?? '', hashtags: (t?.hashtags ?? []).map((h) => `#${h}`).join(' '), summary: t?.summary ?? '' }
  }
  return {
    slug: c?.slug ?? '',
    goal: String(c?.goal ?? 1000),
    sendLimit: c?.actionRateLimit ? String(c.actionRateLimit) : '',
    timeZone: tz,
    opensAt: c?.opensAt ? toLocalDateTime(c.opensAt, tz) : '',
    closesAt: c?.closesAt ? toLocalDateTime(c.closesAt, tz) : '',
    defaultLocale,
    languages: languages.join(' '),
    channels: c?.channels ?? [...CHANNEL_ORDER],
    texts,
    embedOrigins: embedOriginsText(c?.embedOrigins ?? []),
    cardBackground: c?.cardBackground ?? CARD_PALETTE.background,
    cardAccent: c?.cardAccent ?? CARD_PALETTE.bar,
    showPublicPosts: c?.showPublicPosts ?? false
  }
}

/**
 * Checks a form against the rules (the slug's uniqueness aside, which needs the database) for a campaign in a
 * status; `before` is the campaign's current window, so an unchanged time that has just passed is not an error.
 */
export function checkForm (form: CampaignForm, status: CampaignStatus, now: Date, before?: { opensAt: Date | null, closesAt: Date | null }): { ok: true, input: CampaignInput } | { ok: false, errors: FieldErrors } {
  const errors: FieldErrors = {}
  const slugError = slugProblem(form.slug)
  if (slugError) errors.slug = { key: slugError, vars: { min: SLUG_MIN, max: SLUG_MAX } }

  const goal = parseGoal(form.goal)
  if (goal === null) errors.goal = { key: 'goal' }
  const sendLimit = parseSendLimit(form.sendLimit)
  if (!sendLimit.ok) errors.sendLimit = { key: 'sendLimit' }

  const parsed = parseLanguageList(form.languages)
  const defaultLocale = canonicalLanguage(form.defaultLocale) ?? ''
  if (!parsed.ok) {
    errors.languages = parsed.error === 'languageTag' ? { key: 'languageTag', vars: { tag: parsed.tag } } : { key: 'languageCount', vars: { count: parsed.count, max: LANGUAGES_MAX } }
  } else if (!defaultLocale || !parsed.tags.includes(defaultLocale)) {
    errors.defaultLocale = { key: 'defaultLocale' }
  }
  const locales = parsed.ok ? parsed.tags : formLanguages(form)
  const embed = parseEmbedOrigins(form.embedOrigins)
  if (!embed.ok) errors.embedOrigins = { key: embed.error, vars: embed.vars }

  const colours = checkCardColours(form.cardBackground, form.cardAccent)
  if (!colours.ok) {
    errors[colours.field === 'background' ? 'cardBackground' : 'cardAccent'] = colours.reason === 'contrast'
      ? { key: 'cardContrast', vars: { ratio: colours.ratio.toFixed(2), min: CARD_MIN_CONTRAST } }
      : { key: 'cardColour' }
  }

  const channels = CHANNEL_ORDER.filter((c) => form.channels.includes(c))
  if (channels.length === 0 || form.channels.some((c) => !CHANNEL_ORDER.includes(c as Channel))) errors.channels = { key: 'channels' }

  const tzOk = isTimeZone(form.timeZone)
  if (!tzOk) errors.timeZone = { key: 'timeZone' }
  const time = (field: 'opensAt' | 'closesAt'): Date | null => {
    if (!form[field] || !tzOk) return null
    const d = parseLocalDateTime(form[field], form.timeZone)
    if (!d) errors[field] = { key: 'dateTime' }
    return d
  }
  const opensAt = time('opensAt')
  const closesAt = time('closesAt')
  if (!errors.opensAt && !errors.closesAt && tzOk) {
    const problem = windowProblem(status, { opensAt, closesAt }, now, before)
    if (problem) errors[['opensRequired', 'opensInPast', 'opensAfterLive'].includes(problem) ? 'opensAt' : 'closesAt'] = { key: problem }
  }

  const texts: CampaignInput['texts'] = {}
  for (const locale of locales) {
    const t = form.texts[locale]
    if (!t) continue
    const filled = TEXT_FIELDS.some((f) => t[f].trim() !== '')
    for (const f of TEXT_FIELDS) {
      if (t[f].length > TEXT_LIMITS[f]) errors[`${f}_${locale}`] = { key: 'tooLong', vars: { max: TEXT_LIMITS[f], count: t[f].length } }
    }
    const tags = parseHashtags(t.hashtags)
    if (!tags.ok) errors[`hashtags_${locale}`] = { key: tags.error, vars: tags.vars }
    if (!t.title.trim()) {
      if (locale === defaultLocale) errors[`title_${locale}`] = { key: 'titleRequired' }
      else if (filled) errors[`title_${locale}`] = { key: 'titleForLocale' }
      continue
    }
    texts[locale] = {
      title: t.title.trim(),
      pitch: t.pitch.trim(),
      callToAction: t.callToAction.trim(),
      shareText: t.shareText.trim(),
      shareCall: t.shareCall.trim(),
      hashtags: tags.ok ? tags.tags : [],
      summary: t.summary.replace(/\s+/g, ' ').trim()
    }
  }

  if (Object.keys(errors).length > 0) return { ok: false, errors }
  return { ok: true, input: { slug: form.slug, goal: goal!, sendLimit: sendLimit.ok ? sendLimit.value : null, timeZone: form.timeZone, opensAt, closesAt, defaultLocale, languages: locales, channels, texts, embedOrigins: embed.ok ? embed.origins : [], cardBackground: colours.ok ? colours.background : '', cardAccent: colours.ok ? colours.accent : '', showPublicPosts: form.showPublicPosts } }
}

export type CampaignAdminService = ReturnType<typeof createCampaignAdminService>

/**
 * Creates, edits and moves campaigns through their lifecycle. Every change commits with its audit record, then
 * tells every web instance (announceCampaign) and plans the delayed jobs that open and close the campaign on time.
 * PostgreSQL holds the state: the jobs only say "look again at this time".
 */
export function createCampaignAdminService ({ db, audit, queues, log, announceCampaign, publishProgress, now = () => new Date() }: {
  db: Db
  /** the progress document changed shape (public posts shown or hidden): publish it again */
  publishProgress?: (campaignId: string) => Promise<unknown>
  audit: Pick<AuditService, 'record'>
  queues: Queues
  log: { warn: (msg: string) => void }
  announceCampaign: (slug: string, previousSlug?: string) => Promise<void>
  now?: () => Date
}) {
  async function load (id: string, tx: Pick<Db, 'select'> = db, lock = false): Promise<CampaignRecord | null> {
    if (!UUID_RE.test(id)) return null
    const q = tx.select().from(campaigns).where(eq(campaigns.id, id))
    const [row] = lock ? await q.for('update') : await q
    if (!row) return null
    const texts = await tx.select().from(campaignTexts).where(eq(campaignTexts.campaignId, id))
    return { ...row, texts: Object.fromEntries(texts.map(({ campaignId: _c, locale, ...t }) => [locale, t])) }
  }

  async function slugTaken (slug: string, exceptId: string | null, tx: Pick<Db, 'select'>): Promise<boolean> {
    const rows = await tx.select({ id: campaigns.id }).from(campaigns).where(eq(campaigns.slug, slug))
    return rows.some((r) => r.id !== exceptId)
  }

  // The announcement and the jobs follow the commit; neither may undo it, and both heal by themselves (catalog TTL, reconcile).
  async function after (c: { slug: string }, previousSlug?: string): Promise<void> {
    await announceCampaign(c.slug, previousSlug).catch((err: Error) => log.warn(`campaign change not announced: ${err.message}`))
  }

  async function reschedule (before: { id: string, status: CampaignStatus, opensAt: Date | null, closesAt: Date | null } | null, current: { id: string, status: CampaignStatus, opensAt: Date | null, closesAt: Date | null }): Promise<void> {
    const t = now()
    const wanted = upcomingTransitions(current, t)
    const key = (x: { to: string, at: Date }) => `${x.to}@${x.at.getTime()}`
    const keep = new Set(wanted.map(key))
    try {
      if (before) for (const old of upcomingTransitions(before, new Date(0))) if (!keep.has(key(old))) await unscheduleTransition(queues, before.id, old.to, old.at)
      for (const next of wanted) await scheduleTransition(queues, current.id, next.to, next.at, t.getTime())
    } catch (err) {
      log.warn(`lifecycle jobs not updated (the worker's reconcile will): ${(err as Error).message}`)
    }
  }

  const isUniqueViolation = (err: unknown) => (err as { code?: string, cause?: { code?: string } }).code === '23505' || (err as { cause?: { code?: string } }).cause?.code === '23505'

  function snapshot (c: Omit<CampaignRecord, 'createdAt' | 'updatedAt'> | (CampaignInput & { status: CampaignStatus })) {
    return { slug: c.slug, status: c.status, goal: c.goal, sendLimit: 'sendLimit' in c ? c.sendLimit : c.actionRateLimit, defaultLocale: c.defaultLocale, languages: 'sendLimit' in c ? c.languages : campaignLanguages(c.languages, c.defaultLocale, Object.keys(c.texts)), channels: c.channels, timeZone: c.timeZone, opensAt: c.opensAt, closesAt: c.closesAt, embedOrigins: c.embedOrigins, cardBackground: c.cardBackground, cardAccent: c.cardAccent, showPublicPosts: c.showPublicPosts, texts: c.texts }
  }

  async function writeTexts (tx: Pick<Db, 'insert' | 'delete'>, id: string, texts: CampaignInput['texts']): Promise<void> {
    await tx.delete(campaignTexts).where(eq(campaignTexts.campaignId, id))
    const rows = Object.entries(texts).map(([locale, t]) => ({ campaignId: id, locale, ...t }))
    if (rows.length > 0) await tx.insert(campaignTexts).values(rows)
  }

  /** Applies every change the clock calls for to one campaign, as the system; returns what changed. */
  async function applyDue (id: string): Promise<Array<{ to: 'live' | 'closed' }>> {
    const t = now()
    const applied: Array<{ to: 'live' | 'closed', from: CampaignStatus }> = []
    const slug = await db.transaction(async (tx) => {
      const c = await load(id, tx, true)
      if (!c) return null
      let status = c.status
      for (let due = dueTransition(c, t); due; due = dueTransition({ ...c, status }, t)) {
        await tx.update(campaigns).set({ status: due.to, updatedAt: t }).where(eq(campaigns.id, id))
        await audit.record(null, { action: 'status', entity: 'campaign', entityId: id, campaignId: id, before: { status, at: due.at }, after: { status: due.to, automatic: true } }, tx)
        applied.push({ to: due.to, from: status })
        status = due.to
      }
      return c.slug
    })
    if (slug && applied.length > 0) await after({ slug })
    return applied
  }

  /** What each of a campaign's languages still lacks before it may open. */
  async function missingOf (c: CampaignRecord, tx: Pick<Db, 'select'> = db): Promise<MissingByLanguage> {
    const rows = await tx.select({ locale: messages.locale }).from(messages).where(and(eq(messages.campaignId, c.id), eq(messages.active, true)))
    return missingByLanguage(campaignLanguages(c.languages, c.defaultLocale, Object.keys(c.texts)), c.texts, rows.map((r) => r.locale))
  }

  return {
    load: (id: string) => load(id),

    missing: (c: CampaignRecord) => missingOf(c),

    /** Every campaign with its default-locale title, newest first. */
    async list () {
      const rows = await db.select().from(campaigns).orderBy(sql`${campaigns.createdAt} DESC`, asc(campaigns.slug))
      if (rows.length === 0) return []
      const texts = await db.select({ campaignId: campaignTexts.campaignId, locale: campaignTexts.locale, title: campaignTexts.title })
        .from(campaignTexts).where(inArray(campaignTexts.campaignId, rows.map((r) => r.id)))
      return rows.map((r) => {
        const own = texts.filter((t) => t.campaignId === r.id)
        return { ...r, title: (own.find((t) => t.locale === r.defaultLocale) ?? own[0])?.title ?? r.slug }
      })
    },

    /** Creates a draft campaign. */
    async create (user: Actor, form: CampaignForm): Promise<{ ok: true, id: string } | { ok: false, errors: FieldErrors }> {
      const checked = checkForm(form, 'draft', now())
      if (!checked.ok) return checked
      const input = checked.input
      try {
        const id = await db.transaction(async (tx) => {
          if (await slugTaken(input.slug, null, tx)) return null
          const [row] = await tx.insert(campaigns).values({
            slug: input.slug, status: 'draft', goal: input.goal, actionRateLimit: input.sendLimit, defaultLocale: input.defaultLocale, languages: input.languages, channels: input.channels, timeZone: input.timeZone, opensAt: input.opensAt, closesAt: input.closesAt, embedOrigins: input.embedOrigins, cardBackground: input.cardBackground, cardAccent: input.cardAccent, showPublicPosts: input.showPublicPosts
          }).returning({ id: campaigns.id })
          await writeTexts(tx, row!.id, input.texts)
          await audit.record(user, { action: 'create', entity: 'campaign', entityId: row!.id, campaignId: row!.id, after: snapshot({ ...input, status: 'draft' }) }, tx)
          return row!.id
        })
        if (!id) return { ok: false, errors: { slug: { key: 'slugTaken', vars: { slug: input.slug } } } }
        await after(input)
        return { ok: true, id }
      } catch (err) {
        if (isUniqueViolation(err)) return { ok: false, errors: { slug: { key: 'slugTaken', vars: { slug: input.slug } } } }
        throw err
      }
    },

    /** Edits a campaign's settings and texts; a moved opening or closing time moves its job. */
    async update (user: Actor, id: string, form: CampaignForm): Promise<{ ok: true } | { ok: false, errors: FieldErrors } | { ok: false, notFound: true }> {
      try {
        const result = await db.transaction(async (tx) => {
          const before = await load(id, tx, true)
          if (!before) return { ok: false as const, notFound: true as const }
          const checked = checkForm(form, before.status, now(), before)
          if (!checked.ok) return checked
          const input = checked.input
          if (await slugTaken(input.slug, id, tx)) return { ok: false as const, errors: { slug: { key: 'slugTaken', vars: { slug: input.slug } } } }
          await tx.update(campaigns).set({
            slug: input.slug, goal: input.goal, actionRateLimit: input.sendLimit, defaultLocale: input.defaultLocale, languages: input.languages, channels: input.channels, timeZone: input.timeZone, opensAt: input.opensAt, closesAt: input.closesAt, embedOrigins: input.embedOrigins, cardBackground: input.cardBackground, cardAccent: input.cardAccent, showPublicPosts: input.showPublicPosts, updatedAt: now()
          }).where(eq(campaigns.id, id))
          await writeTexts(tx, id, input.texts)
          await audit.record(user, { action: 'update', entity: 'campaign', entityId: id, campaignId: id, before: snapshot(before), after: snapshot({ ...input, status: before.status }) }, tx)
          return { ok: true as const, before, current: { id, status: before.status, opensAt: input.opensAt, closesAt: input.closesAt, slug: input.slug } }
        })
        if (!result.ok) return result
        await after(result.current, result.before.slug !== result.current.slug ? result.before.slug : undefined)
        await reschedule(result.before, result.current)
        if (publishProgress && result.before.showPublicPosts !== form.showPublicPosts) {
          await publishProgress(id).catch((err: Error) => log.warn(`progress not published: ${err.message}`))
        }
        return { ok: true }
      } catch (err) {
        if (isUniqueViolation(err)) return { ok: false, errors: { slug: { key: 'slugTaken', vars: { slug: form.slug } } } }
        throw err
      }
    },

    /**
     * Moves a campaign to another status at a campaigner's request. Opening now sets an opening time still ahead
     * (or missing) to now; closing now does the same for the closing time, so the window tells what happened.
     */
    async transition (user: Actor, id: string, to: string): Promise<{ ok: true, status: CampaignStatus } | { ok: false, error: FieldError } | { ok: false, notFound: true }> {
      const valid = ['draft', 'scheduled', 'live', 'paused', 'closed'].includes(to)
      const result = await db.transaction(async (tx) => {
        const before = await load(id, tx, true)
        if (!before) return { ok: false as const, notFound: true as const }
        if (!valid) return { ok: false as const, error: { key: 'statusUnknown' } }
        const target = to as CampaignStatus
        const t = now()
        const problem = transitionProblem(before.status, target, before, t)
        if (problem) return { ok: false as const, error: { key: problem } }
        // Opening (now or at a time) with a language half-written would show supporters a page in two languages.
        if (target === 'scheduled' || target === 'live') {
          const missing = await missingOf(before, tx)
          if (Object.keys(missing).length > 0) return { ok: false as const, error: { key: 'languagesIncomplete', missing } }
        }
        // Resuming a paused campaign is not an opening: its opening time stays what it was.
        const opensAt = target === 'live' && before.status !== 'paused' && (!before.opensAt || before.opensAt > t) ? t : before.opensAt
        const closesAt = target === 'closed' && (!before.closesAt || before.closesAt > t) ? t : before.closesAt
        await tx.update(campaigns).set({ status: target, opensAt, closesAt, updatedAt: t })
          .where(and(eq(campaigns.id, id), eq(campaigns.status, before.status)))
        await audit.record(user, {
          action: 'status',
          entity: 'campaign',
          entityId: id,
          campaignId: id,
          before: { status: before.status, opensAt: before.opensAt, closesAt: before.closesAt },
          after: { status: target, opensAt, closesAt }
        }, tx)
        return { ok: true as const, before, current: { id, slug: before.slug, status: target, opensAt, closesAt } }
      })
      if (!result.ok) return result
      await after(result.current)
      await reschedule(result.before, result.current)
      return { ok: true, status: result.current.status }
    },

    applyDue,

    /**
     * What makes timed changes survive anything: applies every change whose time has passed (a job lost with
     * Redis, a worker that was down) and (re)creates the delayed jobs of the changes still ahead.
     */
    async reconcileSchedules (): Promise<{ applied: number, scheduled: number }> {
      const t = now()
      const rows = await db.select({ id: campaigns.id, status: campaigns.status, opensAt: campaigns.opensAt, closesAt: campaigns.closesAt }).from(campaigns)
        .where(and(inArray(campaigns.status, ['scheduled', 'live', 'paused']), or(isNotNull(campaigns.opensAt), isNotNull(campaigns.closesAt))))
      let applied = 0
      let scheduled = 0
      for (const row of rows) {
        let current = row
        if (dueTransition(row, t)) {
          const changes = await applyDue(row.id)
          applied += changes.length
          const last = changes[changes.length - 1]
          if (last) current = { ...row, status: last.to }
        }
        for (const next of upcomingTransitions(current, t)) {
          await scheduleTransition(queues, row.id, next.to, next.at, t.getTime())
          scheduled++
        }
      }
      return { applied, scheduled }
    }
  }
}

/** The service over the shared dependency graph (web routes and the worker build it the same way). */
export function campaignAdminFrom (deps: { db: Db, audit: Pick<AuditService, 'record'>, queues: Queues, log: { warn: (msg: string) => void }, announceCampaign: (slug: string, previousSlug?: string) => Promise<void>, progressService?: { publish: (id: string) => Promise<unknown> } }): CampaignAdminService {
  return createCampaignAdminService({ db: deps.db, audit: deps.audit, queues: deps.queues, log: deps.log, announceCampaign: deps.announceCampaign, publishProgress: deps.progressService?.publish })
}
