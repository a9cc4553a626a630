import { xHashtags } from './networks/x.ts'
import { mastodonHashtags } from './networks/mastodon.ts'

/**
 * A share text with the campaign's hashtags appended once: a tag the text already holds — as X or Mastodon read it,
 * whatever its case, since both treat #Tag and #tag as one tag — is not added again, and the list itself says each
 * tag once. Sources, checked 2026-12-04: twitter-text extractHashtags (https://github.com/twitter/twitter-text,
 * js/src/extractHashtags.js); Mastodon's Tag.find_or_create_by_names matches names case-insensitively
 * (https://github.com/mastodon/mastodon/blob/main/app/models/tag.rb, `lower(name)`).
 */
export function withHashtags (text: string, hashtags: readonly string[]): string {
  const seen = new Set([...xHashtags(text), ...mastodonHashtags(text)].map(fold))
  const added: string[] = []
  for (const raw of hashtags) {
    const tag = raw.replace(/^#+/, '')
    if (!tag || seen.has(fold(tag))) continue
    seen.add(fold(tag))
    added.push(`#${tag}`)
  }
  return [text.trim(), ...added].filter(Boolean).join(' ')
}

const fold = (tag: string): string => tag.normalize('NFC').toLowerCase()
