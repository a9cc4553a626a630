// The short description of a campaign for previews (meta description, og:description): the campaign's own summary,
// else its pitch cut at a word. Search engines show about 155 characters of a description and networks less, so a
// longer one is cut mid-sentence by them (https://developers.google.com/search/docs/appearance/snippet, checked 2026-12-04).

export const SUMMARY_MAX = 155

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' })

/** The pitch as a one-line preview of at most `max` characters (graphemes), cut at a word boundary with an ellipsis. */
export function defaultSummary (pitch: string, max = SUMMARY_MAX): string {
  const text = pitch.replace(/\s+/g, ' ').trim()
  const parts = Array.from(graphemes.segment(text), (s) => s.segment)
  if (parts.length <= max) return text
  // Room for the ellipsis; the cut goes back to the last space if one is near enough (CJK text has none).
  const head = parts.slice(0, max - 1)
  let cut = head.length
  const space = head.lastIndexOf(' ')
  if (space >= max / 2 && parts[max - 1] !== ' ') cut = space
  const kept = head.slice(0, cut).join('').replace(/[\s,;:.!?…—–-]+$/u, '')
  return `${kept}…`
}

/** The description a page previews with: the summary written for it, else the default cut of the pitch. */
export function summaryOf (texts: { summary?: string | null, pitch: string }): string {
  const own = texts.summary?.replace(/\s+/g, ' ').trim()
  return own || defaultSummary(texts.pitch)
}
