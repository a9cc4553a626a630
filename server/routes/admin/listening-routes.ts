import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Deps } from '../../deps.ts'
import { UUID_RE } from './format.ts'

type SelectionRequest = FastifyRequest<{ Params: { id: string, postId: string }, Body: Record<string, unknown> }>

/** Listening, the team's side: an editor keeps a public post in the bottle's selection (or takes it out). The settings are saved with the dashboard (dashboard-routes), which shows them. */
export async function listeningRoutes (app: FastifyInstance, { deps }: { deps: Deps }): Promise<void> {
  app.post('/admin/campaigns/:id/network-posts/:postId/selection', { config: { access: 'editor' } }, async (request: SelectionRequest, reply) => {
    const { id, postId } = request.params
    const on = request.body?.selected
    if (!UUID_RE.test(id) || !/^\d{1,15}$/.test(postId)) return reply.sendError(404, 'errors.notFound.message', { back: { href: '/admin', labelKey: 'admin.nav.campaigns' } })
    if (on !== 'on' && on !== 'off') return reply.sendError(400, 'errors.badRequest.message', { back: { href: `/admin/campaigns/${id}#networks`, labelKey: 'admin.listening.heading' } })
    const done = await deps.listening.select(request.user!, id.toLowerCase(), Number(postId), on === 'on')
    if (!done) return reply.sendError(404, 'errors.notFound.message', { back: { href: `/admin/campaigns/${id}#networks`, labelKey: 'admin.listening.heading' } })
    await deps.dashboardHub.invalidate(id.toLowerCase())
    reply.flash({ type: 'success', key: on === 'on' ? 'admin.listening.selection.added' : 'admin.listening.selection.removed' })
    return reply.redirect(`/admin/campaigns/${id}#networks`, 303)
  })
}
