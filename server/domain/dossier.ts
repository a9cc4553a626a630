import type { Channel } from '../db/schema.ts'
import type { Translator } from '../i18n.ts'

/**
 * At most this many messages go into one target's dossier (featured first, then newest): about forty printed
 * pages, what a decision-maker's office can still leaf through. The cover says how many more were approved.
 */
export const DOSSIER_MESSAGE_CAP = 400

export const DOSSIER_CHANNELS: readonly Channel[] = ['x', 'bluesky', 'mastodon', 'threads', 'email', 'bottle']

/** What a dossier is built from: read at delivery time from PostgreSQL. */
export interface DossierData {
  campaign: { slug: string, title: string, pitch: string, hashtags: string[], link: string, timeZone: string }
  target: { name: string, role: string, organisation: string, country: string }
  /** actions addressed to this target, per channel (every channel present, 0 when none) */
  counts: Record<Channel, number>
  /** approved messages to this target, in dossier order, at most DOSSIER_MESSAGE_CAP */
  messages: Array<{ text: string, locale: string, signatureName: string | null, signatureTown: string | null, publishConsent: boolean, featured: boolean, createdAt: Date }>
  /** every approved message to this target (may exceed messages.length) */
  approvedTotal: number
  /** when the dossier was built */
  at: Date
  /** Listening: public posts on Bluesky and Mastodon addressed to this target, and the ones the team selected to quote */
  publicPosts?: { count: number, quotes: Array<{ network: 'bluesky' | 'mastodon', text: string, authorHandle: string, url: string, postedAt: Date }> }
}

/** The dossier as its two renderings (HTML and PDF) show it: every text already in the dossier's language. */
export interface DossierView {
  locale: string
  /** the writing direction of the dossier's language */
  dir: 'ltr' | 'rtl'
  title: string
  hashtags: string
  pitch: string
  link: string
  target: { name: string, details: string }
  date: string
  total: number
  totalText: string
  channels: Array<{ channel: Channel, label: string, count: number, countText: string }>
  /** the messages, grouped by the language they were written in (the target's own first, then the largest groups) */
  groups: Array<{ language: string, name: string, heading: string, count: number, messages: Array<{ text: string, signature: string | null, featured: boolean, date: string }> }>
  /** how many messages the dossier prints */
  messageCount: number
  moreText: string | null
  /** "N public posts addressed to you on Bluesky and Mastodon", or null when there is none */
  publicPostsText: string | null
  quotes: Array<{ text: string, source: string, url: string }>
  t: {
    kicker: string
    for: string
    countsHeading: string
    channel: string
    actions: string
    messagesHeading: string
    messagesIntro: string
    none: string
    featured: string
    footer: string
    /** "Page {page} of {pages}" with the placeholders left in */
    page: string
    quotesHeading: string
  }
}

const dateFormats = new Map<string, Intl.DateTimeFormat>()
function formatDate (date: Date, locale: string, timeZone: string, withTime: boolean): string {
  const key = `${locale}|${timeZone}|${withTime}`
  let f = dateFormats.get(key)
  if (!f) {
    f = new Intl.DateTimeFormat(locale, withTime ? { dateStyle: 'long', timeStyle: 'short', timeZone } : { dateStyle: 'long', timeZone })
    dateFormats.set(key, f)
  }
  return f.format(date)
}

const numberFormats = new Map<string, Intl.NumberFormat>()
function formatNumber (n: number, locale: string): string {
  let f = numberFormats.get(locale)
  if (!f) {
    f = new Intl.NumberFormat(locale)
    numberFormats.set(locale, f)
  }
  return f.format(n)
}

/** A signature as printed: only with the supporter's consent to publish it, else null. */
export function signatureOf (m: Pick<DossierData['messages'][number], 'signatureName' | 'signatureTown' | 'publishConsent'>): string | null {
  if (!m.publishConsent) return null
  const parts = [m.signatureName?.trim(), m.signatureTown?.trim()].filter((p): p is string => Boolean(p))
  return parts.length > 0 ? parts.join(', ') : null
}

/** Builds the dossier's view in the target's language (words from tr, its catalog or English; numbers, dates and names by Intl in the language); messages keep theirs. */
export function dossierView (data: DossierData, tr: Translator, language = tr.locale): DossierView {
  const total = DOSSIER_CHANNELS.reduce((sum, ch) => sum + (data.counts[ch] ?? 0), 0)
  const more = data.approvedTotal - data.messages.length
  const tz = data.campaign.timeZone
  const reader = language
  return {
    locale: language,
    dir: textDirection(language),
    title: data.campaign.title,
    hashtags: data.campaign.hashtags.map((h) => `#${h}`).join(' '),
    pitch: data.campaign.pitch,
    link: data.campaign.link,
    target: { name: data.target.name, details: [data.target.role, data.target.organisation, data.target.country].filter(Boolean).join(' · ') },
    date: formatDate(data.at, language, tz, false),
    total,
    totalText: tr.t('delivery.dossier.total', { count: total }),
    channels: DOSSIER_CHANNELS.map((channel) => ({ channel, label: tr.t(`delivery.channels.${channel}`), count: data.counts[channel] ?? 0, countText: formatNumber(data.counts[channel] ?? 0, language) })),
    groups: groupByLanguage(data.messages, language).map(({ language: tag, messages }) => {
      const name = languageName(reader, tag).replace(/^\p{Ll}/u, (c) => c.toLocaleUpperCase(reader))
      return {
        language: tag,
        name,
        count: messages.length,
        heading: tr.t('delivery.dossier.languageHeading', { language: name, count: messages.length }),
        messages: messages.map((m) => ({ text: m.text, signature: signatureOf(m), featured: m.featured, date: formatDate(m.createdAt, language, tz, false) }))
      }
    }),
    messageCount: data.messages.length,
    moreText: more > 0 ? tr.t('delivery.dossier.more', { count: more, shown: data.messages.length }) : null,
    publicPostsText: data.publicPosts?.count ? tr.t('delivery.dossier.publicPosts', { count: data.publicPosts.count }) : null,
    quotes: (data.publicPosts?.quotes ?? []).map((q) => ({
      text: q.text,
      source: tr.t('delivery.dossier.quoteSource', { handle: q.authorHandle, network: tr.t(`delivery.channels.${q.network}`), date: formatDate(q.postedAt, tr.locale, tz, false) }),
      url: q.url
    })),
    t: {
      kicker: tr.t('delivery.dossier.kicker'),
      for: tr.t('delivery.dossier.for', { name: data.target.name }),
      countsHeading: tr.t('delivery.dossier.countsHeading'),
      channel: tr.t('delivery.dossier.channel'),
      actions: tr.t('delivery.dossier.actions'),
      messagesHeading: tr.t('delivery.dossier.messagesHeading', { count: data.messages.length }),
      messagesIntro: tr.t('delivery.dossier.messagesIntro'),
      none: tr.t('delivery.dossier.none'),
      featured: tr.t('delivery.dossier.featured'),
      footer: tr.t('delivery.dossier.footer', { link: data.campaign.link }),
      page: tr.t('delivery.dossier.page'),
      quotesHeading: tr.t('delivery.dossier.quotesHeading')
    }
  }
}

/** Messages grouped by their language, each group in dossier order: the reader's language first, then the largest groups, then by tag. */
export function groupByLanguage<M extends { locale: string }> (messages: readonly M[], reader: string): Array<{ language: string, messages: M[] }> {
  const groups = new Map<string, M[]>()
  for (const m of messages) {
    let tag = m.locale
    try { tag = Intl.getCanonicalLocales(m.locale)[0] ?? m.locale } catch {}
    const list = groups.get(tag)
    if (list) list.push(m)
    else groups.set(tag, [m])
  }
  const readerBase = reader.toLowerCase().split('-')[0]
  const own = (tag: string): number => (tag.toLowerCase() === reader.toLowerCase() ? 0 : tag.toLowerCase().split('-')[0] === readerBase ? 1 : 2)
  return [...groups].map(([language, list]) => ({ language, messages: list }))
    .sort((a, b) => own(a.language) - own(b.language) || b.messages.length - a.messages.length || a.language.localeCompare(b.language))
}

const languageNames = new Map<string, Intl.DisplayNames>()
/** A language's name in the reader's language ('ar' in Spanish: 'árabe'), or the tag when Intl does not know it. */
export function languageName (reader: string, tag: string): string {
  let names = languageNames.get(reader)
  if (!names) {
    names = new Intl.DisplayNames([reader], { type: 'language' })
    languageNames.set(reader, names)
  }
  try { return names.of(tag) ?? tag } catch { return tag }
}

// Languages written right to left (CLDR's characterOrder, https://github.com/unicode-org/cldr/tree/main/common/main, checked 2026-12-04).
const RTL_LANGUAGES = new Set(['ar', 'arc', 'ckb', 'dv', 'fa', 'he', 'iw', 'ks', 'ps', 'sd', 'syr', 'ug', 'ur', 'yi'])

/** A language's writing direction: its script subtag when given (Arab, Hebr…), else its language. */
export function textDirection (tag: string): 'ltr' | 'rtl' {
  const parts = tag.split('-')
  const script = parts.find((p) => p.length === 4 && /^[A-Za-z]{4}$/.test(p))
  if (script) return /^(arab|hebr|syrc|thaa|nkoo|adlm|rohg)$/i.test(script) ? 'rtl' : 'ltr'
  return RTL_LANGUAGES.has((parts[0] ?? '').toLowerCase()) ? 'rtl' : 'ltr'
}
