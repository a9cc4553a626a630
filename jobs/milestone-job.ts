import type { Deps } from '../server/deps.ts'
import { currentGoal } from '../server/domain/goals.ts'
import { milestoneLabel } from '../server/domain/milestones.ts'

// Long enough for a slow SMTP exchange; a worker killed mid-send lets another retry after it.
const LEASE_MS = 5 * 60_000

export type NoticeResult = 'sent' | 'skipped' | 'done'

type NoticeDeps = Pick<Deps, 'milestoneRepo' | 'mailer' | 'pool' | 'i18n' | 'config' | 'campaignRepo' | 'shareKit'>

/**
 * E-mails the team that a campaign reached a milestone. Safe to run twice and concurrently: the row is claimed
 * for a lease before sending and marked sent after the SMTP server accepted it. A worker lost between the two
 * makes the next run send again, with the same Message-ID, so mail clients show it once.
 */
export async function notifyMilestone (deps: NoticeDeps, milestoneId: number): Promise<NoticeResult> {
  const m = await deps.milestoneRepo.claimMail(milestoneId, LEASE_MS)
  if (!m) return 'done'
  const team = await deps.pool.query<{ email: string }>('SELECT email FROM users ORDER BY created_at')
  if (!deps.mailer.enabled || team.rows.length === 0) {
    await deps.milestoneRepo.finishMail(m.id, 'skipped')
    return 'skipped'
  }
  const c = await deps.pool.query<{ slug: string, default_locale: string, time_zone: string }>('SELECT slug, default_locale, time_zone FROM campaigns WHERE id = $1', [m.campaignId])
  const campaign = c.rows[0]
  if (!campaign) {
    await deps.milestoneRepo.finishMail(m.id, 'skipped')
    return 'skipped'
  }
  const titles = new Map((await deps.pool.query<{ locale: string, title: string }>('SELECT locale, title FROM campaign_texts WHERE campaign_id = $1', [m.campaignId])).rows.map((r) => [r.locale, r.title]))
  // Team members have no language setting: the campaign's own language first, then the others.
  // The team reads the admin's languages (fr, en): a campaign in Spanish or Arabic still mails its team in those.
  const first = deps.i18n.adminLocales.includes(campaign.default_locale) ? campaign.default_locale : (deps.i18n.adminLocales[0] ?? 'en')
  const locales = [first, ...deps.i18n.adminLocales.filter((l) => l !== first)]
  const url = `${deps.config.publicUrl}/admin/campaigns/${m.campaignId}`
  const parts = locales.map((locale) => {
    const tr = deps.i18n.translator(locale)
    const title = titles.get(locale) ?? titles.get(campaign.default_locale) ?? campaign.slug
    const when = new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeStyle: 'short', timeZone: campaign.time_zone }).format(m.reachedAt)
    const label = milestoneLabel(tr.t, m)
    return {
      subject: tr.t('admin.dashboard.mail.subject', { title, milestone: label }),
      text: [
        tr.t('admin.dashboard.mail.reached', { title, milestone: label, date: when }),
        tr.t('admin.dashboard.mail.goal', { goal: currentGoal(m.threshold, m.goal) }),
        tr.t('admin.dashboard.mail.link', { url })
      ].join('\n\n')
    }
  })
  const host = new URL(deps.config.publicUrl).hostname || 'bouteille.local'
  // A milestone is a moment to spread the campaign: the notice carries the share kit's links.
  const data = await deps.campaignRepo.findById(m.campaignId)
  const kit = data ? `${deps.i18n.translator(locales[0]!).t('admin.shareKit.mail.milestone', { url: `${url}/share-kit` })}\n\n${deps.shareKit.mailText(data, deps.shareKit.kitOf(data))}` : ''
  try {
    await deps.mailer.send({
      to: team.rows.map((r) => r.email),
      subject: parts[0]!.subject,
      text: [...parts.map((p) => p.text), kit].filter(Boolean).join('\n\n——\n\n'),
      messageId: `<milestone-${m.id}.${m.campaignId}@${host}>`
    })
  } catch (err) {
    await deps.milestoneRepo.releaseMail(m.id)
    throw err
  }
  await deps.milestoneRepo.finishMail(m.id, 'sent')
  return 'sent'
}
