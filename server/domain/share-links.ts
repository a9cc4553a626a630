// The thank-you page's share buttons: each network's share address, built on the server from fixed bases (the
// redirect route /c/:slug/share/:network counts a click, then sends the supporter there: never an open redirect).
import { buildIntentUrl } from './intents.ts'
import { mailtoUrl } from './networks/email.ts'
import { withHashtags } from './share-text.ts'

export const SHARE_NETWORKS = ['x', 'bluesky', 'mastodon', 'threads', 'whatsapp', 'telegram', 'facebook', 'email', 'copy'] as const
export type ShareNetwork = (typeof SHARE_NETWORKS)[number]

/** A network the share buttons know (copy: the "copy link" button, counted but never redirected). */
export function isShareNetwork (v: unknown): v is ShareNetwork {
  return typeof v === 'string' && (SHARE_NETWORKS as readonly string[]).includes(v)
}

/** A message variant id as a share click may carry it ('' when none). */
export function shareVariant (v: unknown): string {
  return typeof v === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v) ? v.toLowerCase() : ''
}

/**
 * The text a share proposes: the campaign's share text (or title), each hashtag once (a tag the text already holds
 * is not added again, whatever its case), then the link.
 */
export function shareText (text: string, hashtags: readonly string[], link: string): string {
  return `${withHashtags(text, hashtags)} ${link}`.replace(/\s+/g, ' ').trim()
}

/**
 * The network's share address for a text and link; null for 'copy' and for Mastodon without an instance.
 * WhatsApp: https://faq.whatsapp.com/5913398998672934 ("https://wa.me/?text=urlencodedtext"), checked 2026-12-04.
 * Telegram: https://core.telegram.org/widgets/share ("https://t.me/share/url?url={url}&text={text}"), checked 2026-12-04.
 * Facebook: https://developers.facebook.com/docs/plugins/share-button/ (sharer.php?u=), checked 2026-12-04.
 * X, Bluesky, Mastodon, Threads, e-mail: the send intents of server/domain/intents.ts, with their sources.
 */
export function shareUrl (network: ShareNetwork, o: { text: string, link: string, subject: string, instance?: string | null }): string | null {
  switch (network) {
    case 'x': return buildIntentUrl('x', o.text)
    case 'bluesky': return buildIntentUrl('bluesky', o.text)
    case 'threads': return buildIntentUrl('threads', o.text, { link: o.link })
    case 'mastodon': return o.instance ? buildIntentUrl('mastodon', o.text, { instance: o.instance }) : null
    case 'whatsapp': return `https://wa.me/?text=${encodeURIComponent(o.text)}`
    case 'telegram': {
      // Telegram shows the url first; the text without it, so the link is not there twice.
      const rest = o.text.endsWith(o.link) ? o.text.slice(0, -o.link.length).trim() : o.text
      return `https://t.me/share/url?url=${encodeURIComponent(o.link)}&text=${encodeURIComponent(rest)}`
    }
    case 'facebook': return `https://www.facebook.com/sharer/sharer.php?u=${encodeURIComponent(o.link)}`
    case 'email': return mailtoUrl('', o.subject, o.text)
    case 'copy': return null
  }
}
