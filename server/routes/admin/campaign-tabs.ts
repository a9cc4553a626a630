import type { CampaignStatus } from '../../db/schema.ts'
import type { Translator } from '../../i18n.ts'

/** Every campaign admin page, in the order of the tabs. */
export const CAMPAIGN_TABS = ['dashboard', 'edit', 'targets', 'messages', 'bottle', 'delivery', 'exports', 'partners', 'shareKit', 'privacy'] as const
export type CampaignTab = (typeof CAMPAIGN_TABS)[number]

export interface CampaignTabs {
  label: string
  status: { key: CampaignStatus, label: string }
  publicUrl: string
  publicLabel: string
  items: Array<{ key: CampaignTab, href: string, label: string, current: boolean }>
}

const PATHS: Record<CampaignTab, string> = {
  dashboard: '', edit: '/edit', targets: '/targets', messages: '/messages', bottle: '/bottle', delivery: '/delivery', exports: '/exports', partners: '/partners', shareKit: '/share-kit', privacy: '/privacy'
}

/** The tabs and the one status badge every campaign admin page shows (views/admin/campaign-tabs.eta). */
export function campaignTabs (tr: Translator, c: { id: string, slug: string, status: CampaignStatus }, current: CampaignTab): CampaignTabs {
  return {
    label: tr.t('admin.tabs.label'),
    status: { key: c.status, label: tr.t(`admin.status.${c.status}`) },
    publicUrl: `/c/${encodeURIComponent(c.slug)}`,
    publicLabel: tr.t('admin.tabs.public'),
    items: CAMPAIGN_TABS.map((key) => ({ key, href: `/admin/campaigns/${c.id}${PATHS[key]}`, label: tr.t(`admin.tabs.${key}`), current: key === current }))
  }
}
