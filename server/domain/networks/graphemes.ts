let segmenter: Intl.Segmenter | undefined

/**
 * The grapheme segmenter, built on first use and shared: building one loads ICU's break rules (about half a second
 * of main thread on a mid-range phone), so the page's script pays it when a length is first counted, not at load.
 */
export function graphemeSegmenter (): Intl.Segmenter {
  segmenter ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' })
  return segmenter
}
