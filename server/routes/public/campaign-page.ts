import type { Channel } from '../../db/schema.ts'
import { percentOf } from '../../domain/goals.ts'
import { LIMITS, renderMessage } from '../../domain/messages.ts'
import { bottleText } from '../../domain/bottle-text.ts'
import { variantChannels } from '../../domain/variant-channels.ts'
import type { Progress } from '../../domain/progress.ts'
import { countryName, type Translator } from '../../i18n.ts'
import type { CampaignData, CampaignTextData, MessageData, TargetData } from '../../repos/campaign-repo.ts'
import type { PartnerLogo } from '../../repos/partner-repo.ts'
import type { CampaignPageView, CampaignPhase, CampaignView, PageBase, ProgressView, TargetView } from './view-models.ts'

export interface PageQuery { country?: string, target?: string, message?: string, ref?: string, from?: string }
export interface FormEcho {
  target?: string
  message?: string
  text?: string
  instance?: string
  channel?: string
  ref?: string
  from?: string
  key?: string
  signatureName?: string
  signatureTown?: string
  publishConsent?: boolean
  bottleCopy?: boolean
}

const dateFormats = new Map<string, Intl.DateTimeFormat>()
/** A moment in words, in a language, on the clocks of the campaign's zone: "lundi 3 mars 2025 à 09:00 UTC+1". */
export function formatMoment (date: Date, locale: string, timeZone: string): string {
  const key = `${locale}|${timeZone}`
  let f = dateFormats.get(key)
  if (!f) {
    f = new Intl.DateTimeFormat(locale, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', hour: 'numeric', minute: '2-digit', timeZone, timeZoneName: 'short' })
    dateFormats.set(key, f)
  }
  return f.format(date)
}

const dayFormats = new Map<string, Intl.DateTimeFormat>()
/** A day in words on the clocks of the campaign's zone: "10 décembre 2026". */
export function formatDay (date: Date, locale: string, timeZone: string): string {
  const key = `${locale}|${timeZone}`
  let f = dayFormats.get(key)
  if (!f) {
    f = new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'long', year: 'numeric', timeZone })
    dayFormats.set(key, f)
  }
  return f.format(date)
}

/** What a campaign page offers now, from the campaign's status and time window (see ActionService.closedReason). */
export function phaseOf (closedReason: string | null): CampaignPhase {
  if (closedReason === null) return 'open'
  if (closedReason === 'draft') return 'preview'
  return closedReason === 'scheduled' || closedReason === 'paused' ? closedReason : 'closed'
}

/** "Amina Diallo-Keita" → "AD". */
export function initials (name: string): string {
  const words = name.split(/[\s-]+/).filter((w) => /\p{L}/u.test(w))
  const first = words[0]?.[0] ?? '?'
  const last = words.length > 1 ? words[words.length - 1]![0]! : ''
  return (first + last).toUpperCase()
}

/** The campaign's texts in a locale, falling back to its default locale. */
export function textsFor (c: CampaignData, locale: string): CampaignTextData {
  return c.texts[locale] ?? c.texts[c.defaultLocale] ?? Object.values(c.texts)[0] ?? { title: c.slug, pitch: '', callToAction: '', shareText: '', shareCall: '', hashtags: [] }
}

export function campaignView (c: CampaignData, locale: string, link: string): CampaignView {
  const texts = textsFor(c, locale)
  return { slug: c.slug, status: c.status, title: texts.title, pitch: texts.pitch, callToAction: texts.callToAction, shareText: texts.shareText, shareCall: texts.shareCall, hashtags: texts.hashtags, link, channels: c.channels }
}

export function progressView (p: Progress | undefined, c: CampaignData): ProgressView {
  const total = p?.total ?? 0
  const goal = p?.goal ?? c.goal
  return { total, goal, percent: percentOf(total, goal), ...(p?.publicPosts === undefined ? {} : { publicPosts: p.publicPosts }) }
}

export interface PageSelection {
  country: string
  /** targets shown (after the country filter), in display order */
  shown: TargetData[]
  filtered: boolean
  suggestedId: string | undefined
  target: TargetData | undefined
  /** message variants of the page's language */
  variants: MessageData[]
  /** the variant shown selected */
  messageId: string
  /** the variants views take turns with (the supporter's own choice alone, when they made one) */
  rotation: string[]
}

/**
 * What a page view shows selected: the country filter, the least-contacted target (the suggestion) unless the
 * supporter chose one, and the message variants views take turns with so identical posts do not pile up (the first is selected; the page
 * cache moves the selection along the rotation from view to view).
 */
export function selectForPage (c: CampaignData, progress: Progress | undefined, locale: string, query: PageQuery, echo?: FormEcho): PageSelection {
  const counts = new Map((progress?.targets ?? []).map((t) => [t.id, t.count]))
  const country = typeof query.country === 'string' ? query.country.toUpperCase() : ''
  const visible = c.targets.filter((t) => !country || t.country === country)
  const shown = visible.length > 0 ? visible : c.targets

  // Least contacted first; ties go to the earliest in the list, so the suggestion is stable between views.
  let suggested = shown[0]
  for (const t of shown) if ((counts.get(t.id) ?? 0) < (counts.get(suggested!.id) ?? 0)) suggested = t

  const wanted = echo?.target ?? query.target
  const target = shown.find((t) => t.id === wanted) ?? suggested
  // A variant written for channels the campaign does not use (any more) cannot be sent: it is not offered.
  const offered = c.messages.filter((m) => variantChannels(m, c.channels).length > 0)
  let variants = offered.filter((m) => m.locale === locale)
  if (variants.length === 0) variants = offered.filter((m) => m.locale === c.defaultLocale)
  const forSelected = variants.filter((m) => m.targetId === null || m.targetId === target?.id)
  const wantedMessage = echo?.message ?? query.message
  const wantedOne = forSelected.find((m) => m.id === wantedMessage)
  const rotation = wantedOne ? [wantedOne.id] : forSelected.map((m) => m.id)
  return { country: visible.length > 0 ? country : '', shown, filtered: visible.length > 0 && Boolean(country), suggestedId: suggested?.id, target, variants, messageId: rotation[0] ?? '', rotation }
}

/** Builds the campaign page's view model for a selection. */
export function buildCampaignPage (args: {
  base: PageBase
  tr: Translator
  campaign: CampaignData
  progress: Progress | undefined
  link: string
  selection: PageSelection
  key: string
  ref: string
  from?: string
  partner?: { name: string, line: string, logo: PartnerLogo | null } | null
  board?: Array<{ name: string, logo: PartnerLogo | null, count: number, rank: number }>
  echo?: FormEcho
  error?: string | null
  phase?: CampaignPhase
  /** the widget's compact form: where a send moves the frame (the channel is appended) */
  embedThanks?: string | undefined
  /** the no-JS question of a campaign whose challenge is on (or the cache's marks for it) */
  challenge?: { text: string, token: string } | null
}): CampaignPageView {
  const { base, tr, campaign: c, progress, link, selection, echo } = args
  const phase = args.phase ?? 'open'
  const locale = tr.locale
  const counts = new Map((progress?.targets ?? []).map((t) => [t.id, t.count]))
  const countries = [...new Set(c.targets.map((t) => t.country).filter(Boolean))]
    .map((code) => ({ code, name: countryName(locale, code) }))
    .sort((a, b) => a.name.localeCompare(b.name, locale))
  const selectedTarget = selection.target
  const targets: TargetView[] = selection.shown.map((t) => ({
    id: t.id,
    name: t.name,
    role: t.role[locale] ?? t.role[c.defaultLocale] ?? Object.values(t.role)[0] ?? '',
    organisation: t.organisation,
    country: t.country,
    countryName: countryName(locale, t.country),
    initials: initials(t.name),
    photoUrl: t.photoUrl,
    handles: t.handles,
    hasEmail: Boolean(t.email),
    groups: t.groups,
    count: counts.get(t.id) ?? 0,
    suggested: t.id === selection.suggestedId
  }))

  const texts = textsFor(c, locale)
  const variants = selection.variants
  const listFormat = new Intl.ListFormat(locale, { type: 'conjunction' })
  const messages = variants.map((m) => ({
    id: m.id,
    body: m.body,
    targetId: m.targetId,
    // Only for a variant written for some channels: the page says which, and offers it on those only.
    channels: m.channels.length ? variantChannels(m, c.channels) : null,
    channelsLabel: m.channels.length ? listFormat.format(variantChannels(m, c.channels).map((ch) => tr.t(`networks.${ch}`))) : null,
    // As the bottle keeps it (no link, names for handles): what the page's script shows too.
    preview: selectedTarget ? bottleText(renderMessage(m.body, 'bottle', selectedTarget, texts.hashtags, link), selectedTarget, link) : m.body
  }))

  const p = progressView(progress, c)
  const clientData = {
    slug: c.slug,
    locale,
    link,
    hashtags: texts.hashtags,
    channels: c.channels,
    limits: LIMITS,
    // Targets and messages are read from the page itself (their cards carry handles and templates). When the no-JS
    // filter left some targets out, choosing another country asks the server again.
    ...(selection.shown.length < c.targets.length ? { onlyCountry: selection.country } : {}),
    total: p.total,
    goal: p.goal,
    // A draft's preview has no public progress stream to follow.
    live: phase !== 'preview',
    ...(args.embedThanks ? { thanks: args.embedThanks } : {})
  }

  const opensAt = phase === 'scheduled' ? c.opensAt : null
  return {
    ...base,
    phase,
    opens: opensAt ? { iso: opensAt.toISOString(), text: formatMoment(opensAt, locale, c.timeZone) } : null,
    delivered: c.delivered ? { iso: c.delivered.at.toISOString(), text: tr.t('delivery.notice.deliveredTo', { date: formatDay(c.delivered.at, locale, c.timeZone), count: c.delivered.targets }) } : null,
    results: c.targets.map((t) => ({ id: t.id, name: t.name, count: counts.get(t.id) ?? 0 })).sort((a, b) => b.count - a.count),
    campaign: campaignView(c, locale, link),
    progress: p,
    targets,
    countries,
    selectedCountry: selection.country,
    selectedTargetId: selectedTarget?.id ?? '',
    messages,
    selectedMessageId: selection.messageId,
    key: args.key,
    ref: args.ref,
    from: args.from ?? '',
    partner: args.partner ?? null,
    board: args.board ?? [],
    form: {
      text: echo?.text ?? '',
      instance: echo?.instance ?? '',
      channel: (echo?.channel ?? '') as Channel | '',
      signatureName: echo?.signatureName ?? '',
      signatureTown: echo?.signatureTown ?? '',
      publishConsent: echo?.publishConsent ?? false,
      bottleCopy: echo?.bottleCopy ?? false
    },
    error: args.error ?? null,
    limits: LIMITS,
    clientData: JSON.stringify(clientData),
    embed: Boolean(args.embedThanks),
    challenge: args.challenge ? { question: args.challenge.text, token: args.challenge.token } : null
  }
}

/** A referral code as it may be echoed into a page, or ''. */
export function sanitizeRef (ref: unknown): string {
  return typeof ref === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(ref) ? ref : ''
}
