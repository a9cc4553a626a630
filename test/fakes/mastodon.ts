import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface FakeStatus { uri: string, tags: string[], content: string, acct: string, mentions?: string[], createdAt?: string, editedAt?: string | null }

/**
 * A local Mastodon instance: GET /api/v1/timelines/tag/:hashtag with limit, max_id, since_id and min_id, newest first,
 * with Link and X-RateLimit-* headers (https://docs.joinmastodon.org/methods/timelines/#tag and
 * https://docs.joinmastodon.org/api/rate-limits/, checked 2026-12-04), GET /api/v1/statuses/:id, and switches to
 * answer 429 with Retry-After or to refuse public timelines.
 */
export async function startFakeMastodon () {
  const statuses: Array<FakeStatus & { id: string, deleted: boolean }> = []
  const requests: Array<{ path: string, query: Record<string, string>, at: number, status: number }> = []
  let nextId = 110_000_000_000_000_000n
  let limited: { count: number, retryAfter: number } | null = null
  let refuse: number | null = null
  let remaining = 300
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      requests.push({ path: url.pathname, query: Object.fromEntries(url.searchParams), at: Date.now(), status })
      res.writeHead(status, { 'content-type': 'application/json', ...headers })
      res.end(JSON.stringify(body))
    }
    const reset = new Date(Date.now() + 300_000).toISOString()
    if (limited && limited.count > 0) {
      limited.count--
      answer(429, { error: 'Too many requests' }, { 'retry-after': String(limited.retryAfter), 'x-ratelimit-limit': '300', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset })
      return
    }
    const tagMatch = /^\/api\/v1\/timelines\/tag\/([^/]+)$/.exec(url.pathname)
    if (tagMatch) {
      if (refuse) { answer(refuse, { error: 'This method requires an authenticated user' }); return }
      const tag = decodeURIComponent(tagMatch[1]!).toLowerCase()
      const limit = Math.min(Number(url.searchParams.get('limit') ?? 20), 40)
      const big = (k: string) => url.searchParams.has(k) ? BigInt(url.searchParams.get(k)!) : null
      const minId = big('min_id')
      const sinceId = big('since_id')
      const maxId = big('max_id')
      let list = statuses.filter((s) => !s.deleted && s.tags.some((t) => t.toLowerCase() === tag))
        .filter((s) => (minId === null || BigInt(s.id) > minId) && (sinceId === null || BigInt(s.id) > sinceId) && (maxId === null || BigInt(s.id) < maxId))
      // min_id: the page immediately after it (oldest first, then shown newest first); otherwise the newest page.
      list = minId !== null ? list.sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1)).slice(0, limit).reverse() : list.sort((a, b) => (BigInt(a.id) > BigInt(b.id) ? -1 : 1)).slice(0, limit)
      remaining = Math.max(0, remaining - 1)
      const base = `http://${req.headers.host}/api/v1/timelines/tag/${tag}`
      const links = list.length ? `<${base}?max_id=${list[list.length - 1]!.id}>; rel="next", <${base}?min_id=${list[0]!.id}>; rel="prev"` : ''
      answer(200, list.map((s) => entity(s, String(req.headers.host))), { ...(links ? { link: links } : {}), 'x-ratelimit-limit': '300', 'x-ratelimit-remaining': String(remaining), 'x-ratelimit-reset': reset })
      return
    }
    const statusMatch = /^\/api\/v1\/statuses\/(\d+)$/.exec(url.pathname)
    if (statusMatch) {
      const s = statuses.find((x) => x.id === statusMatch[1])
      remaining = Math.max(0, remaining - 1)
      const limits = { 'x-ratelimit-limit': '300', 'x-ratelimit-remaining': String(remaining), 'x-ratelimit-reset': reset }
      if (!s || s.deleted) { answer(404, { error: 'Record not found' }, limits); return }
      answer(200, entity(s, String(req.headers.host)), limits)
      return
    }
    answer(404, { error: 'Not found' })
  })
  const entity = (s: FakeStatus & { id: string }, host: string) => ({
    id: s.id,
    uri: s.uri,
    url: s.uri.replace('/users/', '/@').replace('/statuses/', '/'),
    created_at: s.createdAt ?? new Date().toISOString(),
    edited_at: s.editedAt ?? null,
    content: s.content,
    language: 'en',
    visibility: 'public',
    reblog: null,
    account: { acct: s.acct, display_name: s.acct.split('@')[0], username: s.acct.split('@')[0] },
    tags: s.tags.map((t) => ({ name: t.toLowerCase(), url: `https://${host}/tags/${t.toLowerCase()}` })),
    mentions: (s.mentions ?? []).map((acct) => ({ acct, username: acct.split('@')[0] }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    host: `127.0.0.1:${port}`,
    requests,
    /** A new status seen by this instance (its own id here; the uri says where it lives). */
    add (s: FakeStatus): string {
      nextId += BigInt(1 + Math.floor(Math.random() * 1000))
      const id = String(nextId)
      statuses.push({ ...s, id, deleted: false })
      return id
    },
    remove (uri: string): void { for (const s of statuses) if (s.uri === uri) s.deleted = true },
    edit (uri: string, content: string): void { for (const s of statuses) if (s.uri === uri) { s.content = content; s.editedAt = new Date().toISOString() } },
    /** The next `count` requests get 429 with Retry-After: retryAfter seconds. */
    limit (count: number, retryAfter: number): void { limited = { count, retryAfter } },
    /** What X-RateLimit-Remaining says from now on (each API request takes one). */
    setRemaining (n: number): void { remaining = n },
    /** Tag timelines answer this status (401/403/422) from now on; null serves them again. */
    refuseTimelines (status: number | null): void { refuse = status },
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) })
  }
}
