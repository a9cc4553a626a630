import { fileURLToPath } from 'node:url'
import { and, desc, eq, sql } from 'drizzle-orm'
import { Eta } from 'eta'
import type { Db } from '../db/client.ts'
import { actions, bottleMessages, campaigns, campaignTexts, targets, type Channel } from '../db/schema.ts'
import { DOSSIER_CHANNELS, DOSSIER_MESSAGE_CAP, dossierView, pdfText, type DossierData, type DossierView } from '../domain/dossier.ts'
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

  /** The dossier's language: the campaign's default one (the team addresses the targets in it). */
  const translatorFor = (locale: string): Translator => i18n.translator(locale)

  async function load (campaignId: string, targetId: string, at = new Date()): Promise<{ data: DossierData, locale: string } | null> {
    const [c] = await db.select().from(campaigns).where(eq(campaigns.id, campaignId))
    if (!c) return null
    const [t] = await db.select().from(targets).where(and(eq(targets.id, targetId), eq(targets.campaignId, campaignId)))
    if (!t) return null
    const texts = await db.select().from(campaignTexts).where(eq(campaignTexts.campaignId, campaignId))
    const text = texts.find((x) => x.locale === c.defaultLocale) ?? texts[0]
    // Counted from the rows at delivery time (a rejected bottle message counts nowhere), not from campaign_counts: those keep per-target and per-channel totals
    // apart, never crossed, and a dossier must include the sends the tally has not reached yet. One target's rows only.
    const grouped = await db.select({ channel: actions.channel, n: sql<number>`count(*)::int` }).from(actions)
      .where(and(eq(actions.campaignId, campaignId), eq(actions.targetId, targetId), eq(actions.discounted, false), eq(actions.suspect, false))).groupBy(actions.channel)
    const counts = Object.fromEntries(DOSSIER_CHANNELS.map((ch) => [ch, 0])) as Record<Channel, number>
    for (const g of grouped) counts[g.channel] = Number(g.n)
    const approved = and(eq(bottleMessages.campaignId, campaignId), eq(bottleMessages.targetId, targetId), eq(bottleMessages.status, 'approved'))
    const rows = await db.select({
      text: bottleMessages.text,
      signatureName: bottleMessages.signatureName,
      signatureTown: bottleMessages.signatureTown,
      publishConsent: bottleMessages.publishConsent,
      featured: bottleMessages.featured,
      createdAt: bottleMessages.createdAt
    }).from(bottleMessages).where(approved).orderBy(desc(bottleMessages.featured), desc(bottleMessages.createdAt), desc(bottleMessages.id)).limit(DOSSIER_MESSAGE_CAP)
    const [{ n: approvedTotal } = { n: 0 }] = await db.select({ n: sql<number>`count(*)::int` }).from(bottleMessages).where(approved)
    const locale = c.defaultLocale
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
      const view = dossierView(loaded.data, translatorFor(loaded.locale))
      const html = eta.render('dossier/dossier', view)
      return { view, html, pdf: await renderPdf(view) }
    },

    /** The e-mail that carries a dossier, in the dossier's language. */
    mail (view: Pick<DossierView, 'locale' | 'title' | 'hashtags' | 'link' | 'target' | 'total' | 'messages'>): DossierMail {
      const tr = translatorFor(view.locale)
      const vars = { name: view.target.name, campaign: view.title, hashtags: view.hashtags, count: view.total, messages: view.messages.length }
      const subject = tr.t('delivery.mail.subject', vars)
      const paragraphs = [
        tr.t('delivery.mail.greeting', vars),
        tr.t('delivery.mail.body', vars),
        view.messages.length === 0 ? tr.t('delivery.mail.noMessages') : tr.t('delivery.mail.messages', { ...vars, count: view.messages.length }),
        tr.t('delivery.mail.attachment')
      ].map((p) => p.replace(/ {2,}/g, ' ').replace(/ ,/g, ','))
      const signoff = tr.t('delivery.mail.signoff', vars)
      const text = [...paragraphs, view.link, '', signoff].join('\n\n')
      const html = eta.render('dossier/email', { locale: view.locale, subject, kicker: view.hashtags || tr.t('delivery.dossier.kicker'), title: view.title, paragraphs, link: view.link, signoff })
      return { subject, text, html }
    },

    translatorFor
  }
}

const INK = '#10262b'
const MUTED = '#4b5f63'
const ACCENT = '#0b5d66'
const LINE = '#c9d6d8'

/** The dossier as an A4 PDF with pdfkit's standard fonts: a cover with the counts, then the messages, page numbers at the foot. */
export async function renderPdf (view: DossierView): Promise<Buffer> {
  // Loaded on first use: pdfkit takes a good half second to import, which the CLI and most web starts never need.
  const { default: PDFDocument } = await import('pdfkit')
  const doc = new PDFDocument({
    size: 'A4',
    margins: { top: 56, bottom: 64, left: 56, right: 56 },
    bufferPages: true,
    info: { Title: `${pdfText(view.title).text} — ${pdfText(view.target.name).text}`, Author: 'Bouteille', Subject: pdfText(view.hashtags).text },
    lang: view.locale
  } as PDFKit.PDFDocumentOptions)
  const chunks: Buffer[] = []
  doc.on('data', (c: Buffer) => chunks.push(c))
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)))
    doc.on('error', reject)
  })
  const p = (s: string) => pdfText(s).text
  const width = doc.page.width - doc.page.margins.left - doc.page.margins.right
  const left = doc.page.margins.left

  // Cover.
  doc.font('Helvetica-Bold').fontSize(10).fillColor(ACCENT).text(p(view.t.kicker).toUpperCase(), { characterSpacing: 0.6 })
  doc.moveDown(0.6)
  doc.font('Helvetica-Bold').fontSize(26).fillColor(INK).text(p(view.title), { width })
  if (view.hashtags) doc.moveDown(0.3).font('Helvetica-Bold').fontSize(13).fillColor(ACCENT).text(p(view.hashtags), { width })
  doc.moveDown(1.2)
  doc.font('Helvetica-Bold').fontSize(15).fillColor(INK).text(p(view.t.for), { width })
  if (view.target.details) doc.font('Helvetica').fontSize(11).fillColor(MUTED).text(p(view.target.details), { width })
  doc.font('Helvetica').fontSize(11).fillColor(MUTED).text(p(view.date), { width })
  if (view.pitch) doc.moveDown(1).font('Helvetica').fontSize(11.5).fillColor(INK).text(p(view.pitch), { width, lineGap: 2 })
  doc.moveDown(1.4)
  doc.font('Helvetica-Bold').fontSize(17).fillColor(INK).text(p(view.totalText), { width })
  if (view.publicPostsText) doc.moveDown(0.3).font('Helvetica-Bold').fontSize(12.5).fillColor(ACCENT).text(p(view.publicPostsText), { width })
  doc.moveDown(0.6)
  doc.font('Helvetica').fontSize(10).fillColor(MUTED).text(p(view.t.countsHeading), { width })
  doc.moveDown(0.4)
  const tableWidth = Math.min(width, 300)
  for (const c of view.channels) {
    const y = doc.y
    doc.font('Helvetica').fontSize(11.5).fillColor(INK).text(p(c.label), left, y, { width: tableWidth - 80 })
    doc.font('Helvetica-Bold').text(p(c.countText), left + tableWidth - 80, y, { width: 80, align: 'right' })
    doc.moveTo(left, doc.y + 3).lineTo(left + tableWidth, doc.y + 3).lineWidth(0.5).strokeColor(LINE).stroke()
    doc.y += 7
  }
  doc.x = left

  // Messages, from a new page.
  doc.addPage()
  doc.font('Helvetica-Bold').fontSize(18).fillColor(INK).text(p(view.t.messagesHeading), { width })
  doc.font('Helvetica').fontSize(10.5).fillColor(MUTED).text(p(view.t.messagesIntro), { width })
  doc.moveDown(1)
  if (view.messages.length === 0) doc.font('Helvetica').fontSize(11.5).fillColor(INK).text(p(view.t.none), { width })
  let anyLossy = false
  const bottom = () => doc.page.height - doc.page.margins.bottom
  for (const m of view.messages) {
    const body = pdfText(m.text)
    anyLossy ||= body.lossy
    const meta = p([m.signature, m.date].filter(Boolean).join(' · '))
    doc.font('Helvetica').fontSize(11.5)
    const bodyHeight = doc.heightOfString(body.text, { width: width - 14, lineGap: 1.5 })
    // A short message is never cut across two pages; a long one starts on a new page only if little room is left.
    const needed = Math.min(bodyHeight, 120) + 34 + (m.featured ? 14 : 0)
    if (doc.y + needed > bottom()) doc.addPage()
    const top = doc.y
    if (m.featured) doc.font('Helvetica-Bold').fontSize(8.5).fillColor(ACCENT).text(p(view.t.featured).toUpperCase(), left + 14, doc.y, { width: width - 14, characterSpacing: 0.5 })
    doc.font('Helvetica').fontSize(11.5).fillColor(INK).text(body.text, left + 14, doc.y, { width: width - 14, lineGap: 1.5 })
    doc.font('Helvetica-Oblique').fontSize(9.5).fillColor(MUTED).text(meta + (body.lossy ? ` · ${p(view.t.lossy)}` : ''), left + 14, doc.y + 2, { width: width - 14 })
    // The bar beside the message, on the page where it ends (a long message that broke across pages gets it on its last part).
    const barTop = doc.y < top ? doc.page.margins.top : top
    doc.moveTo(left + 2, barTop).lineTo(left + 2, doc.y).lineWidth(m.featured ? 2.5 : 1.2).strokeColor(m.featured ? ACCENT : LINE).stroke()
    doc.x = left
    doc.moveDown(1)
  }
  if (view.moreText) doc.font('Helvetica').fontSize(10.5).fillColor(MUTED).text(p(view.moreText), left, doc.y, { width })
  if (view.quotes.length) {
    doc.moveDown(1).font('Helvetica-Bold').fontSize(15).fillColor(INK).text(p(view.t.quotesHeading), left, doc.y, { width })
    doc.moveDown(0.5)
    for (const q of view.quotes) {
      const body = pdfText(q.text)
      anyLossy ||= body.lossy
      if (doc.y + 60 > bottom()) doc.addPage()
      doc.font('Helvetica').fontSize(11.5).fillColor(INK).text(body.text, left + 14, doc.y, { width: width - 14, lineGap: 1.5 })
      doc.font('Helvetica-Oblique').fontSize(9.5).fillColor(MUTED).text(`${p(q.source)} · ${p(q.url)}`, left + 14, doc.y + 2, { width: width - 14 })
      doc.x = left
      doc.moveDown(1)
    }
  }
  if (anyLossy) doc.moveDown(0.5).font('Helvetica').fontSize(9.5).fillColor(MUTED).text(p(view.t.lossy), left, doc.y, { width })

  // Page numbers and the footer on every page, written once the page count is known.
  const range = doc.bufferedPageRange()
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i)
    const savedBottom = doc.page.margins.bottom
    doc.page.margins.bottom = 0
    const y = doc.page.height - 40
    doc.font('Helvetica').fontSize(8.5).fillColor(MUTED)
    doc.text(p(view.t.footer), left, y, { width: width - 90, lineBreak: false, ellipsis: true, height: 12 })
    doc.text(p(view.t.page.replace('{page}', String(i + 1)).replace('{pages}', String(range.count))), left + width - 90, y, { width: 90, align: 'right', lineBreak: false })
    doc.page.margins.bottom = savedBottom
  }
  doc.end()
  return done
}
