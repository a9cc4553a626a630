import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net'
import { REDIS_URL } from './helper.ts'

/**
 * A TCP relay in front of the real Redis that can be cut and put back: the app's own client (built on the relay's
 * address) sees Redis stop answering, then come back, exactly as it would in production.
 */
export async function redisRelay (): Promise<{ url: string, cut: () => Promise<void>, restore: () => Promise<void> }> {
  const upstream = new URL(REDIS_URL)
  const sockets = new Set<Socket>()
  let server: Server | null = null
  let port = 0
  const listen = () => new Promise<void>((resolve, reject) => {
    const s = createServer((client) => {
      const redis = connect(Number(upstream.port || 6379), upstream.hostname)
      for (const socket of [client, redis]) {
        sockets.add(socket)
        socket.on('error', () => {})
        socket.on('close', () => {
          client.destroy()
          redis.destroy()
          sockets.delete(socket)
        })
      }
      client.pipe(redis).pipe(client)
    })
    s.once('error', reject)
    s.listen(port, '127.0.0.1', () => {
      port = (s.address() as AddressInfo).port
      server = s
      resolve()
    })
  })
  await listen()
  const url = new URL(REDIS_URL)
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
