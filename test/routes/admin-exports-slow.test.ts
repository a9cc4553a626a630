import { request as httpRequest } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, fullGc, listen, seedCampaign, signIn, type SeededCampaign, type SignedIn } from '../helper.ts'

const ROWS = 300_000
const MiB = 1024 * 1024

describe('admin: an export pulled by a slow client', () => {
  let t: Awaited<ReturnType<typeof buildTestApp>>
  let c: SeededCampaign
  let editor: SignedIn
  let url: string

  beforeAll(async () => {
    t = await buildTestApp()
    c = await seedCampaign(t.deps)
    editor = await signIn(t.deps, 'editor')
    await t.deps.pool.query(`
      INSERT INTO actions (campaign_id, target_id, message_id, channel, locale, text, key, tallied)
      SELECT $1, $2, $3, 'x', 'fr', repeat('Financez le fonds pertes et dommages ! ', 4) || i, gen_random_uuid(), true
      FROM generate_series(1, ${ROWS}) AS i`, [c.id, c.targets[0]!.id, c.messages[0]!.id])
    url = await listen(t)
  }, 120_000)
  afterAll(async () => { await t?.close() })

  it('holds the process’s resident memory (Buffers included, which the heap does not show) far below the payload', async () => {
    // Resident memory after a full collection, less the heap pages V8 keeps reserved but empty (which grow and shrink
    // with no relation to what is held); Buffers and sockets' queues, which the heap does not show, stay counted.
    const rss = () => {
      fullGc()
      const m = process.memoryUsage()
      return m.rss - (m.heapTotal - m.heapUsed)
    }
    const baseline = rss()
    let peak = baseline
    const sampler = setInterval(() => { peak = Math.max(peak, rss()) }, 500)
    // The client takes 64 KiB, then waits: about 12 MiB/s, far slower than the server could write.
    const bytes = await new Promise<number>((resolve, reject) => {
      httpRequest(`${url}/admin/campaigns/${c.id}/exports/actions.csv`, { headers: editor.headers }, (res) => {
        expect(res.statusCode).toBe(200)
        let n = 0
        let taken = 0
        res.on('data', (chunk: Buffer) => {
          n += chunk.length
          taken += chunk.length
          if (taken >= 64 * 1024) {
            taken = 0
            res.pause()
            setTimeout(() => res.resume(), 5)
          }
        })
        res.on('end', () => resolve(n))
        res.on('error', reject)
      }).on('error', reject).end()
    })
    clearInterval(sampler)
    const payload = bytes / MiB
    const growth = (peak - baseline) / MiB
    console.log(`actions.csv to a slow client: ${payload.toFixed(0)} MiB; resident memory +${growth.toFixed(1)} MiB at most`)
    expect(payload).toBeGreaterThan(45)
    // Unbounded, the server would hold what the client has not read yet: close to the whole payload.
    expect(growth).toBeLessThan(payload / 2)
  }, 60_000)
})
