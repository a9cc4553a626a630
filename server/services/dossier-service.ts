import { fileURLToPath } from 'node:url'
import { and, desc, eq, sql } from 'drizzle-orm'
import { Eta } from 'eta'
import type { Db } from '../db/client.ts'
import { actions, bottleMessages, campaigns, campaignTexts, targets, type Channel } from '../db/schema.ts'
import { DOSSIER_CHANNELS, DOSSIER_MESSAGE_CAP, dossierView, textDirection, type DossierData, type DossierView } from '../domain/dossier.ts'
import { createPdfFontFiles } from '../infra/pdf-fonts.ts'
import { renderDossierPdf } from './dossier-pdf.ts'
import { countryName, type I18n, type Translator } from '../i18n.ts'
import type { NetworkPostRepo } from '../repos/network-post-repo.ts'

const VIEWS = fileURLToPath(new URL('../../views', import.meta.url))

export interface Dossier { view: DossierView, html: string, pdf: Buffer }

export interface DossierMail { subject: string, text: string, html: string }

export type DossierService = ReturnType<typeof createDossierService>

/**
 * Builds a target's dossier: the data from PostgreSQL (approved bottle messages, featured first then newest, and
 * the actions addressed to the target per channel), then the same content as a print-ready HTML page and a PDF.
 */
export function createDossierService ({ db, i18n, campaignLink, networkPosts }: {
  db: Db
  i18n: I18n
  campaignLink: (c: { slug: string }) => string
  /** listening: public posts addressed to a target (from the counters) and the selected ones to quote */
  networkPosts?: Pick<NetworkPostRepo, 'counts' | 'selected'>
}) {
  const eta = new Eta({ views: VIEWS, cache: true, autoEscape: true, autoTrim: [false, 'nl'] })

  // Font files are read and decompressed once per process, then shared by every dossier.
  const fontFiles = createPdfFontFiles()

  /** The dossier's words in a language (catalogs fall back key by key to English). */
  const translatorFor = (locale: string): Translator => i18n.translator(locale)

  async function load (campaignId: string, targetId: string, at = new Date()): Promise<{ data: DossierData, locale: string } | null> {
    const [c] = await db.select().from(campaigns).where(eq(campaigns.id, campaignId))
    if (!c) return null
    const [t] = await db.select().from(targets).where(and(eq(targets.id, targetId), eq(targets.campaignId, campaignId)))
    if (!t) return null
    // The target's language (set by the team), else the campaign's default one; the campaign's texts in it when written.
    const locale = t.language ?? c.defaultLocale
    const texts = await db.select().from(campaignTexts).where(eq(campaignTexts.campaignId, campaignId))
    const text = texts.find((x) => x.locale === locale) ?? texts.find((x) => x.locale === c.defaultLocale) ?? texts[0]
    // Counted from the rows at delivery time (a rejected bottle message counts nowhere), not from campaign_counts: those keep per-target and per-channel totals
    // apart, never crossed, and a dossier must include the sends the tally has not reached yet. One target's rows only.
    const grouped = await db.select({ channel: actions.channel, n: sql<number>`count(*)::int` }).from(actions)
      .where(and(eq(actions.campaignId, campaignId), eq(actions.targetId, targetId), eq(actions.discounted, false), eq(actions.suspect, false))).groupBy(actions.channel)
    const counts = Object.fromEntries(DOSSIER_CHANNELS.map((ch) => [ch, 0])) as Record<Channel, number>
    for (const g of grouped) counts[g.channel] = Number(g.n)
    const approved = and(eq(bottleMessages.campaignId, campaignId), eq(bottleMessages.targetId, targetId), eq(bottleMessages.status, 'approved'))
    const rows = await db.select({
      text: bottleMessages.text,
      locale: bottleMessages.locale,
      signatureName: bottleMessages.signatureName,
      signatureTown: bottleMessages.signatureTown,
      publishConsent: bottleMessages.publishConsent,
      featured: bottleMessages.featured,
      createdAt: bottleMessages.createdAt
    }).from(bottleMessages).where(approved).orderBy(desc(bottleMessages.featured), desc(bottleMessages.createdAt), desc(bottleMessages.id)).limit(DOSSIER_MESSAGE_CAP)
    const [{ n: approvedTotal } = { n: 0 }] = await db.select({ n: sql<number>`count(*)::int` }).from(bottleMessages).where(approved)
    let publicPosts: DossierData['publicPosts']
    if (networkPosts) {
      const [postCounts, selected] = await Promise.all([networkPosts.counts(campaignId), networkPosts.selected(campaignId)])
      // Quoted: the selected posts that mention this target, or that mention no target (the hashtag alone).
      const quotes = selected.filter((q) => q.matchedTargets.length === 0 || q.matchedTargets.includes(targetId))
        .map((q) => ({ network: q.network, text: q.text, authorHandle: q.authorHandle, url: q.url, postedAt: new Date(q.postedAt) }))
      publicPosts = { count: postCounts.get(`target|${targetId}`) ?? 0, quotes }
    }
    return {
      locale,
      data: {
        campaign: { slug: c.slug, title: text?.title ?? c.slug, pitch: text?.pitch ?? '', hashtags: text?.hashtags ?? [], link: campaignLink(c), timeZone: c.timeZone },
        target: { name: t.name, role: t.role[locale] ?? Object.values(t.role)[0] ?? '', organisation: t.organisation, country: countryName(locale, t.country) },
        counts,
        messages: rows,
        approvedTotal: Number(approvedTotal),
        at,
        publicPosts
      }
    }
  }

  return {
    /** Builds a target's dossier now (HTML and PDF); null when the campaign or the target is not there. */
    async build (campaignId: string, targetId: string, at = new Date()): Promise<Dossier | null> {
      const loaded = await load(campaignId, targetId, at)
      if (!loaded) return null
      const view = dossierView(loaded.data, translatorFor(loaded.locale), loaded.locale)
      const html = eta.render('dossier/dossier', view)
      return { view, html, pdf: await renderDossierPdf(view, fontFiles) }
    },

    /** The e-mail that carries a dossier, in the dossier's language. */
    mail (view: Pick<DossierView, 'locale' | 'title' | 'hashtags' | 'link' | 'target' | 'total' | 'messageCount'>): DossierMail {
      const tr = translatorFor(view.locale)
      const vars = { name: view.target.name, campaign: view.title, hashtags: view.hashtags, count: view.total, messages: view.messageCount }
      const subject = tr.t('delivery.mail.subject', vars)
      const paragraphs = [
        tr.t('delivery.mail.greeting', vars),
        tr.t('delivery.mail.body', vars),
        view.messageCount === 0 ? tr.t('delivery.mail.noMessages') : tr.t('delivery.mail.messages', { ...vars, count: view.messageCount }),
        tr.t('delivery.mail.attachment')
      ].map((p) => p.replace(/ {2,}/g, ' ').replace(/ ,/g, ','))
      const signoff = tr.t('delivery.mail.signoff', vars)
      const text = [...paragraphs, view.link, '', signoff].join('\n\n')
      const html = eta.render('dossier/email', { locale: view.locale, dir: textDirection(view.locale), subject, kicker: view.hashtags || tr.t('delivery.dossier.kicker'), title: view.title, paragraphs, link: view.link, signoff })
      return { subject, text, html }
    },

    translatorFor
  }
}
