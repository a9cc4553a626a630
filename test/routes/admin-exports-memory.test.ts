import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, fullGc, listen, seedCampaign, signIn, type SeededCampaign, type SignedIn } from '../helper.ts'

const ROWS = 1_000_000
const MiB = 1024 * 1024

describe('admin: exports stream a million actions with flat memory', () => {
  let t: Awaited<ReturnType<typeof buildTestApp>>
  let c: SeededCampaign
  let editor: SignedIn
  let url: string

  beforeAll(async () => {
    t = await buildTestApp()
    c = await seedCampaign(t.deps)
    editor = await signIn(t.deps, 'editor')
    // A million rows over the three targets, six channels and a week, ~50 characters of text each, inserted by two
    // statements side by side. Setup only: the rows are valid by construction, so each session skips the per-row
    // foreign-key triggers (a superuser setting), and the keys ascend, which keeps the idempotency index cheap to fill.
    const half = ROWS / 2
    await Promise.all([0, 1].map(async (part) => {
      const client = await t.deps.pool.connect()
      try {
        await client.query("SET session_replication_role = 'replica'")
        await client.query(`
          INSERT INTO actions (campaign_id, target_id, message_id, channel, locale, text, ref, key, tallied, created_at)
          SELECT $1, (ARRAY[$2, $3, $4]::uuid[])[1 + i % 3], $5::uuid,
                 (ARRAY['x', 'bluesky', 'mastodon', 'threads', 'email', 'bottle']::channel[])[1 + i % 6],
                 CASE WHEN i % 4 = 0 THEN 'en' ELSE 'fr' END,
                 '.@alice_martin financez le fonds pertes et dommages ! n°' || i || ' #tweetbouteille',
                 CASE WHEN i % 10 = 0 THEN 'partner-' || (i % 7) END,
                 lpad(to_hex(i), 32, '0')::uuid, true, timestamptz '2026-03-01T00:00:00Z' + i * interval '600 milliseconds'
          FROM generate_series($6::int, $7::int) AS i`,
        [c.id, c.targets[0]!.id, c.targets[1]!.id, c.targets[2]!.id, c.messages[0]!.id, part * half + 1, (part + 1) * half])
        await client.query("SET session_replication_role = 'origin'")
      } finally {
        client.release()
      }
    }))
    await t.deps.pool.query('ANALYZE actions')
    url = await listen(t)
  }, 180_000)
  afterAll(async () => { await t?.close() })

  it('sends exactly 1,000,000 rows through a real socket while the memory held stays flat, far below the payload', async () => {
    const held = () => { fullGc(); return process.memoryUsage().heapUsed }
    const baseline = held()
    // The heap held (after a full collection) every 100,000 rows, server and client together: it must not grow with the rows.
    const checkpoints: number[] = []
    let peak = 0

    const res = await fetch(`${url}/admin/campaigns/${c.id}/exports/actions.csv`, { headers: editor.headers })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8')
    const reader = res.body!.getReader()
    let bytes = 0
    let newlines = 0
    let head = ''
    let tail = Buffer.alloc(0)
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      bytes += value.byteLength
      if (head.length < 400) head += Buffer.from(value.subarray(0, 400)).toString('utf8')
      // Every record ends with CRLF and no text here holds a line break: one LF per row, the header included.
      const before = newlines
      for (let i = 0; i < value.length; i++) if (value[i] === 10) newlines++
      tail = Buffer.from(value.subarray(Math.max(0, value.length - 300)))
      peak = Math.max(peak, process.memoryUsage().heapUsed)
      if (Math.floor(newlines / 100_000) > Math.floor(before / 100_000)) checkpoints.push(held())
    }

    expect(newlines - 1).toBe(ROWS)
    expect(head.startsWith('\uFEFFid,created_at,target_id,target_name,channel,locale,message_id,text,ref,suspect\r\n')).toBe(true)
    expect(head).toMatch(/\r\n\d+,2026-03-01T00:00:00\.600Z,[0-9a-f-]{36},Bongani Dube,bluesky,fr,[0-9a-f-]{36},\.@alice_martin financez le fonds pertes et dommages ! n°1 #tweetbouteille,,false\r\n/)
    expect(tail.toString('utf8')).toMatch(/n°1000000 #tweetbouteille,partner-1,false\r\n$/)

    const payloadMiB = bytes / MiB
    const growth = checkpoints.map((h) => (h - baseline) / MiB)
    console.log(`actions.csv: ${ROWS} rows, ${payloadMiB.toFixed(0)} MiB streamed; heap held above the start at each 100,000 rows: ${growth.map((g) => g.toFixed(1)).join(', ')} MiB (uncollected peak +${((peak - baseline) / MiB).toFixed(0)} MiB)`)
    expect(payloadMiB).toBeGreaterThan(150)
    expect(checkpoints.length).toBeGreaterThanOrEqual(9)
    // Bounded by the few batches in flight, whatever the row count: a small fraction of the payload, and not rising.
    expect(Math.max(...growth)).toBeLessThan(32)
    expect(Math.max(...growth)).toBeLessThan(payloadMiB / 8)
    expect(growth.at(-1)! - growth[0]!).toBeLessThan(8)
  }, 120_000)
})
