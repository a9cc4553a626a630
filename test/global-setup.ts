import pg from 'pg'
import type { TestProject } from 'vitest/node'
import { createDb, runMigrations } from '../server/db/client.ts'

export const TEMPLATE_DB = 'bouteille_test_template'

/** The server the tests use: DATABASE_URL when given, else this machine's PostgreSQL. */
export function adminUrl (): string {
  return process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres'
}

export function withDatabase (url: string, name: string): string {
  const u = new URL(url)
  u.pathname = `/${name}`
  return u.toString()
}

/** Builds a migrated template database once; every test file clones it (CREATE DATABASE … TEMPLATE is a file copy). */
export default async function setup (project: TestProject): Promise<() => Promise<void>> {
  const admin = new pg.Client({ connectionString: adminUrl() })
  await admin.connect()
  await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DB} WITH (FORCE)`)
  await admin.query(`CREATE DATABASE ${TEMPLATE_DB}`)
  const { pool } = createDb(withDatabase(adminUrl(), TEMPLATE_DB), 1)
  await runMigrations(pool)
  await pool.end()
  // Leftovers of an interrupted earlier run.
  const stale = await admin.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE 'bouteille\\_t\\_%'")
  for (const { datname } of stale.rows) await admin.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`)
  await admin.end()
  project.provide('adminUrl', adminUrl())
  return async () => {
    const c = new pg.Client({ connectionString: adminUrl() })
    await c.connect()
    await c.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DB} WITH (FORCE)`)
    await c.end()
  }
}

declare module 'vitest' {
  export interface ProvidedContext { adminUrl: string }
}
