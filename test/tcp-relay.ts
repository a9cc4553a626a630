import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net'

export interface TcpRelay {
  /** the upstream URL with the relay's address in its place */
  url: string
  /** drops every connection and refuses new ones, as a server gone or a network cut looks to a client */
  cut: () => Promise<void>
  /** listens again on the same port */
  restore: () => Promise<void>
}

/**
 * A TCP relay in front of a real server (PostgreSQL, Redis) that can be cut and put back: the app's own clients,
 * built on the relay's address, see the server stop answering and come back, exactly as they would in production.
 */
export async function tcpRelay (upstreamUrl: string, defaultPort: number): Promise<TcpRelay> {
  const upstream = new URL(upstreamUrl)
  const sockets = new Set<Socket>()
  let server: Server | null = null
  let port = 0
  const listen = () => new Promise<void>((resolve, reject) => {
    const s = createServer((client) => {
      const remote = connect(Number(upstream.port || defaultPort), upstream.hostname)
      for (const socket of [client, remote]) {
        sockets.add(socket)
        socket.on('error', () => {})
        socket.on('close', () => {
          client.destroy()
          remote.destroy()
          sockets.delete(socket)
        })
      }
      client.pipe(remote).pipe(client)
    })
    s.once('error', reject)
    s.listen(port, '127.0.0.1', () => {
      port = (s.address() as AddressInfo).port
      server = s
      resolve()
    })
  })
  await listen()
  const url = new URL(upstreamUrl)
  url.hostname = '127.0.0.1'
  url.port = String(port)
  return {
    url: url.toString(),
    async cut () {
      if (!server) return
      const s = server
      server = null
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => s.close(() => resolve()))
    },
    async restore () {
      if (!server) await listen()
    }
  }
}
