// The addresses a campaign spreads through: its link with attribution, its share cards, its QR codes and the widget
// snippet partners paste. One module, so the admin's share kit, a partner's page and the public pages agree.

export type CardFormat = 'landscape' | 'square' | 'story'

/** Pixel sizes of the share cards: Open Graph's 1.91:1 (1200×630), Instagram's square and the 9:16 story/status. */
export const CARD_SIZES: Record<CardFormat, { width: number, height: number }> = {
  landscape: { width: 1200, height: 630 },
  square: { width: 1080, height: 1080 },
  story: { width: 1080, height: 1920 }
}

/** A partner code (`?ref=`) or a supporter's link code (`?from=`): letters, digits, `_` and `-`, 1 to 64. */
export function isAttributionCode (value: unknown): value is string {
  return typeof value === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(value)
}

export interface LinkOptions { lang?: string | undefined, ref?: string | undefined, from?: string | undefined }

/** A query string of the set options, in a fixed order (lang, ref, from, then the rest), '' when none. */
export function queryOf (params: Record<string, string | undefined>): string {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v)
  const s = q.toString()
  return s ? `?${s}` : ''
}

/** The campaign's public address, absolute, with its language and attribution. */
export function campaignUrl (publicUrl: string, slug: string, opts: LinkOptions = {}): string {
  return `${publicUrl}/c/${encodeURIComponent(slug)}${queryOf({ lang: opts.lang, ref: opts.ref, from: opts.from })}`
}

/** The path of a share card; `v` (the card's version) makes networks fetch the new image when the count moved. */
export function cardPath (slug: string, opts: { lang?: string | undefined, target?: string | undefined, format?: CardFormat | undefined, v?: string | number | undefined } = {}): string {
  const format = opts.format && opts.format !== 'landscape' ? opts.format : undefined
  const v = opts.v === undefined ? undefined : String(opts.v)
  return `/c/${encodeURIComponent(slug)}/card.png${queryOf({ lang: opts.lang, target: opts.target, format, v })}`
}

/** The path of the QR code of the campaign link (`ref` tracks a flyer or a partner). */
export function qrPath (slug: string, type: 'svg' | 'png', opts: { ref?: string | undefined, lang?: string | undefined } = {}): string {
  return `/c/${encodeURIComponent(slug)}/qr.${type}${queryOf({ lang: opts.lang, ref: opts.ref })}`
}

/** The path of the framable widget. */
export function embedPath (slug: string, opts: { ref?: string | undefined, lang?: string | undefined } = {}): string {
  return `/c/${encodeURIComponent(slug)}/embed${queryOf({ lang: opts.lang, ref: opts.ref })}`
}

const attr = (s: string): string => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

/**
 * The one-line snippet a partner pastes: /embed.js puts the widget's iframe where the script stands, sized to its
 * content, with the partner's code; without JavaScript the link still leads to the campaign.
 */
export function embedSnippet (publicUrl: string, slug: string, opts: { ref?: string | undefined, lang?: string | undefined } = {}): string {
  const data = [`data-campaign="${attr(slug)}"`]
  if (opts.ref) data.push(`data-ref="${attr(opts.ref)}"`)
  if (opts.lang) data.push(`data-lang="${attr(opts.lang)}"`)
  const link = campaignUrl(publicUrl, slug, { lang: opts.lang, ref: opts.ref })
  return `<a class="bouteille-embed" href="${attr(link)}" ${data.join(' ')}>${attr(link)}</a><script async src="${attr(publicUrl)}/embed.js"></script>`
}
