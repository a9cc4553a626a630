import satori from 'satori'
import sharp from 'sharp'
import type { CardModel } from '../domain/share-card.ts'
import type { CardFonts } from '../infra/card-fonts.ts'

// Share cards are laid out as satori's JSX-like objects (flexbox, text shaped with the embedded fonts: no system
// font), drawn to SVG by satori and rasterised to PNG by sharp (libvips with librsvg: the text is already paths, so
// no font is looked up there either), as satori's README does. Measured here, sharp drew a card 2 to 8 times faster
// than @resvg/resvg-js, and on libuv's thread pool. Sources, checked 2026-12-04: https://github.com/vercel/satori
// (options, loadAdditionalAsset, "To render it to a PNG, use Sharp"), https://sharp.pixelplumbing.com/api-output#png.

interface Node { type: string, props: Record<string, unknown> & { style?: Record<string, unknown>, children?: unknown } }
const el = (type: string, style: Record<string, unknown>, children?: unknown, props: Record<string, unknown> = {}): Node =>
  ({ type, props: { ...props, style, ...(children === undefined ? {} : { children }) } })

// Sizes per format: the landscape card is read as a thumbnail in a feed, the story one full screen on a phone.
const SCALE = {
  landscape: { pad: 64, title: 64, tag: 34, headline: 44, small: 28, bar: 28, avatar: 104, lines: 3 },
  square: { pad: 80, title: 80, tag: 40, headline: 52, small: 32, bar: 34, avatar: 132, lines: 5 },
  story: { pad: 96, title: 96, tag: 48, headline: 60, small: 38, bar: 40, avatar: 160, lines: 7 }
} as const

/** The card's layout as satori's element objects (photo: the target's photo as a data: URI, or null). */
export function cardLayout (m: CardModel, photo: string | null): Node {
  const s = SCALE[m.format]
  // Long titles take a smaller size rather than being cut.
  const titleSize = m.title.length > 90 ? Math.round(s.title * 0.72) : m.title.length > 50 ? Math.round(s.title * 0.86) : s.title
  const row = m.rtl ? 'row-reverse' : 'row'
  const align = m.rtl ? 'right' : 'left'
  const avatar = m.target
    ? photo
      ? el('img', { width: s.avatar, height: s.avatar, borderRadius: s.avatar / 2, border: `4px solid ${m.colours.ink}` }, undefined, { src: photo, width: s.avatar, height: s.avatar })
      : el('div', { display: 'flex', alignItems: 'center', justifyContent: 'center', width: s.avatar, height: s.avatar, borderRadius: s.avatar / 2, background: m.colours.soft, color: m.colours.panel, fontSize: Math.round(s.avatar * 0.38), fontWeight: 700 }, m.target.initials)
    : null
  const root = { display: 'flex', flexDirection: 'column', justifyContent: 'space-between', boxSizing: 'border-box', width: m.width, height: m.height, padding: s.pad }
  return el('div', { ...root, background: m.colours.background, color: m.colours.ink, fontFamily: 'Noto Sans', fontWeight: 400 }, [
    el('div', { display: 'flex', flexDirection: row, justifyContent: 'space-between', alignItems: 'center', fontSize: s.tag }, [
      el('div', { display: 'flex', color: m.colours.bar, fontWeight: 700 }, m.hashtag || ' '),
      el('div', { display: 'flex', color: m.colours.soft, fontSize: s.small }, m.siteName)
    ]),
    el('div', { display: 'flex', flexDirection: 'column', flexGrow: 1, justifyContent: 'center', paddingTop: s.pad / 2, paddingBottom: s.pad / 2 }, [
      el('div', { display: 'block', fontSize: titleSize, fontWeight: 700, lineHeight: 1.15, textAlign: align, lineClamp: s.lines }, m.title)
    ]),
    el('div', { display: 'flex', flexDirection: 'column' }, [
      el('div', { display: 'flex', flexDirection: row, alignItems: 'center', marginBottom: Math.round(s.bar * 0.8) }, [
        ...(avatar ? [el('div', { display: 'flex', [m.rtl ? 'marginLeft' : 'marginRight']: Math.round(s.pad / 2.5) }, [avatar])] : []),
        el('div', { display: 'flex', flexShrink: 1, fontSize: s.headline, fontWeight: 700, lineHeight: 1.2, textAlign: align }, m.headline)
      ]),
      el('div', { display: 'flex', flexDirection: row, width: '100%', height: s.bar, borderRadius: s.bar / 2, background: m.colours.track }, [
        el('div', { display: 'flex', width: `${m.bar}%`, height: s.bar, borderRadius: s.bar / 2, background: m.colours.bar })
      ]),
      el('div', { display: 'flex', flexDirection: row, marginTop: Math.round(s.bar * 0.6), fontSize: s.small, color: m.colours.soft }, m.goalText)
    ])
  ])
}

export type CardRenderer = ReturnType<typeof createCardRenderer>

/** Draws share cards: the model's layout to SVG (satori), then to PNG (sharp). */
export function createCardRenderer ({ fonts }: { fonts: CardFonts }) {
  return {
    /** The card as SVG: the text drawn as paths with the fonts its characters need. */
    async svg (m: CardModel, photo: string | null = null): Promise<string> {
      const text = [m.title, m.hashtag, m.headline, m.goalText, m.siteName, m.target?.initials ?? ''].join(' ')
      return satori(cardLayout(m, photo) as never, {
        width: m.width,
        height: m.height,
        fonts: fonts.fontsFor(text),
        // Only emoji are left for this hook: every other character's font was chosen above.
        loadAdditionalAsset: async (code: string, segment: string) => code === 'emoji' ? (fonts.emoji(segment) ?? segment) : []
      })
    },

    /**
     * The card as PNG, rasterised on libuv's thread pool, off the event loop. It is drawn once and sent many times,
     * so it goes out as a palette PNG: a card is a few flat colours and anti-aliased text, and 64 colours weigh a
     * quarter of its true-colour PNG (14 vs 59 KiB) for the same drawing time, measured back to back (256 colours
     * took five times longer). A photo gets 128 colours, dithered.
     */
    async png (m: CardModel, photo: string | null = null): Promise<Buffer> {
      const svg = await this.svg(m, photo)
      return sharp(Buffer.from(svg)).png({ palette: true, colours: photo ? 128 : 64, dither: photo ? 1 : 0, effort: 1 }).toBuffer()
    }
  }
}
