import twitterText from 'twitter-text'
import { graphemeSegmenter } from './graphemes.ts'
// Mastodon. No maintained JavaScript library holds its rules: they are ported here. Sources, checked 2026-12-04:
// - intent: mastodon/mastodon config/routes.rb (get '/share', to: 'shares#show'), https://{instance}/share?text=
// - length: mastodon/mastodon app/validators/status_length_validator.rb — 500; every http(s) URL counts as 23 ('x' * 23),
//   a mention @user@domain as @user, and the rest is counted in grapheme clusters (each_grapheme_cluster.size)
// - mentions: mastodon/mastodon app/models/account.rb MENTION_RE
// - hashtags: mastodon/mastodon app/models/tag.rb HASHTAG_RE (separators _ · ・ and ZWNJ inside a tag)

export const MASTODON_LIMIT = 500
const URL_PLACEHOLDER_CHARS = 23

// Ruby's [[:word:]] is letters, marks, decimal digits and connector punctuation; [[:alpha:]] is Alphabetic.
const WORD = '\\p{L}\\p{M}\\p{Nd}\\p{Pc}'
const SEP = '_\\u00B7\\u30FB\\u200C'
const FIRST = `[${WORD}_][${WORD}${SEP}]*[\\p{Alphabetic}${SEP}][${WORD}${SEP}]*[${WORD}_]`
const LAST = `[${WORD}_]*\\p{Alphabetic}[${WORD}_]*`
const HASHTAG_RE = new RegExp(`(?<![=/)\\p{L}\\p{N}])[#＃](${FIRST}|${LAST})`, 'giu')
// account.rb MENTION_RE: (?<=^|[^/[:word:]])@((user)(?:@domain)?)
const MENTION_RE = new RegExp(`(?<=^|[^/${WORD}])@([a-z0-9_]+(?:[a-z0-9_.-]+[a-z0-9_]+)?)(?:@[${WORD}.-]+[${WORD}])?`, 'giu')

/** The text Mastodon counts: URLs as 23 characters, remote mentions as @user (status_length_validator.rb countable_text). */
export function mastodonCountable (text: string): string {
  // Mastodon's Extractor is twitter-text with extract_url_without_protocol: false: only http(s) links.
  const entities: Array<{ start: number, end: number, to: string }> = twitterText
    .extractUrlsWithIndices(text, { extractUrlsWithoutProtocol: false })
    .map((u) => ({ start: u.indices[0], end: u.indices[1], to: 'x'.repeat(URL_PLACEHOLDER_CHARS) }))
  for (const m of text.matchAll(MENTION_RE)) {
    const start = m.index
    const end = start + m[0].length
    // remove_overlapping_entities: the first entity wins.
    if (entities.some((e) => start < e.end && end > e.start)) continue
    entities.push({ start, end, to: '@' + m[1] })
  }
  entities.sort((a, b) => a.start - b.start)
  let out = ''
  let pos = 0
  for (const e of entities) {
    out += text.slice(pos, e.start) + e.to
    pos = e.end
  }
  return out + text.slice(pos)
}

/** Mastodon's length of a status text. */
export function mastodonLength (text: string): number {
  return [...graphemeSegmenter().segment(mastodonCountable(text))].length
}

/** The hashtags Mastodon reads in a text, without their # (Tag::HASHTAG_RE). */
export function mastodonHashtags (text: string): string[] {
  return [...text.matchAll(HASHTAG_RE)].map((m) => m[1]!)
}
