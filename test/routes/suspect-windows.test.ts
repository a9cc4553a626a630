import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tallyCampaign } from '../../jobs/tally-job.ts'
import { actBody, buildTestApp, eventually, seedCampaign, signIn, type SeededCampaign, type SignedIn } from '../helper.ts'

type TestApp = Awaited<ReturnType<typeof buildTestApp>>

// 10:00–10:45 on the campaign's clocks (Europe/Paris), 09:00–09:45 UTC.
const IN_WINDOW = '2026-12-01T09:30:00Z'
const OUTSIDE = '2026-12-01T11:30:00Z'

describe('windows of sends marked suspicious', () => {
  let t: TestApp
  let c: SeededCampaign
  let editor: SignedIn

  beforeAll(async () => {
    t = await buildTestApp()
    c = await seedCampaign(t.deps)
    editor = await signIn(t.deps, 'editor')
  })
  afterAll(async () => { await t.close() })

  /** Records a send, then moves it to a given time (as if sent then). */
  async function send (at: string, extra: Record<string, string> = {}): Promise<string> {
    const body = actBody(c, extra)
    const res = await t.app.inject({ method: 'POST', url: `/c/${c.slug}/act`, headers: { accept: 'application/json' }, payload: body })
    expect(res.statusCode).toBe(201)
    await t.deps.pool.query('UPDATE actions SET created_at = $2 WHERE key = $1', [body.key, at])
    return body.key!
  }
  const post = (url: string, fields: Record<string, string>) => t.app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: editor.cookie, 'accept-language': 'en' },
    payload: new URLSearchParams({ _csrf: editor.csrf, ...fields }).toString()
  })
  /** The public total (progress.json, published live) once the tally has run, polled until it is n. */
  const expectTotal = async (n: number) => {
    await tallyCampaign(t.deps, c.id)
    await eventually(async () => ((await t.app.inject({ url: `/c/${c.slug}/progress.json` })).json() as { total: number }).total === n, 5000, `the public total ${n}`)
  }
  const counters = async () => (await t.deps.pool.query('SELECT dimension, key, count::int AS n FROM campaign_counts WHERE campaign_id = $1 AND count <> 0 ORDER BY 1, 2', [c.id])).rows
  /** The counters agree with a rebuild from the rows: accepted, not discounted, not suspect. */
  async function exact (): Promise<void> {
    const tallied = await counters()
    await t.deps.actionRepo.rebuild(c.id)
    expect(tallied).toEqual(await counters())
    const rows = await t.deps.pool.query('SELECT count(*)::int AS n FROM actions WHERE campaign_id = $1 AND NOT discounted AND NOT suspect', [c.id])
    await expectTotal(rows.rows[0].n)
  }
  const windows = async () => (await t.deps.pool.query('SELECT id FROM suspect_windows WHERE campaign_id = $1 ORDER BY id', [c.id])).rows.map((r) => Number(r.id))

  it('takes exactly the window\'s sends out of the public count, flags them in exports, and puts them back when un-marked', async () => {
    const t0 = c.targets[0]!.id
    const t1 = c.targets[1]!.id
    for (let i = 0; i < 3; i++) await send(IN_WINDOW, { target: t0 })
    await send(IN_WINDOW, { target: t1, channel: 'bluesky' })
    for (let i = 0; i < 2; i++) await send(OUTSIDE, { target: t0 })
    // A bottle message in the window, rejected by the team: discounted, and it must stay so.
    const rejectedKey = await send(IN_WINDOW, { channel: 'bottle', text: 'Spam spam spam pour la bouteille, encore et encore.' })
    const bottleId = (await t.deps.pool.query('SELECT b.id FROM bottle_messages b JOIN actions a ON a.id = b.action_id WHERE a.key = $1', [rejectedKey])).rows[0].id
    expect((await post(`/admin/campaigns/${c.id}/bottle/moderate`, { one: `reject:${bottleId}` })).statusCode).toBe(303)
    await expectTotal(6)
    // One more in the window that the tally has not reached yet when the window is marked.
    await send(IN_WINDOW, { target: t0, channel: 'threads' })

    const marked = await post(`/admin/campaigns/${c.id}/suspect-windows`, { from: '2026-12-01T10:00', until: '2026-12-01T10:45', target: '', channel: '' })
    expect(marked.statusCode).toBe(303)
    expect(marked.headers.location).toBe(`/admin/campaigns/${c.id}#signals`)
    // 3 + 1 + the late one leave; the rejected one was out already; the two outside stay.
    await expectTotal(2)
    await exact()
    const [first] = await windows()
    expect((await t.deps.pool.query('SELECT actions FROM suspect_windows WHERE id = $1', [first])).rows[0].actions).toBe(6)

    // Exports keep every row, the suspect ones flagged.
    const csv = (await t.app.inject({ url: `/admin/campaigns/${c.id}/exports/actions.csv`, headers: editor.headers })).body
    const lines = csv.trim().split(/\r\n/)
    expect(lines[0]).toMatch(/,ref,suspect$/)
    expect(lines.filter((l) => l.endsWith(',true'))).toHaveLength(5)
    expect(lines.filter((l) => l.endsWith(',false'))).toHaveLength(2)
    expect(lines.find((l) => l.includes(',threads,'))).toMatch(/,true$/)
    const osdi = (await t.app.inject({ url: `/admin/campaigns/${c.id}/exports/osdi.json`, headers: editor.headers })).body
    expect(osdi.split('"bouteille_suspect":true').length - 1).toBe(5)
    // The counts export follows the public count.
    const counts = (await t.app.inject({ url: `/admin/campaigns/${c.id}/exports/counts.csv`, headers: editor.headers })).body
    expect(counts).toMatch(/Total[^\r\n]*,2\r?\n?$/)

    // A second, overlapping window on one target: nothing more leaves (already suspect).
    expect((await post(`/admin/campaigns/${c.id}/suspect-windows`, { from: '2026-12-01T10:15', until: '2026-12-01T10:45', target: t1, channel: 'bluesky' })).statusCode).toBe(303)
    await expectTotal(2)
    const [, second] = await windows()

    // Un-marking the first: back in, except what the second still covers; the rejected message stays out.
    expect((await post(`/admin/campaigns/${c.id}/suspect-windows/${first}/unmark`, {})).statusCode).toBe(303)
    await expectTotal(6)
    await exact()
    expect((await post(`/admin/campaigns/${c.id}/suspect-windows/${second}/unmark`, {})).statusCode).toBe(303)
    await expectTotal(7)
    await exact()
    expect((await t.deps.pool.query('SELECT discounted FROM actions WHERE key = $1', [rejectedKey])).rows[0].discounted).toBe(true)

    const audit = await t.deps.pool.query("SELECT action, user_email, after FROM audit_log WHERE campaign_id = $1 AND entity = 'suspect_window' ORDER BY id", [c.id])
    expect(audit.rows.map((r) => r.action)).toEqual(['suspect.mark', 'suspect.mark', 'suspect.unmark', 'suspect.unmark'])
    expect(audit.rows.every((r) => r.user_email === editor.user.email)).toBe(true)
    expect(audit.rows[2].after).toEqual({ restored: 4 })
    const log = await t.app.inject({ url: `/admin/audit?campaign=${c.id}`, headers: { ...(await signIn(t.deps, 'owner')).headers, 'accept-language': 'en' } })
    expect(log.body).toContain('marked a window of sends as suspicious')
  })

  it('refuses a bad window with a clear 400, and a window of another campaign with a 404', async () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ from: '', until: '2026-12-01T10:45' }, /Enter both the start and the end/],
      [{ from: '2026-12-01T10:45', until: '2026-12-01T10:00' }, /must come after its start/],
      [{ from: '2026-12-01T10:00', until: '2099-12-01T10:00' }, /must lie in the past/],
      [{ from: '2026-10-01T10:00', until: '2026-12-01T10:00' }, /31 days at most/],
      [{ from: '2026-12-01T10:00', until: '2026-12-01T10:45', channel: 'fax' }, /Choose a channel/],
      [{ from: '2026-12-01T10:00', until: '2026-12-01T10:45', target: 'not-a-uuid' }, /not one of the campaign/]
    ]
    const other = await seedCampaign(t.deps, { slug: 'other' })
    cases.push([{ from: '2026-12-01T10:00', until: '2026-12-01T10:45', target: other.targets[0]!.id }, /not one of the campaign/])
    for (const [fields, message] of cases) {
      const res = await post(`/admin/campaigns/${c.id}/suspect-windows`, fields)
      expect(res.statusCode).toBe(400)
      expect(res.body).toMatch(message)
    }
    const theirs = await t.deps.suspects.mark(editor.user, other.id, { startsAt: new Date('2026-12-01T09:00Z'), endsAt: new Date('2026-12-01T09:45Z'), targetId: null, channel: null })
    expect((await post(`/admin/campaigns/${c.id}/suspect-windows/${theirs!.id}/unmark`, {})).statusCode).toBe(404)
    expect((await post(`/admin/campaigns/${c.id}/challenge`, { mode: 'sometimes' })).statusCode).toBe(400)
  })

  it('is for editors: a viewer may not mark a window', async () => {
    const viewer = await signIn(t.deps, 'viewer')
    const res = await t.app.inject({
      method: 'POST',
      url: `/admin/campaigns/${c.id}/suspect-windows`,
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: viewer.cookie },
      payload: new URLSearchParams({ _csrf: viewer.csrf, from: '2026-12-01T10:00', until: '2026-12-01T10:45' }).toString()
    })
    expect(res.statusCode).toBe(403)
  })
})
