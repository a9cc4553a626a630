// Per-campaign access, as pure rules: which admin routes touch a campaign, and the role a member has on a request.
import type { UserRole } from '../db/schema.ts'

/** The campaigns a member may see: null for every campaign (installation-wide), else the granted campaigns' ids. */
export type CampaignScope = ReadonlySet<string> | null

// A route under /admin/campaigns/:id touches that campaign: the guard resolves it and checks the member's grants.
const CAMPAIGN_ROUTE = /^\/admin\/campaigns\/:id(?:\/|$)/

/** Whether a registered admin route URL (with its :params) touches the campaign of its :id. */
export function isCampaignRoute (url: string): boolean {
  return CAMPAIGN_ROUTE.test(url)
}

/**
 * Why an admin route may not be registered, or null. Every route that names a record in its path (a parameter)
 * and is open to editors or viewers must be a campaign route, so it cannot be reached without the campaign check;
 * owners see every campaign, and public routes name one-time links.
 */
export function campaignRuleBreach (url: string, access: UserRole | 'public'): string | null {
  if (isCampaignRoute(url) || access === 'owner' || access === 'public') return null
  if (/\/:/.test(url)) return `admin route ${url} names a record but is not under /admin/campaigns/:id (no campaign check)`
  return null
}

/**
 * The role a member has for one request: their own role installation-wide; a limited member's role on a granted
 * campaign; outside any campaign (the list, signing out) a limited member is a viewer, so creating campaigns, the
 * team, the audit log and the queues stay installation-wide.
 */
export function effectiveRole (role: UserRole, scope: CampaignScope, onGrantedCampaign: boolean): UserRole {
  if (scope === null) return role
  return onGrantedCampaign ? role : 'viewer'
}
