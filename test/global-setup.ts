import pg from 'pg'
import type { TestProject } from 'vitest/node'
import { createDb, runMigrations } from '../server/db/client.ts'

import { randomBytes } from 'node:crypto'

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
  // One template per run, so runs side by side on one server never touch each other's databases.
  const template = `bouteille_tpl_${randomBytes(4).toString('hex')}`
  const admin = new pg.Client({ connectionString: adminUrl() })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${template}`)
  const { pool } = createDb(withDatabase(adminUrl(), template), 1)
  await runMigrations(pool)
  await pool.end()
  await admin.end()
  project.provide('adminUrl', adminUrl())
  project.provide('templateDb', template)
  return async () => {
    const c = new pg.Client({ connectionString: adminUrl() })
    await c.connect()
    await c.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`)
    await c.end()
  }
}

declare module 'vitest' {
  export interface ProvidedContext { adminUrl: string, templateDb: string }
}
