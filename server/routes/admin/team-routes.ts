import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Deps } from '../../deps.ts'
import type { UserRole } from '../../db/schema.ts'
import { isEmail } from '../../domain/intents.ts'
import { ROLES } from '../../services/auth-service.ts'
import { formatDateTime, UUID_RE } from './format.ts'

type Body = Record<string, unknown>
const str = (v: unknown): string => typeof v === 'string' ? v : ''
const isRole = (v: string): v is UserRole => (ROLES as readonly string[]).includes(v)
const owner = { config: { access: 'owner' as const } }

/** The team page (owner only): members and their roles, one-time invitation links, removal. Every change is audited. */
export async function teamRoutes (app: FastifyInstance, { deps }: { deps: Deps }): Promise<void> {
  const { team, access } = deps

  const teamPage = async (request: FastifyRequest, reply: FastifyReply, opts: { status?: number, error?: string, invite?: { values: { email: string, role: string, scope: string, campaigns: string[] }, errors: Record<string, string> } } = {}) => {
    const tr = reply.adminTranslator()
    const when = (d: Date | null) => d ? { text: formatDateTime(tr.locale, d), iso: d.toISOString() } : null
    const [members, invites, grants, campaigns, sessions, twoFactorRequired] = await Promise.all([team.members(), team.pendingInvites(), access.grantsByUser(), access.campaignChoices(), deps.auth.activeSessions(), deps.twoFactor.required()])
    const slugs = new Map(campaigns.map((c) => [c.id, c.slug]))
    const memberOf = new Map(members.map((m) => [m.id, m]))
    reply.code(opts.status ?? 200)
    return reply.adminView('admin/team.eta', {
      title: tr.t('admin.team.title'),
      roles: ROLES,
      members: members.map((m) => {
        const granted = new Set(m.allCampaigns ? [] : grants.get(m.id) ?? [])
        return { ...m, lastLogin: when(m.lastLoginAt), joined: when(m.createdAt), isSelf: m.id === request.user!.id, granted, grantedSlugs: [...granted].map((id) => slugs.get(id) ?? id).sort() }
      }),
      campaigns,
      invites: invites.map((i) => ({ ...i, expires: when(i.expiresAt), campaigns: i.campaignIds ? i.campaignIds.map((id) => slugs.get(id) ?? id).sort() : null })),
      sessions: sessions.map((x) => ({ ...x, email: memberOf.get(x.userId)?.email ?? '', twoFactor: memberOf.get(x.userId)?.twoFactor ?? false, current: x.id === request.user!.sessionId, created: when(x.createdAt), seen: when(x.lastSeenAt) })),
      twoFactorRequired,
      error: opts.error ?? null,
      invite: opts.invite ?? { values: { email: '', role: 'editor', scope: 'all', campaigns: [] }, errors: {} }
    })
  }

  app.get('/admin/team', owner, async (request, reply) => teamPage(request, reply))

  app.post('/admin/team/invite', owner, async (request, reply) => {
    const body = (request.body ?? {}) as Body
    const tr = reply.adminTranslator()
    const email = str(body.email).trim().slice(0, 254)
    const role = str(body.role)
    const scope = str(body.scope) || 'all'
    const ticked = [body.campaigns].flat().filter((v): v is string => typeof v === 'string').map((id) => id.toLowerCase())
    const errors: Record<string, string> = {}
    if (email && !isEmail(email)) errors.email = tr.t('admin.errors.email')
    if (!isRole(role)) errors.role = tr.t('admin.errors.role')
    const known = new Set((await access.campaignChoices()).map((c) => c.id))
    if ((scope !== 'all' && scope !== 'chosen') || !ticked.every((id) => known.has(id))) errors.campaigns = tr.t('admin.errors.grants')
    else if (scope === 'chosen' && role === 'owner') errors.campaigns = tr.t('admin.errors.ownerAllCampaigns')
    const again = { values: { email, role, scope, campaigns: ticked }, errors }
    if (Object.keys(errors).length > 0 || !isRole(role)) return teamPage(request, reply, { status: 400, invite: again })
    const created = await team.invite(request.user!, { email: email || null, role, campaignIds: scope === 'chosen' ? ticked : null })
    if (!created.ok) return teamPage(request, reply, { status: 400, invite: { ...again, errors: { email: tr.t('admin.errors.emailTaken') } } })
    const link = `${deps.config.publicUrl}/admin/invite/${created.token}`
    const expires = formatDateTime(tr.locale, created.expiresAt)
    // With SMTP_URL, an invitation for an address goes by e-mail too; a mail that fails leaves the link to copy.
    let mailed = false
    if (email && deps.mailer.enabled) {
      const vars = { role: tr.t(`admin.roles.${role}`), link, expires, from: request.user!.name || request.user!.email }
      mailed = await deps.mailer.send({ to: email, subject: tr.t('admin.team.mail.subject'), text: tr.t('admin.team.mail.body', vars) })
        .then(() => true, (err: Error) => { request.log.warn(`invitation e-mail not sent: ${err.message}`); return false })
    }
    // The link is shown once, on the page this redirect leads to; only its hash is kept.
    reply.flash({ type: 'success', key: mailed ? 'admin.team.link.mailed' : 'admin.team.link.lead', vars: { expires, email }, link })
    return reply.redirect('/admin/team', 303)
  })

  app.post('/admin/team/invites/:id/revoke', owner, async (request: FastifyRequest<{ Params: { id: string } }>, reply) => {
    const { id } = request.params
    if (!UUID_RE.test(id) || !await team.revokeInvite(request.user!, id)) return reply.sendError(404, 'admin.errors.notFound', { back: { href: '/admin/team', labelKey: 'admin.nav.team' } })
    reply.flash({ type: 'success', key: 'admin.team.flash.revoked' })
    return reply.redirect('/admin/team', 303)
  })

  // Sessions: an owner ends any member's session (a lost phone, a shared computer); its open event streams end with it.
  app.post('/admin/team/sessions/:id/end', owner, async (request: FastifyRequest<{ Params: { id: string } }>, reply) => {
    const { id } = request.params
    const ended = UUID_RE.test(id) ? await team.endSession(request.user!, id) : null
    if (!ended) return reply.sendError(404, 'admin.errors.notFound', { back: { href: '/admin/team', labelKey: 'admin.nav.team' } })
    reply.flash({ type: 'success', key: 'admin.sessions.ended', vars: { email: ended.email } })
    return reply.redirect('/admin/team', 303)
  })

  app.post('/admin/team/two-factor', owner, async (request, reply) => {
    const required = ((request.body ?? {}) as Body).required === 'on'
    await team.requireTwoFactor(request.user!, required)
    reply.flash({ type: 'success', key: required ? 'admin.sessions.required' : 'admin.sessions.optional' })
    return reply.redirect('/admin/team', 303)
  })

  app.post('/admin/team/:userId/role', owner, async (request: FastifyRequest<{ Params: { userId: string } }>, reply) => {
    const { userId } = request.params
    const tr = reply.adminTranslator()
    if (!UUID_RE.test(userId)) return reply.sendError(404, 'admin.errors.notFound', { back: { href: '/admin/team', labelKey: 'admin.nav.team' } })
    const role = str(((request.body ?? {}) as Body).role)
    if (!isRole(role)) return teamPage(request, reply, { status: 400, error: tr.t('admin.errors.role') })
    const result = await team.changeRole(request.user!, userId, role)
    if (!result.ok && result.reason === 'notFound') return reply.sendError(404, 'admin.errors.notFound', { back: { href: '/admin/team', labelKey: 'admin.nav.team' } })
    if (!result.ok) return teamPage(request, reply, { status: 409, error: tr.t('admin.errors.lastOwner') })
    const vars = { email: result.email, role: tr.t(`admin.roles.${role}`) }
    reply.flash(result.changed ? { type: 'success', key: 'admin.team.flash.roleChanged', vars } : { type: 'info', key: 'admin.team.flash.unchanged', vars })
    return reply.redirect('/admin/team', 303)
  })

  // Which campaigns a member may see: all of them, or the ones ticked (an owner always sees all).
  app.post('/admin/team/:userId/campaigns', owner, async (request: FastifyRequest<{ Params: { userId: string } }>, reply) => {
    const { userId } = request.params
    const tr = reply.adminTranslator()
    if (!UUID_RE.test(userId)) return reply.sendError(404, 'admin.errors.notFound', { back: { href: '/admin/team', labelKey: 'admin.nav.team' } })
    const body = (request.body ?? {}) as Body
    const scope = str(body.scope)
    const ticked = [body.campaigns].flat().filter((v): v is string => typeof v === 'string')
    if ((scope !== 'all' && scope !== 'chosen') || !ticked.every((id) => UUID_RE.test(id))) return teamPage(request, reply, { status: 400, error: tr.t('admin.errors.grants') })
    const result = await access.setGrants(request.user!, userId, { allCampaigns: scope === 'all', campaignIds: ticked })
    if (!result.ok && result.reason === 'notFound') return reply.sendError(404, 'admin.errors.notFound', { back: { href: '/admin/team', labelKey: 'admin.nav.team' } })
    if (!result.ok) return teamPage(request, reply, { status: 400, error: tr.t(result.reason === 'owner' ? 'admin.errors.ownerAllCampaigns' : 'admin.errors.grants') })
    reply.flash({ type: result.changed ? 'success' : 'info', key: result.changed ? 'admin.team.flash.grantsChanged' : 'admin.team.flash.grantsUnchanged', vars: { email: result.email } })
    return reply.redirect('/admin/team', 303)
  })

  app.post('/admin/team/:userId/remove', owner, async (request: FastifyRequest<{ Params: { userId: string } }>, reply) => {
    const { userId } = request.params
    if (!UUID_RE.test(userId)) return reply.sendError(404, 'admin.errors.notFound', { back: { href: '/admin/team', labelKey: 'admin.nav.team' } })
    const result = await team.remove(request.user!, userId)
    if (!result.ok && result.reason === 'notFound') return reply.sendError(404, 'admin.errors.notFound', { back: { href: '/admin/team', labelKey: 'admin.nav.team' } })
    if (!result.ok) return teamPage(request, reply, { status: 409, error: reply.adminTranslator().t('admin.errors.lastOwner') })
    reply.flash({ type: 'success', key: 'admin.team.flash.removed', vars: { email: result.email } })
    return reply.redirect('/admin/team', 303)
  })
}
