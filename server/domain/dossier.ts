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
  messages: Array<{ text: string, signatureName: string | null, signatureTown: string | null, publishConsent: boolean, featured: boolean, createdAt: Date }>
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
  title: string
  hashtags: string
  pitch: string
  link: string
  target: { name: string, details: string }
  date: string
  total: number
  totalText: string
  channels: Array<{ channel: Channel, label: string, count: number, countText: string }>
  messages: Array<{ text: string, signature: string | null, featured: boolean, date: string }>
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
    lossy: string
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

/** A signature as printed: only with the supporter's consent to publish it, else null. */
export function signatureOf (m: Pick<DossierData['messages'][number], 'signatureName' | 'signatureTown' | 'publishConsent'>): string | null {
  if (!m.publishConsent) return null
  const parts = [m.signatureName?.trim(), m.signatureTown?.trim()].filter((p): p is string => Boolean(p))
  return parts.length > 0 ? parts.join(', ') : null
}

/** Builds the dossier's view in a language (the campaign's default language: the team writes to the targets in it). */
export function dossierView (data: DossierData, tr: Translator): DossierView {
  const total = DOSSIER_CHANNELS.reduce((sum, ch) => sum + (data.counts[ch] ?? 0), 0)
  const more = data.approvedTotal - data.messages.length
  const tz = data.campaign.timeZone
  return {
    locale: tr.locale,
    title: data.campaign.title,
    hashtags: data.campaign.hashtags.map((h) => `#${h}`).join(' '),
    pitch: data.campaign.pitch,
    link: data.campaign.link,
    target: { name: data.target.name, details: [data.target.role, data.target.organisation, data.target.country].filter(Boolean).join(' · ') },
    date: formatDate(data.at, tr.locale, tz, false),
    total,
    totalText: tr.t('delivery.dossier.total', { count: total }),
    channels: DOSSIER_CHANNELS.map((channel) => ({ channel, label: tr.t(`delivery.channels.${channel}`), count: data.counts[channel] ?? 0, countText: tr.n(data.counts[channel] ?? 0) })),
    messages: data.messages.map((m) => ({ text: m.text, signature: signatureOf(m), featured: m.featured, date: formatDate(m.createdAt, tr.locale, tz, false) })),
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
      lossy: tr.t('delivery.dossier.lossy'),
      quotesHeading: tr.t('delivery.dossier.quotesHeading')
    }
  }
}

// Characters of Windows-1252 above 0x7F outside Latin-1: what the PDF's standard fonts (WinAnsi) can show besides Latin-1.
const CP1252_EXTRA = new Set('€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ')
const SPACES = /[\u2000-\u200A\u202F\u205F\u3000]/g
const INVISIBLE = /[\u200B-\u200D\u2060\u00AD]|\uFE0E|\uFE0F/g
const PICTOGRAPH = /\p{Extended_Pictographic}(?:\u200D\p{Extended_Pictographic})*/gu

function winAnsi (ch: string): boolean {
  const c = ch.codePointAt(0)!
  return (c >= 0x20 && c <= 0x7e) || c === 0x0a || (c >= 0xa0 && c <= 0xff) || CP1252_EXTRA.has(ch)
}

/**
 * A text as the PDF's standard fonts can print it (WinAnsi). French and most Western European text passes
 * unchanged; the narrow no-break space of French numbers becomes a no-break space; pictographs are dropped; a
 * letter outside the set loses its accent where that leaves one inside it (ő → o, ł → l), else becomes "?".
 * lossy says that something was replaced, so the dossier can point to its HTML version, which shows every character.
 */
export function pdfText (input: string): { text: string, lossy: boolean } {
  let lossy = false
  const cleaned = input.replace(/\r\n?/g, '\n').replace(SPACES, '\u00A0').replace(INVISIBLE, '').replace(PICTOGRAPH, () => { lossy = true; return '' })
  let out = ''
  for (const ch of cleaned) {
    if (winAnsi(ch)) { out += ch; continue }
    if (ch === '\t') { out += ' '; continue }
    const base = ch.normalize('NFKD').replace(/\p{M}/gu, '')
    if (base && [...base].every(winAnsi)) { out += base; lossy = true; continue }
    const mapped = FALLBACKS[ch]
    lossy = true
    out += mapped ?? '?'
  }
  return { text: out.replace(/[ \u00A0]{2,}/g, ' '), lossy }
}

const FALLBACKS: Record<string, string> = { ł: 'l', Ł: 'L', đ: 'd', Đ: 'D', ħ: 'h', ı: 'i', '−': '-', '‐': '-', '‑': '-', '′': '\'', '″': '"', '→': '->', '←': '<-' }
