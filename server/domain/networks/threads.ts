// Threads (Meta). No library: the rule is ported from Meta's documentation. Sources, checked 2026-12-04:
// - intent: https://developers.facebook.com/docs/threads/threads-web-intents (https://www.threads.com/intent/post, text, url)
// - length: https://developers.facebook.com/docs/threads/overview#text-posts — 500 characters; emoji count as their
//   UTF-8 byte length

import { graphemeSegmenter } from './graphemes.ts'

export const THREADS_INTENT = 'https://www.threads.com/intent/post'
export const THREADS_LIMIT = 500

const EMOJI_RE = /\p{Extended_Pictographic}|\p{Regional_Indicator}/u
const encoder = new TextEncoder()

/** Threads' length: one per character, an emoji (with its modifiers and joiners) its UTF-8 bytes (🌍 counts 4). */
export function threadsLength (text: string): number {
  let n = 0
  for (const { segment } of graphemeSegmenter().segment(text)) {
    n += EMOJI_RE.test(segment) ? encoder.encode(segment).length : [...segment].length
  }
  return n
}
