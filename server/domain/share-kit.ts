// The share kit: everything a team member or a partner needs to spread a campaign — its links per language, the
// cards in every format, the QR codes, ready-made posts per network and language (lengths checked) and the widget
// snippet. One builder for the admin's page, a partner's page and the e-mails that carry the kit.
import type { Channel } from '../db/schema.ts'
import { LIMITS, measureLength } from './messages.ts'
import { CARD_SIZES, campaignUrl, cardPath, embedSnippet, qrPath, type CardFormat } from './reach-links.ts'
import { shareText } from './share-links.ts'

export const POST_NETWORKS = ['x', 'bluesky', 'mastodon', 'threads'] as const satisfies readonly Channel[]

export interface ShareKitCampaign {
  slug: string
  defaultLocale: string
  texts: Record<string, { title: string, shareText: string, hashtags: string[] }>
}

export interface ShareKit {
  /** the partner code every link carries, or null (the team's own kit) */
  ref: string | null
  locales: Array<{
    locale: string
    link: string
    cards: Array<{ format: CardFormat, width: number, height: number, url: string }>
    posts: Array<{ network: (typeof POST_NETWORKS)[number], text: string, length: number, limit: number, fits: boolean }>
  }>
  qr: { svg: string, png: string }
  snippet: string
}

/** The share kit of a campaign, absolute URLs throughout (it goes out by e-mail), for a partner code or none. */
export function buildShareKit (publicUrl: string, c: ShareKitCampaign, ref: string | null = null): ShareKit {
  const opt = ref ?? undefined
  const order = [c.defaultLocale, ...Object.keys(c.texts).filter((l) => l !== c.defaultLocale).sort()].filter((l) => c.texts[l])
  return {
    ref,
    locales: order.map((locale) => {
      const t = c.texts[locale]!
      const link = campaignUrl(publicUrl, c.slug, { lang: locale, ref: opt })
      const text = shareText(t.shareText || t.title, t.hashtags, link)
      return {
        locale,
        link,
        cards: (Object.keys(CARD_SIZES) as CardFormat[]).map((format) => ({ format, ...CARD_SIZES[format], url: publicUrl + cardPath(c.slug, { lang: locale, format }) })),
        posts: POST_NETWORKS.map((network) => {
          const length = measureLength(network, text)
          return { network, text, length, limit: LIMITS[network], fits: length <= LIMITS[network] }
        })
      }
    }),
    qr: { svg: publicUrl + qrPath(c.slug, 'svg', { ref: opt }), png: publicUrl + qrPath(c.slug, 'png', { ref: opt }) },
    snippet: embedSnippet(publicUrl, c.slug, { ref: opt })
  }
}

/** The kit as plain text for an e-mail: links only, no attachment. */
export function shareKitText (kit: ShareKit, label: (key: string, vars?: Record<string, string | number>) => string): string {
  const out: string[] = []
  for (const l of kit.locales) {
    out.push(`— ${label('lang', { locale: l.locale })} —`, `${label('link')}: ${l.link}`)
    for (const card of l.cards) out.push(`${label('card', { format: card.format, width: card.width, height: card.height })}: ${card.url}`)
    out.push(`${label('post')}: ${l.posts[0]?.text ?? ''}`, '')
  }
  out.push(`${label('qr')}: ${kit.qr.svg} · ${kit.qr.png}`, '', `${label('snippet')}:`, kit.snippet)
  return out.join('\n')
}
