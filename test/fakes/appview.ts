import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A local AppView: com.atproto.identity.resolveHandle and app.bsky.actor.getProfiles over a small directory. */
export async function startFakeAppview (people: Array<{ handle: string, did: string, displayName?: string }>) {
  const requests: string[] = []
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    requests.push(url.pathname)
    res.setHeader('content-type', 'application/json')
    if (url.pathname === '/xrpc/com.atproto.identity.resolveHandle') {
      const p = people.find((x) => x.handle === url.searchParams.get('handle'))
      if (!p) { res.statusCode = 400; res.end(JSON.stringify({ error: 'InvalidRequest', message: 'Unable to resolve handle' })); return }
      res.end(JSON.stringify({ did: p.did }))
      return
    }
    if (url.pathname === '/xrpc/app.bsky.actor.getProfiles') {
      const actors = url.searchParams.getAll('actors')
      res.end(JSON.stringify({ profiles: people.filter((p) => actors.includes(p.did)).map((p) => ({ did: p.did, handle: p.handle, displayName: p.displayName ?? '' })) }))
      return
    }
    res.statusCode = 404
    res.end(JSON.stringify({ error: 'MethodNotImplemented' }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    people,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) })
  }
}
