import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres'
import { migrate } from 'drizzle-orm/node-postgres/migrator'
import * as schema from './schema.ts'

export type Db = NodePgDatabase<typeof schema>

const MIGRATIONS = fileURLToPath(new URL('../../migrations', import.meta.url))
// Any fixed number: every process that migrates takes the same lock, so two starts never race.
const MIGRATION_LOCK = 7_411_203_520

/** A connection pool and the drizzle handle over it. */
export function createDb (url: string, max = 10): { pool: pg.Pool, db: Db } {
  const pool = new pg.Pool({ connectionString: url, max, idleTimeoutMillis: 30_000, connectionTimeoutMillis: 5_000 })
  // An idle client losing its server must not crash the process; the pool replaces it.
  pool.on('error', () => {})
  return { pool, db: drizzle(pool, { schema }) }
}

/** Runs fn in one transaction on a client of the pool: committed when fn resolves, rolled back when it throws. */
export async function inTransaction<T> (pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect()
  try {
    await client.query('BEGIN')
    const out = await fn(client)
    await client.query('COMMIT')
    return out
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {})
    throw err
  } finally {
    client.release()
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
