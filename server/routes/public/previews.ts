import type { Progress } from '../../domain/progress.ts'
import { campaignUrl, cardPath, CARD_SIZES } from '../../domain/reach-links.ts'
import { summaryOf } from '../../domain/summary.ts'
import type { Translator } from '../../i18n.ts'
import type { CampaignData } from '../../repos/campaign-repo.ts'
import type { CardService } from '../../services/card-service.ts'
import { textsFor } from './campaign-page.ts'
import type { PageBase } from './view-models.ts'

export type PreviewMeta = Required<Pick<PageBase, 'canonicalUrl' | 'description' | 'alternates' | 'image'>>

/**
 * What a campaign page (the page itself, its thanks or its wall) shows a network or a search engine: its URL in the
 * page's language, one absolute alternate per campaign language (itself included) and x-default (the URL without a
 * language: the campaign's default), the summary, and the live card of the page's language with its version.
 * Sources, checked 2026-12-04: https://developers.google.com/search/docs/specialty/international/localized-versions
 * (hreflang: absolute, self-reference, x-default), https://ogp.me/#structured (og:image:width/height/type/alt),
 * https://developer.x.com/en/docs/x-for-websites/cards/overview/markup (twitter:image:alt).
 */
export function previewMeta (args: {
  publicUrl: string
  cards: Pick<CardService, 'model' | 'version'>
  campaign: CampaignData
  progress: Progress | undefined
  tr: Translator
  /** '' for the campaign page and its thanks (whose canonical is the campaign page), '/wall' for the wall */
  page?: '' | '/wall'
}): PreviewMeta {
  const { publicUrl, cards, campaign: c, progress, tr } = args
  const page = args.page ?? ''
  const url = (lang?: string): string => page ? `${publicUrl}/c/${encodeURIComponent(c.slug)}${page}${lang ? `?lang=${encodeURIComponent(lang)}` : ''}` : campaignUrl(publicUrl, c.slug, { lang })
  // The campaign's languages, its default first (iterated, never a fixed list).
  const locales = [...c.languages].sort((a, b) => Number(b === c.defaultLocale) - Number(a === c.defaultLocale) || a.localeCompare(b))
  const card = { locale: tr.locale, format: 'landscape' as const }
  const model = cards.model(c, progress, card)
  const texts = textsFor(c, tr.locale)
  return {
    canonicalUrl: url(tr.locale),
    description: summaryOf(texts),
    alternates: [...locales.map((code) => ({ hreflang: code, href: url(code) })), { hreflang: 'x-default', href: url() }],
    image: {
      url: publicUrl + cardPath(c.slug, { lang: tr.locale, v: cards.version(c, progress, card) }),
      ...CARD_SIZES.landscape,
      type: 'image/png',
      alt: tr.t('card.alt', { title: model.title, headline: model.headline, goal: model.goalText })
    }
  }
}
