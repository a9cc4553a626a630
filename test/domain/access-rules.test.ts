import { describe, expect, it } from 'vitest'
import { campaignRuleBreach, effectiveRole, isCampaignRoute } from '../../server/domain/access-rules.ts'

describe('isCampaignRoute', () => {
  it.each([
    ['/admin/campaigns/:id', true],
    ['/admin/campaigns/:id/events', true],
    ['/admin/campaigns/:id/targets/:targetId/edit', true],
    ['/admin/campaigns/:id/dossiers/:file', true],
    ['/admin/campaigns', false],
    ['/admin/campaigns/new', false],
    ['/admin/campaigns/:idx/edit', false],
    ['/admin/campaigns/:campaignId', false],
    ['/admin/campaigns/x/:id', false],
    ['/admin', false],
    ['/admin/team/:userId/role', false]
  ])('%s → %s', (url, expected) => {
    expect(isCampaignRoute(url)).toBe(expected)
  })
})

describe('campaignRuleBreach', () => {
  it('lets campaign routes, parameterless routes, owner-only and public routes be registered', () => {
    expect(campaignRuleBreach('/admin/campaigns/:id/bottle', 'viewer')).toBeNull()
    expect(campaignRuleBreach('/admin/campaigns/:id/messages/:messageId', 'editor')).toBeNull()
    expect(campaignRuleBreach('/admin', 'viewer')).toBeNull()
    expect(campaignRuleBreach('/admin/campaigns/new', 'editor')).toBeNull()
    expect(campaignRuleBreach('/admin/team/:userId/role', 'owner')).toBeNull()
    expect(campaignRuleBreach('/admin/queues/:queue/retry-failed', 'owner')).toBeNull()
    expect(campaignRuleBreach('/admin/invite/:token', 'public')).toBeNull()
  })

  it('refuses a route open to editors or viewers that names a record outside /admin/campaigns/:id', () => {
    for (const [url, access] of [['/admin/targets/:targetId', 'editor'], ['/admin/campaigns/:campaignId/bottle', 'viewer'], ['/admin/exports/:id.csv', 'viewer'], ['/admin/audit/:campaign', 'editor']] as const) {
      expect(campaignRuleBreach(url, access), url).toMatch(/names a record but is not under \/admin\/campaigns\/:id/)
    }
  })
})

describe('effectiveRole', () => {
  const granted = new Set(['c1'])
  it('keeps an installation-wide member\'s role everywhere', () => {
    for (const role of ['owner', 'editor', 'viewer'] as const) {
      expect(effectiveRole(role, null, false)).toBe(role)
      expect(effectiveRole(role, null, true)).toBe(role)
    }
  })

  it('gives a limited member their role on a granted campaign, and viewer elsewhere (no creating campaigns)', () => {
    expect(effectiveRole('editor', granted, true)).toBe('editor')
    expect(effectiveRole('viewer', granted, true)).toBe('viewer')
    expect(effectiveRole('editor', granted, false)).toBe('viewer')
    expect(effectiveRole('editor', new Set(), false)).toBe('viewer')
  })
})
