import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Deps } from '../../deps.ts'
import { roleAtLeast } from '../../services/auth-service.ts'
import { campaignOr404, campaignTitle } from './content-helpers.ts'
import { campaignTabs } from './campaign-tabs.ts'

type CampaignRequest = FastifyRequest<{ Params: { id: string } }>

/** The campaign's share kit (cards, QR codes, ready-made posts, widget snippet) and "Call to share". */
export async function shareKitRoutes (app: FastifyInstance, { deps }: { deps: Deps }): Promise<void> {
  app.get('/admin/campaigns/:id/share-kit', { config: { access: 'viewer' } }, async (request: CampaignRequest, reply) => {
    const c = await campaignOr404(deps, request.params.id, reply)
    if (!c) return reply
    const tr = reply.adminTranslator()
    const partners = await deps.partners.list(c.id)
    return reply.adminView('admin/share-kit.eta', {
      title: tr.t('admin.shareKit.heading'),
      campaign: { id: c.id, title: campaignTitle(c, tr.locale), url: `/admin/campaigns/${c.id}` },
      tabs: campaignTabs(tr, c, 'shareKit'),
      canEdit: roleAtLeast(request.user!.role, 'editor'),
      kit: deps.shareKit.kitOf(c),
      partnersWithMail: partners.filter((p) => p.email).length,
      mailOn: deps.mailer.enabled,
      callAction: `/admin/campaigns/${c.id}/share-kit/call`
    })
  })

  app.post('/admin/campaigns/:id/share-kit/call', { config: { access: 'editor' } }, async (request: CampaignRequest, reply) => {
    const c = await campaignOr404(deps, request.params.id, reply)
    if (!c) return reply
    const back = `/admin/campaigns/${c.id}/share-kit`
    if (!deps.mailer.enabled) {
      reply.flash({ type: 'error', key: 'admin.shareKit.flash.mailOff' })
      return reply.code(303).header('location', back).send()
    }
    const sent = await deps.shareKit.callToShare(request.user!, c)
    reply.flash({ type: 'success', key: 'admin.shareKit.flash.called', vars: { team: sent.team, partners: sent.partners } })
    return reply.code(303).header('location', back).send()
  })
}
