import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startWorker, type RunningWorker } from '../../jobs/main.ts'
import { tallyCampaign } from '../../jobs/tally-job.ts'
import { actBody, buildTestApp, eventually, listen, pageText, seedCampaign, signIn, type SeededCampaign, type SignedIn, readEventStream } from '../helper.ts'

type TestApp = Awaited<ReturnType<typeof buildTestApp>>

/** Inserts n actions spread over the last two days (a tenth in the last hour), with channels, languages and referral codes. */
async function load (t: TestApp, c: SeededCampaign, n: number): Promise<void> {
  await t.deps.pool.query(`
    INSERT INTO actions (campaign_id, target_id, message_id, channel, locale, text, ref, key, created_at)
    SELECT $1, ($2::uuid[])[1 + (i * 7) % 3], $3, (ARRAY['x','bluesky','mastodon','threads','email','bottle'])[1 + i % 6]::channel,
           CASE WHEN i % 3 = 0 THEN 'en' ELSE 'fr' END, 'text', CASE WHEN i % 5 = 0 THEN 'partner-' || (i % 4) END, gen_random_uuid(),
           CASE WHEN i % 10 = 0 THEN now() - (i % 3600) * interval '1 second' ELSE now() - (i % 172800) * interval '1 second' END
    FROM generate_series(1, $4) AS i`, [c.id, c.targets.map((x) => x.id), c.messages[0]!.id, n])
}

async function sql<T> (t: TestApp, text: string, values: unknown[]): Promise<T[]> {
  return (await t.deps.pool.query(text, values)).rows as T[]
}

describe('campaign dashboard', () => {
  let t: TestApp
  let c: SeededCampaign
  let viewer: SignedIn
  let editor: SignedIn
  beforeAll(async () => {
    t = await buildTestApp()
    c = await seedCampaign(t.deps, { goal: 1000, closesAt: new Date(Date.now() + 86_400_000) })
    viewer = await signIn(t.deps, 'viewer')
    editor = await signIn(t.deps, 'editor')
  })
  afterAll(async () => { await t.close() })

  const get = (url: string, who?: SignedIn, lang = 'en') => t.app.inject({ url, headers: { 'accept-language': lang, ...(who?.headers ?? {}) } })

  it('shows numbers equal to SQL counts over the action rows after a load', async () => {
    await load(t, c, 3000)
    for (let i = 0; i < 5; i++) {
      const res = await t.app.inject({ method: 'POST', url: `/c/${c.slug}/act`, headers: { accept: 'application/json' }, payload: actBody(c, { channel: 'bluesky', ref: 'newsletter' }) })
      expect(res.statusCode).toBe(201)
    }
    await tallyCampaign(t.deps, c.id)
    const res = await get(`/admin/campaigns/${c.id}/dashboard.json`, viewer)
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/^application\/json/)
    const d = res.json()

    const [total] = await sql<{ n: number }>(t, 'SELECT count(*)::int AS n FROM actions WHERE campaign_id = $1', [c.id])
    expect(d.total).toBe(3005)
    expect(d.total).toBe(total!.n)
    const by = async (col: string) => Object.fromEntries((await sql<{ k: string, n: number }>(t, `SELECT ${col}::text AS k, count(*)::int AS n FROM actions WHERE campaign_id = $1 AND ${col} IS NOT NULL GROUP BY 1`, [c.id])).map((r) => [r.k, r.n]))
    expect(Object.fromEntries(d.targets.map((x: { id: string, count: number }) => [x.id, x.count]))).toEqual(await by('target_id'))
    expect(Object.fromEntries(d.channels.map((x: { key: string, count: number }) => [x.key, x.count]))).toEqual(await by('channel'))
    expect(Object.fromEntries(d.locales.map((x: { key: string, count: number }) => [x.key, x.count]))).toEqual(await by('locale'))
    expect(Object.fromEntries(d.refs.top.map((x: { key: string, count: number }) => [x.key, x.count]))).toEqual(await by('ref'))
    // The leaderboard is sorted by pressure received.
    const counts = d.targets.map((x: { count: number }) => x.count)
    expect(counts).toEqual([...counts].sort((a: number, b: number) => b - a))

    // Hour and minute buckets: the same windows counted straight from the rows.
    const hours = Object.fromEntries((await sql<{ k: string, n: number }>(t, `
      SELECT to_char(date_trunc('hour', created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD"T"HH24":00Z"') AS k, count(*)::int AS n
      FROM actions WHERE campaign_id = $1 AND created_at >= $2 GROUP BY 1`, [c.id, d.hours[0].t])).map((r) => [r.k, r.n]))
    expect(Object.fromEntries(d.hours.filter((b: { n: number }) => b.n > 0).map((b: { t: string, n: number }) => [b.t, b.n]))).toEqual(hours)
    expect(d.hours).toHaveLength(48)
    const minutes = await sql<{ n: number }>(t, 'SELECT count(*)::int AS n FROM actions WHERE campaign_id = $1 AND created_at >= $2', [c.id, d.minutes[0].t])
    expect(d.minutes.reduce((s: number, b: { n: number }) => s + b.n, 0)).toBe(minutes[0]!.n)
    expect(d.minutes).toHaveLength(60)
    expect(d.rates.lastHour).toBe(d.minutes.reduce((s: number, b: { n: number }) => s + b.n, 0))
    expect(d.rates.lastHour).toBeGreaterThan(0)

    // 3,005 actions against a goal of 1,000: the goal stepped up, and every default milestone is recorded.
    expect(d.goal).toBe(5000)
    expect(d.verdict).toBe('reached')
    expect(d.milestones.map((m: { threshold: number }) => m.threshold)).toEqual([2500, 1000, 750, 500, 250])
    expect(d.next).toMatchObject({ threshold: 5000, kind: 'step' })
  })

  it('renders the page in French and English with the same figures, linking the campaign’s other pages', async () => {
    const en = await get(`/admin/campaigns/${c.id}`, viewer, 'en')
    expect(en.statusCode).toBe(200)
    const text = pageText(en.body)
    expect(text).toContain('Are we winning?')
    expect(en.body).toMatch(/data-testid="total">3,005</)
    expect(text).toContain('Pressure by target')
    for (const path of ['edit', 'targets', 'messages', 'exports', 'bottle', 'delivery']) expect(en.body).toContain(`href="/admin/campaigns/${c.id}/${path}"`)
    expect(en.body).toMatch(/\/assets\/vendor\/uplot\/uPlot\.iife\.min\.[0-9a-f]{10}\.js/)
    const nonce = /script-src[^;]*'nonce-([^']+)'/.exec(String(en.headers['content-security-policy']))?.[1]
    expect(nonce).toBeTruthy()
    // The nonce is base64: its + and / are escaped before it goes into the pattern.
    expect(en.body).toMatch(new RegExp(`src="/assets/js/admin-dashboard\\.[0-9a-f]{10}\\.js" defer nonce="${nonce!.replace(/[+/=]/g, '\\$&')}"`))
    const fr = await get(`/admin/campaigns/${c.id}`, viewer, 'fr')
    expect(pageText(fr.body)).toContain('Est-ce qu’on gagne ?')
    expect(fr.body).toMatch(/data-testid="total">3\u202f005</)
    expect(pageText(fr.body)).toContain('25 % de l’objectif')
  })

  it('serves the self-hosted chart library and its licence', async () => {
    const js = await get('/assets/vendor/uplot/uPlot.iife.min.js')
    expect(js.statusCode).toBe(200)
    expect(js.body).toContain('uPlot')
    expect((await get('/assets/vendor/uplot/LICENSE.txt')).body).toContain('MIT')
  })

  it('answers 404 for an unknown or malformed id, and keeps strangers out', async () => {
    for (const id of ['00000000-0000-4000-8000-000000000000', 'abc', "1'; drop table actions; --", c.id + 'x']) {
      for (const suffix of ['', '/dashboard.json', '/events']) {
        const res = await get(`/admin/campaigns/${encodeURIComponent(id)}${suffix}`, viewer)
        expect(res.statusCode, `${id}${suffix}`).toBe(404)
      }
    }
    const json = await t.app.inject({ url: '/admin/campaigns/abc/dashboard.json', headers: { ...viewer.headers, accept: 'application/json' } })
    expect(json.json()).toEqual({ error: expect.any(String) })
    const stranger = await get(`/admin/campaigns/${c.id}/dashboard.json`)
    expect(stranger.statusCode).toBe(303)
    expect(stranger.headers.location).toMatch(/^\/admin\/login/)
  })

  it('lets editors change the milestone plan (viewers read it), refusing bad input with a 400 in the admin’s language', async () => {
    const form = (who: SignedIn, fields: Record<string, string>) => t.app.inject({
      method: 'POST',
      url: `/admin/campaigns/${c.id}/milestones`,
      headers: { ...who.headers, 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'fr' },
      payload: new URLSearchParams({ _csrf: who.csrf, ...fields }).toString()
    })
    expect((await form(viewer, { percents: '10' })).statusCode).toBe(403)
    const bad = await form(editor, { percents: '10, lots', counts: '0' })
    expect(bad.statusCode).toBe(400)
    expect(pageText(bad.body)).toContain('Écrivez des nombres entiers séparés par des virgules.')
    expect(bad.body).toContain('value="10, lots"')
    const ok = await form(editor, { percents: '10 %, 90', counts: '4 000, 20000', stepUps: 'on' })
    expect(ok.statusCode).toBe(303)
    expect(ok.headers.location).toBe(`/admin/campaigns/${c.id}#milestones`)
    const d = (await get(`/admin/campaigns/${c.id}/dashboard.json`, viewer)).json()
    expect(d.plan).toEqual({ percents: [10, 90], counts: [4000, 20000], stepUps: true })
    expect(d.next).toMatchObject({ threshold: 4000, kind: 'count' })
    const [audit] = await sql<{ n: number }>(t, "SELECT count(*)::int AS n FROM audit_log WHERE entity = 'milestones' AND campaign_id = $1", [c.id])
    expect(audit!.n).toBe(1)
    const page = await get(`/admin/campaigns/${c.id}`, viewer)
    expect(page.body).not.toContain('name="percents"')
    const unknown = await t.app.inject({
      method: 'POST',
      url: '/admin/campaigns/abc/milestones',
      headers: { ...editor.headers, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ _csrf: editor.csrf, percents: '10' }).toString()
    })
    expect(unknown.statusCode).toBe(404)
  })

  it('lists every campaign in the overview with a link to its dashboard and a sparkline of the last days', async () => {
    const res = await get('/admin', viewer)
    expect(res.statusCode).toBe(200)
    expect(res.body).toContain(`href="/admin/campaigns/${c.id}"`)
    const spark = /<svg class="spark"[^>]*aria-label="([^"]+)"[^>]*><path d="([^"]+)"/.exec(res.body)
    expect(spark).toBeTruthy()
    const [week] = await sql<{ n: number }>(t, "SELECT count(*)::int AS n FROM actions WHERE campaign_id = $1 AND created_at >= date_trunc('hour', now()) - interval '167 hours'", [c.id])
    expect(spark![1]).toBe(`${week!.n.toLocaleString('en-US')} actions in the last 7 days`)
    expect(spark![2]!.split('L')).toHaveLength(168)
  })

  it('splits actions by message variant from the counters, equal to the rows, each named by its words', async () => {
    const c = await seedCampaign(t.deps)
    await load(t, c, 50)
    const sends = [[1, 'x'], [1, 'bluesky'], [2, 'x'], [1, 'email']] as const
    for (const [m, channel] of sends) {
      const res = await t.app.inject({ method: 'POST', url: `/c/${c.slug}/act`, headers: { accept: 'application/json' }, payload: actBody(c, { message: c.messages[m]!.id, channel }) })
      expect(res.statusCode).toBe(201)
    }
    await tallyCampaign(t.deps, c.id)
    const d = (await get(`/admin/campaigns/${c.id}/dashboard.json`, viewer)).json()
    const rows = await sql<{ k: string, n: number }>(t, 'SELECT message_id::text AS k, count(*)::int AS n FROM actions WHERE campaign_id = $1 GROUP BY 1', [c.id])
    const counted = Object.fromEntries(d.variants.filter((v: { count: number }) => v.count > 0).map((v: { key: string, count: number }) => [v.key, v.count]))
    expect(counted).toEqual(Object.fromEntries(rows.map((r) => [r.k, r.n])))
    expect(counted[c.messages[1]!.id]).toBe(3)
    expect(counted[c.messages[0]!.id]).toBe(50)
    // Every variant offered is listed, the unsent ones at zero.
    expect(d.variants.map((v: { key: string }) => v.key).sort()).toEqual(c.messages.map((m) => m.id).sort())
    const page = await get(`/admin/campaigns/${c.id}`, viewer, 'fr')
    const table = /<table[^>]*data-field="variants"[\s\S]*?<\/table>/.exec(page.body)![0]
    expect(pageText(table)).toContain('Par formulation')
    // Named by its first 70 characters, with its language.
    expect(pageText(table)).toContain('FR · {target}, des millions de personnes comptent sur vous. {hashtags} {li… 3 5,6 %')
  })
})

/** Opens an SSE stream with a session cookie and collects its dashboard events. */
const openStream = (base: string, path: string, cookie: string) => readEventStream<{ total: number }>(base, path, { only: 'dashboard', cookie })

describe('GET /admin/campaigns/:id/events', () => {
  let t: TestApp
  let worker: RunningWorker
  beforeAll(async () => {
    t = await buildTestApp()
    worker = await startWorker(t.deps)
  })
  afterAll(async () => {
    await worker.close()
    await t.close()
  })

  it('streams the whole dashboard at once, then the new total after supporters act', async () => {
    const c = await seedCampaign(t.deps)
    const viewer = await signIn(t.deps, 'viewer')
    const base = await listen(t)
    const stranger = await fetch(`${base}/admin/campaigns/${c.id}/events`, { redirect: 'manual' })
    expect(stranger.status).toBe(303)
    const a = await openStream(base, `/admin/campaigns/${c.id}/events`, viewer.cookie)
    const b = await openStream(base, `/admin/campaigns/${c.id}/events`, viewer.cookie)
    expect(a.res.statusCode).toBe(200)
    expect(a.res.headers['content-type']).toMatch(/^text\/event-stream/)
    await eventually(async () => a.events.length >= 1 && b.events.length >= 1, 5000, 'first events')
    expect(a.events[0]).toMatchObject({ total: 0 })
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${base}/c/${c.slug}/act`, { method: 'POST', headers: { accept: 'application/json', 'content-type': 'application/json' }, body: JSON.stringify(actBody(c)) })
      expect(res.status).toBe(201)
    }
    await eventually(async () => a.events.at(-1)?.total === 3 && b.events.at(-1)?.total === 3, 10_000, 'total 3 on both streams')
    a.close()
    b.close()
    await eventually(async () => t.deps.dashboardHub.connections() === 0, 5000, 'streams closed')
  })
})
