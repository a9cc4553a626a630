import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Deps } from '../../deps.ts'
import { CHALLENGE_MODES, type ChallengeMode, type Channel } from '../../db/schema.ts'
import { parseLocalDateTime } from '../../domain/campaign-rules.ts'
import { checkWindow } from '../../domain/challenge-rules.ts'
import { CHANNELS } from '../../domain/messages.ts'
import { UUID_RE } from './format.ts'

type IdRequest = FastifyRequest<{ Params: { id: string, windowId?: string } }>
type Body = Record<string, unknown>

const str = (v: unknown): string => typeof v === 'string' ? v.trim() : ''

/** Bot defence on the dashboard: the challenge's mode, and windows of sends marked (or un-marked) suspicious. */
export async function defenceRoutes (app: FastifyInstance, { deps }: { deps: Deps }): Promise<void> {
  const here = (id: string): string => `/admin/campaigns/${id}#signals`

  async function campaignOf (request: IdRequest, reply: FastifyReply) {
    const c = UUID_RE.test(request.params.id) ? await deps.campaignRepo.findById(request.params.id.toLowerCase()) : null
    if (!c) await reply.sendError(404, 'errors.notFound.message', { back: { href: '/admin', labelKey: 'admin.nav.campaigns' } })
    return c
  }

  const refuse = (reply: FastifyReply, id: string, key: string) =>
    reply.sendError(400, `admin.signals.errors.${key}`, { back: { href: here(id), labelKey: 'admin.signals.back' } })

  app.post('/admin/campaigns/:id/challenge', { config: { access: 'editor' } }, async (request: IdRequest, reply) => {
    const c = await campaignOf(request, reply)
    if (!c) return reply
    const mode = str((request.body as Body | undefined)?.mode)
    if (!(CHALLENGE_MODES as readonly string[]).includes(mode)) return refuse(reply, c.id, 'mode')
    await deps.challenge.setMode(request.user!, c.id, mode as ChallengeMode)
    await deps.dashboardHub.invalidate(c.id)
    reply.flash({ type: 'success', key: `admin.signals.mode.saved.${mode}` })
    return reply.redirect(here(c.id), 303)
  })

  app.post('/admin/campaigns/:id/suspect-windows', { config: { access: 'editor' } }, async (request: IdRequest, reply) => {
    const c = await campaignOf(request, reply)
    if (!c) return reply
    const body = (request.body ?? {}) as Body
    // Entered on the team's clocks, like the opening and closing times.
    const startsAt = parseLocalDateTime(str(body.from), c.timeZone)
    const endsAt = parseLocalDateTime(str(body.until), c.timeZone)
    const checked = checkWindow({ startsAt, endsAt }, Date.now())
    if (!checked.ok) return refuse(reply, c.id, `window.${checked.error}`)
    const target = str(body.target)
    if (target && !UUID_RE.test(target)) return refuse(reply, c.id, 'target')
    const targetId = target ? target.toLowerCase() : null
    const channel = str(body.channel)
    if (channel && !CHANNELS.includes(channel as Channel)) return refuse(reply, c.id, 'channel')
    const done = await deps.suspects.mark(request.user!, c.id, { startsAt: startsAt!, endsAt: endsAt!, targetId, channel: channel || null })
    if (!done) return refuse(reply, c.id, 'target')
    await deps.dashboardHub.invalidate(c.id)
    reply.flash({ type: 'success', key: 'admin.signals.windows.marked', vars: { count: done.actions } })
    return reply.redirect(here(c.id), 303)
  })

  app.post('/admin/campaigns/:id/suspect-windows/:windowId/unmark', { config: { access: 'editor' } }, async (request: IdRequest, reply) => {
    const c = await campaignOf(request, reply)
    if (!c) return reply
    const windowId = Number(request.params.windowId)
    const done = Number.isSafeInteger(windowId) && windowId > 0 ? await deps.suspects.unmark(request.user!, c.id, windowId) : null
    if (!done) return reply.sendError(404, 'errors.notFound.message', { back: { href: here(c.id), labelKey: 'admin.signals.back' } })
    await deps.dashboardHub.invalidate(c.id)
    reply.flash({ type: 'success', key: 'admin.signals.windows.unmarked', vars: { count: done.restored } })
    return reply.redirect(here(c.id), 303)
  })
}
