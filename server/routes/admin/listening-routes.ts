import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Deps } from '../../deps.ts'
import type { PostFilter } from '../../repos/network-post-repo.ts'
import { roleAtLeast } from '../../services/auth-service.ts'
import { campaignOr404, campaignTitle, str } from './content-helpers.ts'
import { campaignTabs } from './campaign-tabs.ts'
import { formatDateTime, UUID_RE } from './format.ts'

type SelectionRequest = FastifyRequest<{ Params: { id: string, postId: string }, Body: Record<string, unknown> }>
type ListRequest = FastifyRequest<{ Params: { id: string }, Querystring: Record<string, string | undefined> }>

/** Posts per page of the list of public posts. */
export const POSTS_PAGE = 50
const NETWORKS = ['bluesky', 'mastodon'] as const

interface ListQuery { network: '' | (typeof NETWORKS)[number], targetId: string, selected: boolean, before: number | null }

/** The list's filters from its query string; null when one is not valid. */
function readQuery (q: Record<string, unknown>): ListQuery | null {
  const network = str(q.network)
  const targetId = str(q.target)
  const selected = str(q.selected)
  const before = str(q.before)
  if (network && !(NETWORKS as readonly string[]).includes(network)) return null
  if (targetId && !UUID_RE.test(targetId)) return null
  if (selected && selected !== '1') return null
  if (before && !/^[1-9]\d{0,15}$/.test(before)) return null
  return { network: network as ListQuery['network'], targetId: targetId.toLowerCase(), selected: selected === '1', before: before ? Number(before) : null }
}

function queryString (q: ListQuery, before?: number | null): string {
  const p = new URLSearchParams()
  if (q.network) p.set('network', q.network)
  if (q.targetId) p.set('target', q.targetId)
  if (q.selected) p.set('selected', '1')
  if (before) p.set('before', String(before))
  const s = p.toString()
  return s ? `?${s}` : ''
}

/**
 * Listening, the team's side: every public post of the campaign, filtered and paged, and an editor keeps one in the
 * bottle's selection (or takes it out) from there or from the dashboard's feed. The settings are saved with the
 * dashboard (dashboard-routes), which shows them.
 */
export async function listeningRoutes (app: FastifyInstance, { deps }: { deps: Deps }): Promise<void> {
  const listUrl = (id: string) => `/admin/campaigns/${id}/network-posts`

  app.get('/admin/campaigns/:id/network-posts', { config: { access: 'viewer' } }, async (request: ListRequest, reply) => {
    const c = await campaignOr404(deps, request.params.id, reply)
    if (!c) return reply
    const q = readQuery(request.query)
    if (!q) return reply.sendError(400, 'admin.listening.list.badFilter', { back: { href: listUrl(c.id), labelKey: 'admin.listening.list.heading' } })
    const tr = reply.adminTranslator()
    const filter: PostFilter = { network: q.network || undefined, targetId: q.targetId || undefined, selected: q.selected, before: q.before ?? undefined }
    const [rows, counts, selectedCount, targets] = await Promise.all([
      deps.networkPostRepo.list(c.id, filter, POSTS_PAGE + 1),
      deps.networkPostRepo.counts(c.id),
      deps.networkPostRepo.selectedCount(c.id),
      deps.targetRepo.names(c.id)
    ])
    const posts = rows.slice(0, POSTS_PAGE)
    const names = new Map(targets.map((t) => [t.id, t.name]))
    const here = `${listUrl(c.id)}${queryString(q, q.before)}`
    return reply.adminView('admin/network-posts.eta', {
      tabs: campaignTabs(tr, c, 'dashboard'),
      title: tr.t('admin.listening.list.title', { campaign: campaignTitle(c, tr.locale) }),
      campaign: { id: c.id, title: campaignTitle(c, tr.locale), url: `/admin/campaigns/${c.id}` },
      canEdit: roleAtLeast(request.user!.role, 'editor'),
      listUrl: listUrl(c.id),
      here,
      query: { network: q.network, target: q.targetId, selected: q.selected },
      totals: { all: counts.get('total|') ?? 0, bluesky: counts.get('network|bluesky') ?? 0, mastodon: counts.get('network|mastodon') ?? 0, selected: selectedCount },
      targets,
      posts: posts.map((p) => ({
        ...p,
        at: formatDateTime(tr.locale, p.postedAt, c.timeZone),
        addressedTo: p.matchedTargets.map((id) => names.get(id)).filter((n): n is string => Boolean(n))
      })),
      olderUrl: rows.length > POSTS_PAGE ? `${listUrl(c.id)}${queryString(q, posts[posts.length - 1]!.id)}` : null,
      newestUrl: q.before ? `${listUrl(c.id)}${queryString(q)}` : null
    })
  })

  app.post('/admin/campaigns/:id/network-posts/:postId/selection', { config: { access: 'editor' } }, async (request: SelectionRequest, reply) => {
    const { id, postId } = request.params
    const on = request.body?.selected
    // Back where the editor was: the dashboard's feed, or a page of the list (only this campaign's list, nothing else).
    const back = str(request.body?.back)
    const to = back.startsWith(`${listUrl(id)}`) && /^\/admin\/campaigns\/[0-9a-fA-F-]{36}\/network-posts(?:\?[\w=&%-]*)?$/.test(back) ? back : `/admin/campaigns/${id}#networks`
    if (!UUID_RE.test(id) || !/^\d{1,15}$/.test(postId)) return reply.sendError(404, 'errors.notFound.message', { back: { href: '/admin', labelKey: 'admin.nav.campaigns' } })
    if (on !== 'on' && on !== 'off') return reply.sendError(400, 'errors.badRequest.message', { back: { href: to, labelKey: 'admin.listening.heading' } })
    const done = await deps.listening.select(request.user!, id.toLowerCase(), Number(postId), on === 'on')
    if (!done) return reply.sendError(404, 'errors.notFound.message', { back: { href: to, labelKey: 'admin.listening.heading' } })
    await deps.dashboardHub.invalidate(id.toLowerCase())
    reply.flash({ type: 'success', key: on === 'on' ? 'admin.listening.selection.added' : 'admin.listening.selection.removed' })
    return reply.redirect(to.includes('#') ? to : `${to}#p-${postId}`, 303)
  })
}
