import { previewMeta } from './previews.ts'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { languageName } from '../../domain/languages.ts'
import type { Deps } from '../../deps.ts'
import type { CampaignData } from '../../repos/campaign-repo.ts'
import type { WallItem } from '../../repos/bottle-repo.ts'
import { wallEventItem } from '../../services/bottle-service.ts'
import { textsFor } from './campaign-page.ts'
import type { PageBase } from './view-models.ts'
import { openEventStream } from '../event-stream.ts'

type WallRequest = FastifyRequest<{ Params: { slug: string }, Querystring: Record<string, string | undefined> }>

const SLUG_RE = /^[a-z0-9][a-z0-9-]{0,79}$/
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const LOCALE_RE = /^[a-z]{2}(?:-[A-Z]{2})?$/
/** Messages per page of the wall. */
export const WALL_PAGE = 24
// The team's picks pinned above the wall's first page.
const PINNED = 6
// Wall reads are kept this long per process: a crowd on one wall costs one query per page and filter, not one per view.
const CACHE_MS = 2_000

/** GET /c/:slug/wall */
export interface WallPageView extends PageBase {
  campaign: { slug: string, title: string, channels: readonly string[], open: boolean }
  items: Array<WallItem & { when: string, iso: string }>
  /** the team's picks, pinned above the first page (they stay in the list too, in their place by date) */
  pinned: Array<WallItem & { when: string, iso: string }>
  count: number
  targets: Array<{ id: string, name: string }>
  locales: Array<{ code: string, label: string }>
  filter: { target: string, locale: string, before: number | null }
  olderUrl: string | null
  newestUrl: string | null
  eventsUrl: string
  timeZone: string
  strings: string
}

interface WallFilter { targetId?: string, locale?: string, before?: number }

/** The public wall of the bottle: approved messages only, newest first, live over SSE. */
export async function wallRoutes (app: FastifyInstance, { deps }: { deps: Deps }): Promise<void> {
  const { catalog, bottleRepo, bottleHub, i18n } = deps
  const cache = new Map<string, { at: number, items: WallItem[], pinned: WallItem[], count: number }>()
  bottleHub.onEvent((campaignId) => {
    for (const key of cache.keys()) if (key.startsWith(`${campaignId}|`)) cache.delete(key)
  })

  async function wallCampaign (request: WallRequest, reply: FastifyReply): Promise<CampaignData | null> {
    const slug = request.params.slug
    const c = SLUG_RE.test(slug) ? await catalog.get(slug) : null
    // As the campaign page: a draft does not exist for the public.
    if (!c || c.status === 'draft') {
      await reply.sendError(404, 'errors.notFound.message', { back: { href: '/', labelKey: 'errors.home' } })
      return null
    }
    return c
  }

  /** The filters from the query string, or the error to answer 400 with. */
  function readFilter (q: Record<string, string | undefined>, withBefore: boolean): WallFilter | null {
    const f: WallFilter = {}
    if (q.target) {
      if (!UUID_RE.test(q.target)) return null
      f.targetId = q.target.toLowerCase()
    }
    if (q.locale) {
      if (!LOCALE_RE.test(q.locale)) return null
      f.locale = q.locale
    }
    if (withBefore && q.before) {
      if (!/^[1-9]\d{0,15}$/.test(q.before)) return null
      f.before = Number(q.before)
    }
    return f
  }

  async function read (c: CampaignData, f: WallFilter): Promise<{ items: WallItem[], pinned: WallItem[], count: number }> {
    const key = `${c.id}|${f.targetId ?? ''}|${f.locale ?? ''}|${f.before ?? ''}`
    const hit = cache.get(key)
    if (hit && Date.now() - hit.at < CACHE_MS) return hit
    const [items, count, pinned] = await Promise.all([
      bottleRepo.wall(c.id, f, WALL_PAGE),
      bottleRepo.wallCount(c.id, { targetId: f.targetId, locale: f.locale }),
      f.before ? Promise.resolve([]) : bottleRepo.wallFeatured(c.id, { targetId: f.targetId, locale: f.locale }, PINNED)
    ])
    if (cache.size > 1_000) cache.clear()
    const entry = { at: Date.now(), items, pinned, count }
    cache.set(key, entry)
    return entry
  }

  function query (f: WallFilter, locale?: string, before?: number): string {
    const p = new URLSearchParams(locale ? { lang: locale } : {})
    if (f.targetId) p.set('target', f.targetId)
    if (f.locale) p.set('locale', f.locale)
    if (before) p.set('before', String(before))
    return p.toString()
  }

  app.get('/c/:slug/wall', async (request: WallRequest, reply) => {
    const c = await wallCampaign(request, reply)
    if (!c) return reply
    const f = readFilter(request.query, true)
    if (!f) return reply.sendError(400, 'errors.badRequest.message', { back: { href: `/c/${c.slug}/wall`, labelKey: 'errors.back' }, fallbackLocale: c.defaultLocale })
    // Subscribed once per process: a moderation drops this process's cached reads of the campaign's wall.
    await bottleHub.ready()
    const { items: rows, pinned, count } = await read(c, f)
    const more = rows.length > WALL_PAGE
    const items = rows.slice(0, WALL_PAGE)
    if (request.wantsJson()) {
      return reply.header('cache-control', 'no-cache').send({ items: items.map(wallEventItem), count, before: more ? items[items.length - 1]!.id : null })
    }
    const tr = i18n.translator(request.campaignLocale(c))
    const texts = textsFor(c, tr.locale)
    const when = new Intl.DateTimeFormat(tr.locale, { day: 'numeric', month: 'long', hour: '2-digit', minute: '2-digit', timeZone: c.timeZone })
    const strings = {
      to: tr.t('bottle.wall.to'),
      anonymous: tr.t('bottle.wall.anonymous'),
      featured: tr.t('bottle.wall.featured'),
      newOne: tr.t('bottle.wall.newOne'),
      removedOne: tr.t('bottle.wall.removedOne'),
      unitOne: tr.t('bottle.wall.countUnit', { count: 1 }),
      unitOther: tr.t('bottle.wall.countUnit', { count: 2 })
    }
    const locales = [...new Set([...Object.keys(c.texts), ...(f.locale ? [f.locale] : [])])].sort()
    const view: WallPageView = {
      ...reply.pageBase(tr, {
        title: tr.t('bottle.wall.title', { campaign: texts.title }),
        ...previewMeta({ publicUrl: deps.config.publicUrl, cards: deps.cards, campaign: c, progress: (await deps.progressHub.get(c.id))?.progress, tr, page: '/wall' }),
        description: tr.t('bottle.wall.description'),
        languages: c.languages
      }),
      campaign: { slug: c.slug, title: texts.title, channels: c.channels, open: deps.actionService.closedReason(c) === null },
      items: items.map((m) => ({ ...m, when: when.format(m.createdAt), iso: m.createdAt.toISOString() })),
      pinned: pinned.map((m) => ({ ...m, when: when.format(m.createdAt), iso: m.createdAt.toISOString() })),
      count,
      targets: c.targets.map((t) => ({ id: t.id, name: t.name })),
      locales: locales.map((code) => ({ code, label: languageName(code, tr.locale) })),
      filter: { target: f.targetId ?? '', locale: f.locale ?? '', before: f.before ?? null },
      olderUrl: more ? `/c/${c.slug}/wall?${query(f, tr.locale, items[items.length - 1]!.id)}` : null,
      newestUrl: f.before ? `/c/${c.slug}/wall?${query(f, tr.locale)}` : null,
      eventsUrl: `/c/${c.slug}/wall/events?${query(f)}`,
      timeZone: c.timeZone,
      strings: JSON.stringify(strings)
    }
    return reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8').view('public/wall.eta', view)
  })

  app.get('/c/:slug/wall/events', { config: { eventStream: true } }, async (request: WallRequest, reply) => {
    const c = await wallCampaign(request, reply)
    if (!c) return reply
    const f = readFilter(request.query, false)
    if (!f) return reply.sendError(400, 'errors.badRequest.message')
    await bottleHub.ready()
    const unsubscribe = bottleHub.subscribe(c.id, { targetId: f.targetId, locale: f.locale, ...openEventStream(reply, ': open\n\n') })
    request.raw.once('close', unsubscribe)
  })
}
