// @atproto/api exports only its index, which also loads ~700 kB of lexicons (seconds at every start, and in the page's
// bundle); its rich-text rules are this one file of the same package, taken as it is.
import { TAG_REGEX, TRAILING_PUNCTUATION_REGEX, URL_REGEX } from '../../../node_modules/@atproto/api/dist/rich-text/util.js'
import { graphemeLen } from '@atproto/lex-data'
import TLDS from 'tlds'
// Bluesky. Sources, checked 2026-12-04:
// - intent: https://docs.bsky.app/docs/advanced-guides/intent-links (https://bsky.app/intent/compose?text=)
// - length: 300 graphemes (app.bsky.feed.post lexicon, maxGraphemes 300: bluesky-social/atproto lexicons/app/bsky/feed/post.json),
//   counted by the composer after link shortening (bluesky-social/social-app src/lib/strings/rich-text-manip.ts shortenLinks,
//   src/lib/strings/url-helpers.ts toShortUrl; src/view/com/composer/Composer.tsx counts shortenLinks(richtext).graphemeLength)
// - links and tags: @atproto/api URL_REGEX, TAG_REGEX and TRAILING_PUNCTUATION_REGEX, used as
//   bluesky-social/atproto packages/api/src/rich-text/detection.ts detectFacets uses them (ported below: that file is not exported)

export const BLUESKY_INTENT = 'https://bsky.app/intent/compose'
export const BLUESKY_LIMIT = 300
// detection.ts: a tag longer than 64 graphemes is not a tag.
const TAG_MAX_GRAPHEMES = 64

// detection.ts isValidDomain: a bare domain is a link only when it ends with a known TLD.
function isValidDomain (s: string): boolean {
  return TLDS.some((tld) => {
    const i = s.lastIndexOf(tld)
    return i > 0 && s.charAt(i - 1) === '.' && i === s.length - tld.length
  })
}

/** The links the Bluesky composer detects in a text, as [start, end, uri] (UTF-16 indices), by detectFacets' rule. */
export function blueskyLinks (text: string): Array<[number, number, string]> {
  const out: Array<[number, number, string]> = []
  const re = new RegExp(URL_REGEX.source, URL_REGEX.flags)
  let m: RegExpExecArray | null
  while ((m = re.exec(text))) {
    let uri = m[2]!
    if (!uri.startsWith('http')) {
      const domain = m.groups?.domain
      if (!domain || !isValidDomain(domain)) continue
      uri = `https://${uri}`
    }
    const start = text.indexOf(m[2]!, m.index)
    let end = start + m[2]!.length
    if (/[.,;:!?]$/.test(uri)) { uri = uri.slice(0, -1); end-- }
    if (/[)]$/.test(uri) && !uri.includes('(')) { uri = uri.slice(0, -1); end-- }
    out.push([start, end, uri])
  }
  return out
}

/** social-app toShortUrl: host plus path, a path over 15 characters cut to 13 and "...". */
export function toShortUrl (url: string): string {
  try {
    const u = new URL(url)
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return url
    const path = (u.pathname === '/' ? '' : u.pathname) + u.search + u.hash
    return path.length > 15 ? u.host + path.slice(0, 13) + '...' : u.host + path
  } catch {
    return url
  }
}

/** The text as the composer counts it: every detected link replaced by its short form (social-app shortenLinks). */
export function shortenLinks (text: string): string {
  let out = ''
  let pos = 0
  for (const [start, end] of blueskyLinks(text)) {
    out += text.slice(pos, start) + toShortUrl(text.slice(start, end))
    pos = end
  }
  return out + text.slice(pos)
}

/** Bluesky's length: graphemes after link shortening. */
export function blueskyLength (text: string): number {
  return graphemeLen(shortenLinks(text))
}

/** The tags Bluesky reads in a text, without their # (detectFacets' tag rule). */
export function blueskyHashtags (text: string): string[] {
  const out: string[] = []
  const re = new RegExp(TAG_REGEX.source, TAG_REGEX.flags)
  let m: RegExpExecArray | null
  while ((m = re.exec(text))) {
    const tag = (m[2] ?? '').trim().replace(new RegExp(TRAILING_PUNCTUATION_REGEX.source, TRAILING_PUNCTUATION_REGEX.flags), '')
    if (tag.length === 0 || (tag.length > TAG_MAX_GRAPHEMES && graphemeLen(tag) > TAG_MAX_GRAPHEMES)) continue
    out.push(tag)
  }
  return out
}
