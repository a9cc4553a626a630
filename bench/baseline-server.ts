// The baseline: a bare Fastify 5 server (no plugins) with GET /hello and POST /insert (one INSERT via a pg.Pool);
// GET /fixture replays fixed bytes and headers (PUT /fixture sets them): the app's page served at no cost.
// Env: PORT, DATABASE_URL (a scratch database holding the baseline actions table), DB_POOL_SIZE (default 10, as the app).
import { randomUUID } from 'node:crypto'
import Fastify from 'fastify'
import pg from 'pg'

interface InsertBody { target?: string, message?: string, key?: string, channel?: string }

const CAMPAIGN = randomUUID()
// About the length of a rendered demo message.
const TEXT = '.@decision_maker the countries that polluted least are paying the most: fund loss and damage now, fairly and without debt. #tweetbouteille #COP http://127.0.0.1/c/tweetbouteille'

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DB_POOL_SIZE ?? 10) })
pool.on('error', () => {})
const app = Fastify({ logger: false })

app.get('/hello', async () => 'hello world')

let fixture: { headers: Record<string, string>, body: Buffer } = { headers: {}, body: Buffer.alloc(0) }
app.put<{ Body: { headers: Record<string, string>, body: string } }>('/fixture', { bodyLimit: 4 * 1024 * 1024 }, async (request, reply) => {
  fixture = { headers: request.body.headers, body: Buffer.from(request.body.body, 'base64') }
  return reply.code(204).send()
})
app.get('/fixture', async (_request, reply) => reply.headers(fixture.headers).send(fixture.body))

app.post<{ Body: InsertBody }>('/insert', async (request, reply) => {
  const b = request.body ?? {}
  const res = await pool.query<{ id: string }>({
    name: 'baseline-insert',
    text: `INSERT INTO actions (campaign_id, target_id, message_id, channel, locale, text, ref, key)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (campaign_id, key, target_id, channel) DO NOTHING
           RETURNING id`,
    values: [CAMPAIGN, b.target, b.message ?? null, b.channel ?? 'x', 'fr', TEXT, null, b.key]
  })
  return reply.code(201).send({ id: Number(res.rows[0]?.id ?? 0) })
})

await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' })

async function stop (): Promise<void> {
  await app.close()
  await pool.end()
  process.exit(0)
}
// Leaves with the bench: on a signal, or when the bench's IPC channel closes.
process.once('SIGTERM', () => { stop().catch(() => process.exit(1)) })
process.once('SIGINT', () => { stop().catch(() => process.exit(1)) })
process.once('disconnect', () => { stop().catch(() => process.exit(1)) })
