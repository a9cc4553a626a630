import { matchMastodonStatus, newerId, nextPollAt, normalizeAcct, RECHECK_RESERVE, RECHECK_SOURCE, RECHECKS_PER_INSTANCE, statusText, type MastodonStatus } from '../server/domain/listening.ts'
import { getJson, type JsonAnswer } from '../server/infra/outbound.ts'
import type { NetworkPostRepo, NewPost, StoredPost } from '../server/repos/network-post-repo.ts'
import type { ListenedCampaign } from '../server/services/listening-watch.ts'

/** The cursor row's name of one instance and tag. */
export const mastodonSource = (instance: string, tag: string): string => `mastodon:${instance}:${tag}`

const PAGE = 40

/**
 * Polls Mastodon tag timelines (GET /api/v1/timelines/tag/:hashtag, https://docs.joinmastodon.org/methods/timelines/#tag,
 * checked 2026-12-04) for every instance and hashtag the campaigns watch. It reads forward with `min_id` (statuses
 * immediately newer than the cursor, so a burst is read page by page without a gap; `since_id` would return only the
 * newest page) and keeps the cursor per instance and tag in PostgreSQL with the posts it covers. Each source is claimed
 * in PostgreSQL before it is asked, so several workers never poll the same one; the next poll time follows the
 * instance's rate-limit headers, Retry-After and errors (nextPollAt). Stored statuses are asked for again, often while
 * young and daily later (RECHECK_TIERS, GET /api/v1/statuses/:id): an edit updates the text, a 404 or 410 removes the post.
 */
export function createMastodonPoller ({ repo, campaigns, allowHosts, onPosts, onError, intervalMs = 60_000, tickMs = 2_000, scheme = 'https', recheckIntervalMs = 60_000 }: {
  repo: Pick<NetworkPostRepo, 'applyBatch' | 'claimSource' | 'saveCursor' | 'dueForRecheck' | 'updateText' | 'markChecked'>
  campaigns: () => ListenedCampaign[]
  allowHosts: readonly string[]
  onPosts: (inserted: StoredPost[], deleted: StoredPost[], edited?: string[]) => void
  onError: (key: string, message: string) => void
  /** the usual time between two polls of one instance and tag */
  intervalMs?: number
  tickMs?: number
  /** 'http' only for instances in OUTBOUND_ALLOW_HOSTS (tests, development) */
  scheme?: 'https' | 'http'
  /** time between the starts of two re-check rounds, across all workers */
  recheckIntervalMs?: number
}) {
  const failures = new Map<string, number>()
  let timer: NodeJS.Timeout | null = null
  let running: Promise<void> | null = null

  const base = (instance: string): string => `${scheme === 'http' && allowHosts.includes(instance.split(':')[0]!) ? 'http' : 'https'}://${instance}`

  async function pollOne (instance: string, tag: string, watchers: ListenedCampaign[]): Promise<void> {
    const source = mastodonSource(instance, tag)
    const claim = await repo.claimSource(source, 5 * 60_000)
    if (!claim) return
    const params = new URLSearchParams({ limit: String(PAGE) })
    if (claim.cursor) params.set('min_id', claim.cursor)
    const now = Date.now()
    let answer: JsonAnswer
    try {
      answer = await getJson(`${base(instance)}/api/v1/timelines/tag/${encodeURIComponent(tag)}?${params}`, { allowHosts, timeoutMs: 15_000 })
    } catch (err) {
      const n = failures.get(source) ?? 0
      failures.set(source, n + 1)
      const next = nextPollAt({ status: 0, headers: {}, now, intervalMs, failures: n })
      await repo.saveCursor({ source, status: next.state, lastError: (err as Error).message.slice(0, 300), nextPollAt: new Date(next.at) })
      onError(`mastodon:${instance}`, `listening (Mastodon ${instance}): ${(err as Error).message}`)
      return
    }
    const n = answer.status === 200 ? 0 : failures.get(source) ?? 0
    failures.set(source, answer.status === 200 ? 0 : n + 1)
    const next = nextPollAt({ status: answer.status, headers: answer.headers, now, intervalMs, failures: n })
    if (answer.status !== 200 || !Array.isArray(answer.body)) {
      const why = answer.status === 200 ? 'the answer is not a list of statuses' : `HTTP ${answer.status}`
      await repo.saveCursor({ source, status: answer.status === 200 ? 'error' : next.state, lastError: why, nextPollAt: new Date(next.at) })
      return
    }
    const statuses = (answer.body as MastodonStatus[]).filter((s) => s && typeof s.id === 'string' && typeof s.uri === 'string' && s.account && typeof s.account.acct === 'string')
    let cursor = claim.cursor
    const inserts: NewPost[] = []
    for (const s of statuses) {
      if (newerId(s.id, cursor)) cursor = s.id
      // Public and unlisted statuses only; a boost is the original's status, seen on its own.
      if (s.reblog || (s.visibility && s.visibility !== 'public' && s.visibility !== 'unlisted')) continue
      // The link the team follows: the status's web page, else its uri, over https only (a remote server writes these).
      const link = [s.url, s.uri].find((u): u is string => typeof u === 'string' && /^https:\/\/[^\s"<>]+$/.test(u))
      if (!link) continue
      for (const m of matchMastodonStatus(s, instance, watchers)) {
        inserts.push({
          campaignId: m.campaignId,
          network: 'mastodon',
          uri: s.uri,
          url: link,
          authorHandle: normalizeAcct(s.account.acct, instance) ?? s.account.acct,
          authorName: (s.account.display_name ?? '').slice(0, 200),
          text: statusText(s.content ?? '').slice(0, 5000),
          language: s.language?.slice(0, 35) ?? null,
          postedAt: new Date(s.created_at).toISOString(),
          matchedTags: m.tags,
          matchedTargets: m.targetIds,
          sourceInstance: instance,
          sourceId: s.id
        })
      }
    }
    // A full page: more are waiting, read the next one soon (still within the rate limit).
    const at = statuses.length >= PAGE && next.state === 'ok' ? Math.min(next.at, now + tickMs) : next.at
    const { inserted } = await repo.applyBatch({ inserts, cursor: { source, cursor, status: 'ok', lastError: null, nextPollAt: new Date(at), lastEventAt: statuses.length ? new Date() : undefined } })
    if (inserted.length) onPosts(inserted, [])
  }

  /**
   * Asks for the statuses due again (RECHECK_TIERS), instances in parallel, one request at a time per instance. An
   * instance whose remaining rate limit falls under RECHECK_RESERVE, or that answers 429, 5xx or not at all, is left
   * for this round: what it was not asked stays due and comes first next time.
   */
  async function recheck (): Promise<void> {
    // One round at a time across the workers (two would ask the same statuses): claimed for 5 minutes at most, then
    // due again recheckIntervalMs after it began.
    const started = Date.now()
    if (!await repo.claimSource(RECHECK_SOURCE, 5 * 60_000)) return
    let failed: string | null = null
    try {
      await recheckRound()
    } catch (err) {
      failed = (err as Error).message.slice(0, 300)
      throw err
    } finally {
      await repo.saveCursor({ source: RECHECK_SOURCE, status: failed ? 'error' : 'ok', lastError: failed, nextPollAt: new Date(started + recheckIntervalMs), lastEventAt: failed ? undefined : new Date() })
    }
  }

  async function recheckRound (): Promise<void> {
    const byInstance = new Map<string, Array<{ uri: string, sourceId: string }>>()
    for (const p of await repo.dueForRecheck(RECHECKS_PER_INSTANCE)) byInstance.set(p.sourceInstance, [...(byInstance.get(p.sourceInstance) ?? []), p])
    const deletes: string[] = []
    const checked: string[] = []
    const edited: string[] = []
    await Promise.all([...byInstance].map(async ([instance, due]) => {
      for (const p of due) {
        let res: JsonAnswer
        try {
          res = await getJson(`${base(instance)}/api/v1/statuses/${encodeURIComponent(p.sourceId)}`, { allowHosts, timeoutMs: 10_000 })
        } catch (err) {
          onError(`mastodon:${instance}`, `listening (Mastodon ${instance} re-check): ${(err as Error).message}`)
          return
        }
        if (res.status === 404 || res.status === 410) deletes.push(p.uri)
        else if (res.status === 200 && res.body && typeof (res.body as MastodonStatus).content === 'string') {
          const s = res.body as MastodonStatus
          if (s.edited_at) edited.push(...await repo.updateText(p.uri, statusText(s.content).slice(0, 5000), s.language?.slice(0, 35) ?? null))
          else checked.push(p.uri)
        } else if (res.status === 429 || res.status >= 500) return
        // Anything else (401/403 of an instance that hides statuses, a body that is not a status): asked again next tier.
        else checked.push(p.uri)
        const remaining = Number(res.headers['x-ratelimit-remaining'])
        if (Number.isFinite(remaining) && remaining < RECHECK_RESERVE) return
      }
    }))
    await repo.markChecked(checked)
    if (deletes.length) {
      const { deleted } = await repo.applyBatch({ deletes })
      onPosts([], deleted, edited)
    } else if (edited.length) onPosts([], [], edited)
  }

  async function tick (): Promise<void> {
    const list = campaigns()
    // One poll per instance and tag, whatever the number of campaigns sharing them.
    const sources = new Map<string, { instance: string, tag: string, watchers: ListenedCampaign[] }>()
    for (const c of list) {
      for (const instance of c.instances) {
        for (const tag of c.tags) {
          const key = `${instance} ${tag}`
          const s = sources.get(key) ?? { instance, tag, watchers: [] }
          s.watchers.push(c)
          sources.set(key, s)
        }
      }
    }
    // Instances in parallel, one request at a time per instance.
    const byInstance = new Map<string, Array<{ tag: string, watchers: ListenedCampaign[] }>>()
    for (const s of sources.values()) byInstance.set(s.instance, [...(byInstance.get(s.instance) ?? []), s])
    await Promise.all([...byInstance].map(async ([instance, list]) => {
      for (const s of list) {
        try {
          await pollOne(instance, s.tag, s.watchers)
        } catch (err) {
          onError('mastodon', `listening (Mastodon ${instance}): ${(err as Error).message}`)
        }
      }
    }))
    await recheck().catch((err: Error) => onError('mastodon-recheck', `listening (Mastodon re-check): ${err.message}`))
  }

  return {
    /** One round now (every due source), then one every tickMs. */
    start (): void {
      const loop = (): void => {
        running = tick().catch((err: Error) => onError('mastodon', `listening (Mastodon): ${err.message}`)).finally(() => {
          running = null
          if (timer !== null) timer = setTimeout(loop, tickMs)
        })
      }
      timer = setTimeout(loop, 0)
    },
    /** Runs one round and waits for it (the re-check included, when its turn has come). */
    async round (): Promise<void> { await tick() },
    async close (): Promise<void> {
      if (timer) clearTimeout(timer)
      timer = null
      await running
    }
  }
}
