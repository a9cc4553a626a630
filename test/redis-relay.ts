import { REDIS_URL } from './helper.ts'
import { tcpRelay, type TcpRelay } from './tcp-relay.ts'

/** A TCP relay in front of the real Redis that can be cut and put back (see tcp-relay.ts). */
export function redisRelay (): Promise<TcpRelay> {
  return tcpRelay(REDIS_URL, 6379)
}
