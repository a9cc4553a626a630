import pg from 'pg'
import { Redis } from 'ioredis'

const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres'

/** The server/admin connection: DATABASE_URL if set, else the local PostgreSQL. */
export function adminUrl (): string {
  return process.env.DATABASE_URL || DEFAULT_DATABASE_URL
}

/** The URL of a scratch database on the same server as adminUrl(). */
export function databaseUrl (name: string): string {
  const u = new URL(adminUrl())
  u.pathname = `/${name}`
  return u.toString()
}

/** The Redis the app and the bench use: REDIS_URL if set, else the local one. */
export function redisUrl (): string {
  return process.env.REDIS_URL || 'redis://127.0.0.1:6379'
}

async function admin<T> (fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl() })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

/** Drops (closing its connections) and creates an empty database. */
export async function recreateDatabase (name: string): Promise<void> {
  await admin(async (c) => {
    await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
    await c.query(`CREATE DATABASE "${name}"`)
  })
}

/** Flushes PostgreSQL's dirty pages now, so a checkpoint does not land in the middle of one measurement only. */
export async function checkpoint (): Promise<void> {
  await admin(async (c) => { await c.query('CHECKPOINT') })
}

/** Drops a database, closing its connections. */
export async function dropDatabase (name: string): Promise<void> {
  await admin(async (c) => { await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) })
}

// The actions table of migrations/0000_init.sql: same columns and types, the idempotency unique index and the
// partial "untallied" index (no foreign keys, no created_at index).
const BASELINE_SCHEMA = `
  CREATE TYPE channel AS ENUM ('x', 'bluesky', 'mastodon', 'threads', 'email', 'bottle');
  CREATE TABLE actions (
    id bigserial PRIMARY KEY NOT NULL,
    campaign_id uuid NOT NULL,
    target_id uuid NOT NULL,
    message_id uuid,
    channel channel NOT NULL,
    locale text NOT NULL,
    text text NOT NULL,
    ref text,
    key uuid NOT NULL,
    tallied boolean DEFAULT false NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
  );
  CREATE UNIQUE INDEX actions_idempotency_idx ON actions USING btree (campaign_id, key, target_id, channel);
  CREATE INDEX actions_untallied_idx ON actions USING btree (campaign_id, id) WHERE NOT tallied;`

/** Creates the baseline's actions table in a scratch database. */
export async function createBaselineSchema (url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query(BASELINE_SCHEMA)
  } finally {
    await client.end()
  }
}

/** Deletes every Redis key under prefix (BullMQ queues, rate limits); returns how many. */
export async function cleanRedisPrefix (prefix: string): Promise<number> {
  const redis = new Redis(redisUrl(), { lazyConnect: true, maxRetriesPerRequest: 1 })
  redis.on('error', () => {})
  let deleted = 0
  try {
    await redis.connect()
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500)
      cursor = next
      if (keys.length) deleted += await redis.del(...keys)
    } while (cursor !== '0')
  } finally {
    redis.disconnect()
  }
  return deleted
}
