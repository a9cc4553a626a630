import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'

/** A Jetstream event as the real service sends it (https://github.com/bluesky-social/jetstream, checked 2026-12-04). */
export interface JetstreamEvent {
  did: string
  time_us: number
  kind: 'commit' | 'identity' | 'account'
  commit?: { rev: string, operation: 'create' | 'update' | 'delete', collection: string, rkey: string, record?: Record<string, unknown>, cid?: string }
}

/** The facets of a post text: a tag facet per #word and a mention facet per given DID, with their UTF-8 byte ranges. */
export function postRecord (text: string, { tags = [], mentions = [], langs = ['en'] }: { tags?: string[], mentions?: Array<{ handle: string, did: string }>, langs?: string[] } = {}): Record<string, unknown> {
  const facets: unknown[] = []
  const bytes = (s: string) => Buffer.byteLength(s, 'utf8')
  let full = text
  for (const m of mentions) full += ` @${m.handle}`
  for (const t of tags) full += ` #${t}`
  let cursor = 0
  for (const m of mentions) {
    const at = full.indexOf(`@${m.handle}`, cursor)
    facets.push({ index: { byteStart: bytes(full.slice(0, at)), byteEnd: bytes(full.slice(0, at)) + bytes(`@${m.handle}`) }, features: [{ $type: 'app.bsky.richtext.facet#mention', did: m.did }] })
    cursor = at
  }
  for (const t of tags) {
    const at = full.indexOf(`#${t}`, cursor)
    facets.push({ index: { byteStart: bytes(full.slice(0, at)), byteEnd: bytes(full.slice(0, at)) + bytes(`#${t}`) }, features: [{ $type: 'app.bsky.richtext.facet#tag', tag: t }] })
  }
  return { $type: 'app.bsky.feed.post', createdAt: new Date().toISOString(), langs, text: full, ...(facets.length ? { facets } : {}) }
}

/**
 * A local Jetstream: a WebSocket server at /subscribe speaking Jetstream's JSON events, filtering by
 * wantedCollections, and replaying from `cursor` (every event with time_us ≥ cursor) before going live.
 */
export async function startFakeJetstream () {
  const log: JetstreamEvent[] = []
  const clients = new Set<{ ws: WebSocket, collections: Set<string> }>()
  const connections: Array<{ cursor: string | null, collections: string[], compress: string | null }> = []
  let lastUs = Date.now() * 1000
  const server: Server = createServer((_req, res) => { res.statusCode = 404; res.end() })
  const wss = new WebSocketServer({ server, path: '/subscribe' })
  wss.on('error', () => {})
  wss.on('connection', (ws, req) => {
    ws.on('error', () => {})
    const url = new URL(req.url ?? '/', 'http://x')
    const collections = new Set(url.searchParams.getAll('wantedCollections'))
    const cursor = url.searchParams.get('cursor')
    connections.push({ cursor, collections: [...collections], compress: url.searchParams.get('compress') })
    const client = { ws, collections }
    if (cursor !== null) for (const e of log) if (e.time_us >= Number(cursor) && wanted(client, e)) ws.send(JSON.stringify(e))
    clients.add(client)
    ws.on('close', () => clients.delete(client))
  })
  const wanted = (c: { collections: Set<string> }, e: JetstreamEvent) => c.collections.size === 0 || (e.commit !== undefined && c.collections.has(e.commit.collection)) || e.kind !== 'commit'
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port

  function emit (e: Omit<JetstreamEvent, 'time_us'>): JetstreamEvent {
    lastUs = Math.max(lastUs + 1, Date.now() * 1000)
    const event = { ...e, time_us: lastUs } as JetstreamEvent
    log.push(event)
    const raw = JSON.stringify(event)
    for (const c of clients) if (wanted(c, event)) c.ws.send(raw)
    return event
  }

  return {
    url: `ws://127.0.0.1:${port}/subscribe`,
    port,
    log,
    connections,
    /** open subscriptions */
    clients: () => clients.size,
    /** A new post (kind commit, operation create). */
    post (did: string, rkey: string, record: Record<string, unknown>): JetstreamEvent {
      return emit({ did, kind: 'commit', commit: { rev: `r${rkey}`, operation: 'create', collection: 'app.bsky.feed.post', rkey, record, cid: `bafy${rkey}` } })
    },
    /** A deleted post (operation delete, no record). */
    remove (did: string, rkey: string): JetstreamEvent {
      return emit({ did, kind: 'commit', commit: { rev: `d${rkey}`, operation: 'delete', collection: 'app.bsky.feed.post', rkey } })
    },
    /** Any other event (a like, an identity change). */
    emit,
    /** Cuts every open subscription. */
    dropAll (): void { for (const c of clients) c.ws.terminate() },
    async close (): Promise<void> {
      for (const c of clients) c.ws.terminate()
      wss.close()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}
