import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres'
import { migrate } from 'drizzle-orm/node-postgres/migrator'
import * as schema from './schema.ts'

export type Db = NodePgDatabase<typeof schema>

const MIGRATIONS = fileURLToPath(new URL('../../migrations', import.meta.url))
// Any fixed number: every process that migrates takes the same lock, so two starts never race.
const MIGRATION_LOCK = 7_411_203_520

/** A connection pool and the drizzle handle over it; onError hears every client error (idle or in use). */
export function createDb (url: string, max = 10, onError: (err: Error) => void = () => {}): { pool: pg.Pool, db: Db } {
  const pool = new pg.Pool({ connectionString: url, max, idleTimeoutMillis: 30_000, connectionTimeoutMillis: 5_000 })
  // An idle client losing its server must not crash the process; the pool replaces it.
  pool.on('error', onError)
  // A client in use (a transaction's, drizzle's db.transaction) has no pool listener: a session ended by the server
  // between two statements would be an unhandled 'error' and stop the process. The query in flight rejects by
  // itself, and the client is discarded on release (pg marks it broken).
  pool.on('connect', (client) => { client.on('error', onError) })
  return { pool, db: drizzle(pool, { schema }) }
}

// SQLSTATE classes and codes that mean "the database is away", not "this request is wrong": 08 connection
// exception, 57P01–57P03 admin/crash shutdown and cannot connect now, 53300 too many connections
// (PostgreSQL 15 manual, Appendix A "PostgreSQL Error Codes"; checked 2026-12-04).
const UNAVAILABLE_CODES = new Set(['57P01', '57P02', '57P03', '53300', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN'])
// node-postgres reports a lost or refused session in plain messages (pg/lib/client.js, pg-pool/index.js).
const UNAVAILABLE_MESSAGE = /Connection terminated|timeout exceeded when trying to connect|not queryable|Client was closed|Connection ended/i

/** Whether an error means PostgreSQL cannot be reached now (the request may be tried again), rather than a bug. */
export function isDatabaseUnavailable (err: unknown): boolean {
  if (!err || typeof err !== 'object') return false
  const code = (err as { code?: unknown }).code
  if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || code.startsWith('08'))) return true
  const message = (err as { message?: unknown }).message
  if (typeof message === 'string' && UNAVAILABLE_MESSAGE.test(message)) return true
  // drizzle wraps the driver's error ("Failed query: …") with the original as its cause.
  const cause = (err as { cause?: unknown }).cause
  return cause !== undefined && cause !== err && isDatabaseUnavailable(cause)
}

/** Runs fn in one transaction on a client of the pool: committed when fn resolves, rolled back when it throws. */
export async function inTransaction<T> (pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect()
  let broken: Error | undefined
  try {
    await client.query('BEGIN')
    const out = await fn(client)
    await client.query('COMMIT')
    return out
  } catch (err) {
    // A session the server ended goes back to the pool destroyed, not reused.
    if (isDatabaseUnavailable(err)) broken = err as Error
    else await client.query('ROLLBACK').catch(() => {})
    throw err
  } finally {
    client.release(broken)
  }
}

/** Applies the committed SQL migrations under a PostgreSQL advisory lock. */
export async function runMigrations (pool: pg.Pool): Promise<void> {
  const client = await pool.connect()
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK])
    try {
      await migrate(drizzle(client, { schema }), { migrationsFolder: MIGRATIONS })
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK])
    }
  } finally {
    client.release()
  }
}
