import { createHash } from 'node:crypto'
import { percentOf } from './goals.ts'
import { CARD_SIZES, type CardFormat } from './reach-links.ts'

// What a share card draws, as plain data: the renderer turns it into an image, and its hash is the card's version,
// so a card is drawn again only when something it shows has changed (never per view).

/** The site's palette (public/css/app.css), for campaigns without colours of their own. */
export const CARD_PALETTE = { background: '#0b4d57', panel: '#083a42', ink: '#ffffff', soft: '#a9d6cf', bar: '#f2c14e', track: '#062a30' } as const
export type CardColours = { [K in keyof typeof CARD_PALETTE]: string }

// WCAG 2.2 contrast ratio and relative luminance: https://www.w3.org/TR/WCAG22/#dfn-contrast-ratio and
// https://www.w3.org/TR/WCAG22/#dfn-relative-luminance (checked 2026-12-04); 4.5 is the AA level for normal text.
export const CARD_MIN_CONTRAST = 4.5

/** Whether a value is a colour as `<input type="color">` gives it: `#rrggbb`. */
export function isHexColour (value: unknown): value is string {
  return typeof value === 'string' && /^#[0-9a-f]{6}$/i.test(value)
}

/** The relative luminance of a `#rrggbb` colour (WCAG 2.2, sRGB). */
export function relativeLuminance (hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255
    // WCAG 2.2 writes 0.03928; the sRGB standard's 0.04045 gives the same result for 8-bit channels.
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4
  })
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!
}

/** The contrast ratio of two `#rrggbb` colours, from 1 to 21. */
export function contrastRatio (a: string, b: string): number {
  const [hi, lo] = [relativeLuminance(a), relativeLuminance(b)].sort((x, y) => y - x)
  return (hi! + 0.05) / (lo! + 0.05)
}

/**
 * A campaign's card colours checked: both `#rrggbb` (lower-cased), and the card's text colour readable on the
 * background (ratio ≥ 4.5). On failure, which field and, for the contrast, the ratio rounded down to two decimals.
 */
export function checkCardColours (background: string, accent: string):
  | { ok: true, background: string, accent: string }
  | { ok: false, field: 'background' | 'accent', reason: 'format' }
  | { ok: false, field: 'background', reason: 'contrast', ratio: number } {
  const bg = background.trim().toLowerCase()
  const ac = accent.trim().toLowerCase()
  if (!isHexColour(bg)) return { ok: false, field: 'background', reason: 'format' }
  if (!isHexColour(ac)) return { ok: false, field: 'accent', reason: 'format' }
  const ratio = contrastRatio(CARD_PALETTE.ink, bg)
  if (ratio < CARD_MIN_CONTRAST) return { ok: false, field: 'background', reason: 'contrast', ratio: Math.floor(ratio * 100) / 100 }
  return { ok: true, background: bg, accent: ac }
}

export const CARD_FORMATS: readonly CardFormat[] = ['landscape', 'square', 'story']

/** The format named by `?format=` (absent: the Open Graph landscape card), or null for an unknown one. */
export function cardFormatOf (value: unknown): CardFormat | null {
  if (value === undefined || value === '') return 'landscape'
  return typeof value === 'string' && (CARD_FORMATS as readonly string[]).includes(value) ? value as CardFormat : null
}

/**
 * The count a card shows: exact below 100, then rounded down to two significant figures (1 234 → 1 200), so a
 * busy campaign's card changes with every hundredth send at 1 000, not with every send. `approx` says some were left
 * out (the card then writes "1 200+").
 */
export function shownCount (n: number): { value: number, approx: boolean } {
  const total = Math.max(0, Math.floor(n))
  if (total < 100) return { value: total, approx: false }
  const step = 10 ** (Math.floor(Math.log10(total)) - 1)
  const value = Math.floor(total / step) * step
  return { value, approx: value < total }
}

/** The bar's filled share, in steps of 5 % (full only once the goal is reached). */
export function barStep (total: number, goal: number): number {
  const percent = percentOf(total, goal)
  return percent >= 100 ? 100 : Math.floor(percent / 5) * 5
}

/** Whether a text reads right to left (its first strong character is Arabic, Hebrew, Syriac, Thaana or N'Ko). */
export function readsRightToLeft (text: string): boolean {
  const strong = /[\p{L}]/u.exec(text)?.[0]
  return strong !== undefined && /[\p{Script=Arabic}\p{Script=Hebrew}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}]/u.test(strong)
}

export interface CardModel {
  format: CardFormat
  width: number
  height: number
  locale: string
  rtl: boolean
  title: string
  /** the main hashtag with its #, or '' */
  hashtag: string
  /** "1 200+ messages", or "1 200+ messages to Alice Martin" on a target's card */
  headline: string
  /** "Goal: 2 500" */
  goalText: string
  /** the bar's filled share (barStep) */
  bar: number
  siteName: string
  colours: CardColours
  /** a target's card: the name, the initials for the avatar, and the photo's URL (with its version) when it has one */
  target: { name: string, initials: string, photoUrl: string | null } | null
}

/** A card's version: a short hash of everything it draws. */
export function cardVersion (model: CardModel): string {
  return createHash('sha256').update(JSON.stringify(model)).digest('base64url').slice(0, 12)
}

/** A card's model from the campaign's texts and counts, with its words already in the card's language. */
export function cardModel (args: {
  format: CardFormat
  locale: string
  title: string
  hashtags: readonly string[]
  /** the count the headline shows (the campaign's total, or the target's count) */
  count: number
  total: number
  goal: number
  words: { headline: (shown: string, count: number) => string, goal: string }
  formatNumber: (n: number) => string
  siteName: string
  colours?: Partial<CardColours> | null
  target?: CardModel['target']
}): CardModel {
  const shown = shownCount(args.count)
  const shownText = args.formatNumber(shown.value) + (shown.approx ? '+' : '')
  const tag = args.hashtags[0]
  return {
    format: args.format,
    ...CARD_SIZES[args.format],
    locale: args.locale,
    rtl: readsRightToLeft(args.title),
    title: args.title,
    hashtag: tag ? `#${tag.replace(/^#+/, '')}` : '',
    headline: args.words.headline(shownText, shown.value),
    goalText: args.words.goal,
    bar: barStep(args.total, args.goal),
    siteName: args.siteName,
    colours: { ...CARD_PALETTE, ...(args.colours ?? {}) },
    target: args.target ?? null
  }
}
