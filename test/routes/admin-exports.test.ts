import { randomUUID } from 'node:crypto'
import { get as httpGet } from 'node:http'
import { parse } from 'csv-parse/sync'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Channel } from '../../server/db/schema.ts'
import { ACTION_COLUMNS, COUNT_COLUMNS } from '../../server/services/export-service.ts'
import { buildTestApp, eventually, listen, pageText, seedCampaign, signIn, type SeededCampaign, type SignedIn } from '../helper.ts'

interface Seed { at: string, target: number, channel: Channel, locale?: string, text: string, ref?: string | null, message?: number | null }

describe('admin: exports', () => {
  let t: Awaited<ReturnType<typeof buildTestApp>>
  let c: SeededCampaign
  let other: SeededCampaign
  let viewer: SignedIn
  let editor: SignedIn
  let owner: SignedIn

  // Times in UTC; the campaign's clock is Europe/Paris (UTC+1 in winter): 22:30Z on 1 March is still 1 March there, 23:30Z is 2 March.
  const seeds: Seed[] = [
    { at: '2026-02-28T10:00:00.123Z', target: 0, channel: 'x', text: '.@alice_martin fund loss and damage now! #tweetbottle', ref: 'oxfam' },
    { at: '2026-03-01T22:30:00Z', target: 0, channel: 'bluesky', text: '=HYPERLINK("https://evil.example/steal","Click me")' },
    { at: '2026-03-01T23:30:00Z', target: 1, channel: 'email', locale: 'en', text: '+33 6 12 34 56 78 call me', ref: 'partner-a' },
    { at: '2026-03-02T09:00:00Z', target: 1, channel: 'bottle', text: '-2 degrees is already too much' },
    { at: '2026-03-02T09:00:00Z', target: 2, channel: 'x', text: '@SUM(A1:A9) and a "quoted", comma\nand a new line', message: null },
    { at: '2026-03-03T12:00:00Z', target: 2, channel: 'mastodon', locale: 'en', text: 'Plain words, é and 🌍', ref: 'oxfam' },
    { at: '2026-03-05T08:15:00Z', target: 0, channel: 'x', text: '\tleading tab' }
  ]

  async function insertActions (campaign: SeededCampaign, rows: Seed[]): Promise<void> {
    for (const r of rows) {
      await t.deps.pool.query(
        `INSERT INTO actions (campaign_id, target_id, message_id, channel, locale, text, ref, key, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [campaign.id, campaign.targets[r.target]!.id, r.message === null ? null : campaign.messages[r.message ?? 0]!.id, r.channel, r.locale ?? 'fr', r.text, r.ref ?? null, randomUUID(), r.at])
    }
  }

  beforeAll(async () => {
    t = await buildTestApp()
    c = await seedCampaign(t.deps)
    other = await seedCampaign(t.deps)
    viewer = await signIn(t.deps, 'viewer')
    editor = await signIn(t.deps, 'editor')
    owner = await signIn(t.deps, 'owner')
    await insertActions(c, seeds)
    await insertActions(other, [{ at: '2026-03-02T10:00:00Z', target: 0, channel: 'x', text: 'not this campaign' }])
  })
  afterAll(async () => { await t?.close() })

  const base = (id = c.id) => `/admin/campaigns/${id}/exports`
  const get = (url: string, who?: SignedIn, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'GET', url, headers: { 'accept-language': 'en', ...(who ? who.headers : {}), ...headers } })
  const csv = (body: string) => parse(body, { bom: true }) as string[][]

  /** The action rows as SQL sees them, in the export's order, with the neutralisation the export applies. */
  async function expectedRows (where = '', values: unknown[] = []): Promise<string[][]> {
    const res = await t.deps.pool.query(
      `SELECT a.id::text, to_char(a.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at, a.target_id::text, t.name, a.channel::text, a.locale,
              coalesce(a.message_id::text, '') AS message_id, a.text, coalesce(a.ref, '') AS ref, a.suspect::text AS suspect
       FROM actions a JOIN targets t ON t.id = a.target_id WHERE a.campaign_id = $1 ${where} ORDER BY a.created_at, a.id`, [c.id, ...values])
    return res.rows.map((r) => [r.id, r.at, r.target_id, r.name, r.channel, r.locale, r.message_id, r.text, r.ref, r.suspect].map((v: string) => /^[=+\-@\t\r]/.test(v) ? `'${v}` : v))
  }

  describe('actions.csv', () => {
    it('streams every action of the campaign, in time order, with the documented columns, as a UTF-8 attachment', async () => {
      const res = await get(`${base()}/actions.csv`, editor)
      expect(res.statusCode).toBe(200)
      expect(res.headers['content-type']).toBe('text/csv; charset=utf-8')
      expect(res.headers['content-disposition']).toBe(`attachment; filename="${c.slug}-actions-${new Date().toISOString().slice(0, 10)}.csv"`)
      expect(res.headers['cache-control']).toBe('no-store')
      expect(res.rawPayload.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]))
      expect(res.body).toContain('\r\n')
      const [header, ...rows] = csv(res.body)
      expect(header).toEqual([...ACTION_COLUMNS])
      expect(rows).toEqual(await expectedRows())
      expect(rows).toHaveLength(seeds.length)
      expect(rows.map((r) => r[1])).toContain('2026-02-28T10:00:00.123Z')
      expect(res.body).not.toContain('not this campaign')
    })

    it('neutralises every cell a spreadsheet would run as a formula, and keeps the rest as typed', async () => {
      const rows = csv((await get(`${base()}/actions.csv`, editor)).body).slice(1)
      const texts = rows.map((r) => r[7])
      expect(texts).toContain('\'=HYPERLINK("https://evil.example/steal","Click me")')
      expect(texts).toContain('\'+33 6 12 34 56 78 call me')
      expect(texts).toContain('\'-2 degrees is already too much')
      expect(texts).toContain('\'@SUM(A1:A9) and a "quoted", comma\nand a new line')
      expect(texts).toContain('\'\tleading tab')
      expect(texts).toContain('Plain words, é and 🌍')
      expect(texts).toContain('.@alice_martin fund loss and damage now! #tweetbottle')
      for (const cell of rows.flat()) expect(cell).not.toMatch(/^[=+\-@\t\r]/)
      // The message id is empty when the variant is gone, the ref when there was none.
      const personal = rows.find((r) => r[7]!.includes('@SUM'))!
      expect(personal[6]).toBe('')
      expect(rows.find((r) => r[7] === 'Plain words, é and 🌍')![8]).toBe('oxfam')
    })

    it('keeps the days asked on the campaign’s clock (Europe/Paris), both included', async () => {
      const rows = (q: string) => get(`${base()}/actions.csv?${q}`, editor).then((r) => csv(r.body).slice(1))
      // 1 March in Paris ends at 23:00Z: the 22:30Z action is in, the 23:30Z one is on 2 March.
      const march1 = await rows('from=2026-03-01&to=2026-03-01')
      expect(march1.map((r) => r[1])).toEqual(['2026-03-01T22:30:00.000Z'])
      const fromMarch2 = await rows('from=2026-03-02')
      expect(fromMarch2).toEqual(await expectedRows('AND a.created_at >= $2', ['2026-03-01T23:00:00Z']))
      expect(fromMarch2.map((r) => r[1])[0]).toBe('2026-03-01T23:30:00.000Z')
      const untilMarch2 = await rows('to=2026-03-02')
      expect(untilMarch2).toEqual(await expectedRows('AND a.created_at < $2', ['2026-03-02T23:00:00Z']))
      expect(untilMarch2).toHaveLength(5)
      expect(await rows('from=2026-03-04&to=2026-03-04')).toEqual([])
    })

    it('keeps one target, one channel, or both', async () => {
      const alice = c.targets[0]!.id
      const res = await get(`${base()}/actions.csv?target=${alice}`, editor)
      expect(res.headers['content-disposition']).toContain(`-target-${alice.slice(0, 8)}-`)
      expect(csv(res.body).slice(1)).toEqual(await expectedRows('AND a.target_id = $2', [alice]))
      expect(csv((await get(`${base()}/actions.csv?channel=x`, editor)).body).slice(1)).toEqual(await expectedRows('AND a.channel = $2', ['x']))
      const both = csv((await get(`${base()}/actions.csv?channel=x&target=${alice}&from=2026-03-01`, editor)).body).slice(1)
      expect(both.map((r) => r[7])).toEqual(['\'\tleading tab'])
      // Empty values mean "all", as the form sends them.
      expect(csv((await get(`${base()}/actions.csv?from=&to=&target=&channel=`, editor)).body).slice(1)).toHaveLength(seeds.length)
    })

    it('answers a HEAD with the headers only, without logging an export', async () => {
      const before = await auditCount()
      const res = await t.app.inject({ method: 'HEAD', url: `${base()}/actions.csv`, headers: editor.headers })
      expect(res.statusCode).toBe(200)
      expect(res.headers['content-disposition']).toMatch(/^attachment; filename=".+-actions-.+\.csv"$/)
      expect(res.body).toBe('')
      expect(await auditCount()).toBe(before)
    })
  })

  describe('counts.csv', () => {
    it('has a row per target with its actions per channel and a total, then a Total row, equal to the rows', async () => {
      const res = await get(`${base()}/counts.csv`, viewer)
      expect(res.statusCode).toBe(200)
      expect(res.headers['content-disposition']).toBe(`attachment; filename="${c.slug}-counts-${new Date().toISOString().slice(0, 10)}.csv"`)
      const [header, ...rows] = csv(res.body)
      expect(header).toEqual([...COUNT_COLUMNS])
      expect(header).toEqual(['target_id', 'target_name', 'x', 'bluesky', 'mastodon', 'threads', 'email', 'bottle', 'total'])
      const sql = await t.deps.pool.query<{ target_id: string, channel: string, n: string }>(
        'SELECT target_id, channel, count(*) AS n FROM actions WHERE campaign_id = $1 GROUP BY 1, 2', [c.id])
      const expected = c.targets.map((target) => {
        const per = ['x', 'bluesky', 'mastodon', 'threads', 'email', 'bottle'].map((ch) => Number(sql.rows.find((r) => r.target_id === target.id && r.channel === ch)?.n ?? 0))
        return [target.id, target.name, ...per.map(String), String(per.reduce((a, b) => a + b, 0))]
      })
      expect(rows.slice(0, -1)).toEqual(expected)
      expect(rows.at(-1)).toEqual(['', 'Total', '3', '1', '1', '0', '1', '1', '7'])
      expect(rows[0]).toEqual([c.targets[0]!.id, 'Alice Martin', '2', '1', '0', '0', '0', '0', '3'])
    })

    it('takes the same filter, and keeps every target (zeros included) unless one is chosen', async () => {
      const rows = csv((await get(`${base()}/counts.csv?from=2026-03-02&to=2026-03-02`, viewer)).body).slice(1)
      expect(rows).toEqual([
        [c.targets[0]!.id, 'Alice Martin', '0', '0', '0', '0', '0', '0', '0'],
        [c.targets[1]!.id, 'Bongani Dube', '0', '0', '0', '0', '1', '1', '2'],
        [c.targets[2]!.id, 'Carla Souza', '1', '0', '0', '0', '0', '0', '1'],
        ['', 'Total', '1', '0', '0', '0', '1', '1', '3']
      ])
      const one = csv((await get(`${base()}/counts.csv?target=${c.targets[2]!.id}&channel=mastodon`, viewer)).body).slice(1)
      expect(one).toEqual([[c.targets[2]!.id, 'Carla Souza', '0', '0', '1', '0', '0', '0', '1'], ['', 'Total', '0', '0', '1', '0', '0', '0', '1']])
    })

    it('neutralises a target name that looks like a formula', async () => {
      const sneaky = await seedCampaign(t.deps)
      await t.deps.pool.query('UPDATE targets SET name = $1 WHERE id = $2', ['=cmd|\' /C calc\'!A0', sneaky.targets[0]!.id])
      const rows = csv((await get(`${base(sneaky.id)}/counts.csv`, viewer)).body).slice(1)
      expect(rows[0]![1]).toBe('\'=cmd|\' /C calc\'!A0')
    })
  })

  describe('osdi.json', () => {
    it('is an OSDI advocacy_campaign with one outreach per action embedded, totals agreeing with the rows', async () => {
      const res = await get(`${base()}/osdi.json`, editor)
      expect(res.statusCode).toBe(200)
      expect(res.headers['content-type']).toBe('application/hal+json; charset=utf-8')
      expect(res.headers['content-disposition']).toBe(`attachment; filename="${c.slug}-osdi-${new Date().toISOString().slice(0, 10)}.json"`)
      const doc = JSON.parse(res.body)
      expect(doc).toMatchObject({
        identifiers: [`bouteille:${c.id}`],
        origin_system: 'Bouteille',
        name: c.slug,
        title: 'Le climat n’attend pas',
        description: 'Écrivez aux négociateurs.',
        browser_url: `http://bouteille.test/c/${c.slug}`,
        total_outreaches: seeds.length,
        _links: {
          self: { href: `http://bouteille.test${base()}/osdi.json` },
          'osdi:outreaches': { href: `http://bouteille.test${base()}/osdi.json` },
          curies: [{ name: 'osdi', templated: true }]
        }
      })
      expect(doc.created_date).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
      expect(doc.targets).toBe('Alice Martin, Bongani Dube, Carla Souza')
      expect(doc.target_list).toEqual([
        { title: 'Ministre', given_name: 'Alice', family_name: 'Martin', ocdid: 'ocd-division/country:fr' },
        { title: 'Négociateur', given_name: 'Bongani', family_name: 'Dube', ocdid: 'ocd-division/country:za' },
        { title: 'Présidente', given_name: 'Carla', family_name: 'Souza', ocdid: 'ocd-division/country:br' }
      ])
      const outreaches = doc._embedded['osdi:outreaches'] as Array<Record<string, unknown>>
      expect(outreaches).toHaveLength(doc.total_outreaches)
      const sql = await expectedRows()
      expect(outreaches.map((o) => o.identifiers)).toEqual(sql.map((r) => [`bouteille:${r[0]}`]))
      // The JSON carries the text as sent: no spreadsheet here, so nothing is neutralised.
      expect(outreaches.map((o) => o.message)).toEqual(seeds.slice().sort((a, b) => a.at.localeCompare(b.at)).map((s) => s.text))
      const first = outreaches[0]!
      expect(first).toEqual({
        identifiers: [expect.stringMatching(/^bouteille:\d+$/)],
        origin_system: 'Bouteille',
        created_date: '2026-02-28T10:00:00.123Z',
        modified_date: '2026-02-28T10:00:00.123Z',
        action_date: '2026-02-28T10:00:00.123Z',
        type: 'x',
        message: '.@alice_martin fund loss and damage now! #tweetbottle',
        targets: [doc.target_list[0]],
        referrer_data: { source: 'oxfam' },
        _links: { 'osdi:advocacy_campaign': { href: `http://bouteille.test${base()}/osdi.json` } }
      })
      const email = outreaches.find((o) => o.type === 'email')!
      expect(email).toMatchObject({ subject: 'Climate can’t wait', referrer_data: { source: 'partner-a' }, targets: [doc.target_list[1]] })
      expect(outreaches.filter((o) => 'subject' in o)).toHaveLength(1)
      expect(outreaches.filter((o) => !('referrer_data' in o))).toHaveLength(4)
    })

    it('takes the filter: total_outreaches counts what is embedded, and self links to the same filter', async () => {
      const doc = JSON.parse((await get(`${base()}/osdi.json?from=2026-03-02&channel=x`, editor)).body)
      expect(doc.total_outreaches).toBe(2)
      expect(doc._embedded['osdi:outreaches'].map((o: { message: string }) => o.message)).toEqual(['@SUM(A1:A9) and a "quoted", comma\nand a new line', '\tleading tab'])
      expect(doc._links.self.href).toBe(`http://bouteille.test${base()}/osdi.json?from=2026-03-02&channel=x`)
      const none = JSON.parse((await get(`${base()}/osdi.json?from=2030-01-01`, editor)).body)
      expect(none.total_outreaches).toBe(0)
      expect(none._embedded['osdi:outreaches']).toEqual([])
    })
  })

  describe('bad filters', () => {
    const cases: Array<[string, string]> = [
      ['from=2026-02-30', '“2026-02-30” is not a date. Use the form YYYY-MM-DD'],
      ['to=yesterday', 'To: “yesterday” is not a date.'],
      ['from=01/03/2026', 'From: “01/03/2026” is not a date.'],
      ['from=2026-03-05&to=2026-03-01', 'The start date (2026-03-05) is after the end date (2026-03-01): swap them.'],
      [`target=${randomUUID()}`, 'This target is not one of this campaign’s'],
      ['target=abc', 'This target is not one of this campaign’s'],
      ['channel=fax', '“fax” is not a channel: choose one of x, bluesky, mastodon, threads, email, bottle, or all channels.'],
      ['channel=x&channel=email', 'Channel is given more than once: keep a single value.']
    ]

    it('answers 400 with the form and what to fix, on the page and on every download, never a 500', async () => {
      for (const [query, message] of cases) {
        for (const path of ['', '/actions.csv', '/counts.csv', '/osdi.json']) {
          const res = await get(`${base()}${path}?${query}`, owner)
          expect(res.statusCode, `${path}?${query}`).toBe(400)
          expect(res.headers['content-type'], `${path}?${query}`).toMatch(/^text\/html/)
          expect(res.headers['content-disposition']).toBeUndefined()
          expect(pageText(res.body), `${path}?${query}`).toContain(message)
          expect(res.body).toContain('id="form-errors"')
          expect(res.body).toContain('aria-invalid="true"')
        }
      }
    })

    it('refuses a target of another campaign', async () => {
      const res = await get(`${base()}/actions.csv?target=${other.targets[0]!.id}`, editor)
      expect(res.statusCode).toBe(400)
      expect(pageText(res.body)).toContain('This target is not one of this campaign’s')
    })

    it('keeps what was typed in the form, and speaks the admin’s language', async () => {
      const res = await get(`${base()}/actions.csv?from=2026-13-01&channel=x`, editor, { 'accept-language': 'fr' })
      expect(res.statusCode).toBe(400)
      expect(pageText(res.body)).toContain('Du : « 2026-13-01 » n’est pas une date. Utilisez la forme AAAA-MM-JJ')
      expect(res.body).toContain('value="2026-13-01"')
      expect(res.body).toMatch(/<option value="x" selected>/)
    })

    it('answers {"error"} to a client asking for JSON', async () => {
      const res = await get(`${base()}/osdi.json?channel=fax&from=nope`, editor, { accept: 'application/json' })
      expect(res.statusCode).toBe(400)
      expect(res.json().error).toContain('From: “nope” is not a date.')
      expect(res.json().error).toContain('“fax” is not a channel')
    })

    it('answers 404 for a campaign that does not exist', async () => {
      for (const path of ['', '/actions.csv', '/counts.csv', '/osdi.json']) {
        expect((await get(`/admin/campaigns/${randomUUID()}/exports${path}`, owner)).statusCode).toBe(404)
        expect((await get(`/admin/campaigns/nope/exports${path}`, owner)).statusCode).toBe(404)
      }
    })
  })

  describe('access', () => {
    it('sends a visitor without a session to the login page', async () => {
      for (const path of ['', '/actions.csv', '/counts.csv', '/osdi.json']) {
        const res = await get(`${base()}${path}`)
        expect(res.statusCode).toBe(303)
        expect(res.headers.location).toBe(`/admin/login?next=${encodeURIComponent(base() + path)}`)
      }
    })

    it('lets a viewer see the page and the counts, but not the texts supporters typed', async () => {
      expect((await get(base(), viewer)).statusCode).toBe(200)
      expect((await get(`${base()}/counts.csv`, viewer)).statusCode).toBe(200)
      expect((await get(`${base()}/actions.csv`, viewer)).statusCode).toBe(403)
      expect((await get(`${base()}/osdi.json`, viewer)).statusCode).toBe(403)
      const page = (await get(base(), viewer)).body
      expect(page).toContain(`formaction="${base()}/counts.csv"`)
      expect(page).not.toContain(`formaction="${base()}/actions.csv"`)
      expect(page).not.toContain(`formaction="${base()}/osdi.json"`)
      expect(pageText(page)).toContain('Needs the Editor role')
    })

    it('gives editors and owners the three downloads', async () => {
      for (const who of [editor, owner]) {
        for (const path of ['/actions.csv', '/counts.csv', '/osdi.json']) expect((await get(`${base()}${path}`, who)).statusCode).toBe(200)
        const page = (await get(base(), who)).body
        for (const path of ['/actions.csv', '/counts.csv', '/osdi.json']) expect(page).toContain(`formaction="${base()}${path}"`)
      }
    })
  })

  describe('the page', () => {
    it('shows what the campaign holds, the filter form in the campaign’s zone, and the three downloads explained', async () => {
      const res = await get(base(), editor)
      expect(res.statusCode).toBe(200)
      const text = pageText(res.body)
      expect(text).toContain('7 actions recorded, from Feb 28, 2026, 11:00 AM to Mar 5, 2026, 9:15 AM (Europe/Paris).')
      expect(text).toContain('Days on the campaign’s clock (Europe/Paris), both included.')
      expect(res.body).toContain('<form id="export-filter" method="get"')
      expect(res.body).toMatch(/<label class="field-label" for="f-from">From<\/label>/)
      expect(res.body).toContain('type="date"')
      for (const target of c.targets) expect(res.body).toContain(`<option value="${target.id}">${target.name}</option>`)
      for (const kind of ['Actions (CSV)', 'Counts per target and channel (CSV)', 'OSDI (JSON)']) expect(text).toContain(kind)
      for (const col of ACTION_COLUMNS) expect(res.body).toContain(`<code>${col}</code>`)
      expect(res.body).not.toContain('data-testid="matching"')
    })

    it('counts the actions a filter keeps before downloading, in French too', async () => {
      const en = await get(`${base()}?from=2026-03-02&to=2026-03-03`, editor)
      expect(pageText(en.body)).toContain('4 actions match this filter, from Mar 2, 2026, 12:30 AM to Mar 3, 2026, 1:00 PM.')
      const fr = await get(`${base()}?from=2026-03-02&to=2026-03-03&lang=fr`, editor)
      expect(pageText(fr.body)).toContain('4 actions correspondent à ce filtre, du 2 mars 2026, 00:30 au 3 mars 2026, 13:00.')
      expect(pageText(fr.body)).toContain('7 actions enregistrées')
      const none = await get(`${base()}?from=2030-01-01`, editor)
      expect(pageText(none.body)).toContain('No action matches this filter.')
      const empty = await seedCampaign(t.deps)
      expect(pageText((await get(base(empty.id), editor)).body)).toContain('No action recorded yet')
    })

    it('is linked from the campaign editor and the content tabs', async () => {
      for (const path of ['edit', 'targets', 'messages']) {
        expect((await get(`/admin/campaigns/${c.id}/${path}`, editor)).body, path).toContain(`href="${base()}"`)
      }
    })
  })

  const auditCount = async () => Number((await t.deps.pool.query("SELECT count(*) AS n FROM audit_log WHERE action = 'export'")).rows[0].n)

  describe('audit log', () => {
    it('records who exported what, with which filter', async () => {
      await t.deps.pool.query("DELETE FROM audit_log WHERE action = 'export'")
      await get(`${base()}/actions.csv?from=2026-03-01&channel=email`, editor)
      await get(`${base()}/counts.csv?target=${c.targets[1]!.id}`, viewer)
      await get(`${base()}/osdi.json?to=2026-03-02`, owner)
      await get(`${base()}/actions.csv?from=bad`, editor)
      const rows = (await t.deps.pool.query("SELECT user_email, entity, campaign_id, after FROM audit_log WHERE action = 'export' ORDER BY id")).rows
      expect(rows).toEqual([
        { user_email: editor.user.email, entity: 'actions', campaign_id: c.id, after: { name: 'actions.csv', from: '2026-03-01', to: null, target: null, channel: 'email' } },
        { user_email: viewer.user.email, entity: 'counts', campaign_id: c.id, after: { name: 'counts.csv', from: null, to: null, target: 'Bongani Dube', channel: null, actions: 2 } },
        { user_email: owner.user.email, entity: 'osdi', campaign_id: c.id, after: { name: 'osdi.json', from: null, to: '2026-03-02', target: null, channel: null, outreaches: 5 } }
      ])
      const page = pageText((await get(`/admin/audit?campaign=${c.id}`, owner)).body)
      expect(page).toContain('exported')
      expect(page).toContain('actions.csv')
      expect(page).toContain('Bongani Dube')
    })
  })

  describe('downloads cut short', () => {
    it('hands the connection back when a download is cancelled, and lets only a few run at once (503 beyond)', async () => {
      const big = await seedCampaign(t.deps)
      await t.deps.pool.query(`
        INSERT INTO actions (campaign_id, target_id, channel, locale, text, key, tallied)
        SELECT $1, $2, 'x', 'fr', repeat('a long message ', 10) || i, md5(i::text)::uuid, true FROM generate_series(1, 100000) AS i`, [big.id, big.targets[0]!.id])
      const url = await listen(t)
      const sessions = async () => Number((await t.deps.pool.query(
        "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND (state LIKE 'idle in transaction%' OR query LIKE '%ORDER BY actions.created_at%')")).rows[0].n)
      // A browser's download: the response starts, then the person cancels it (the socket is closed).
      const open = (path: string) => new Promise<{ status: number, firstChunk: () => Promise<void>, cancel: () => void }>((resolve, reject) => {
        const req = httpGet(`${url}${base(big.id)}/${path}`, { headers: editor.headers }, (res) => {
          res.pause()
          res.on('error', () => {})
          resolve({
            status: res.statusCode ?? 0,
            firstChunk: () => new Promise((resolve) => { res.once('data', () => { res.pause(); resolve() }); res.resume() }),
            cancel: () => req.destroy()
          })
        })
        req.on('error', reject)
      })
      // The pool holds 10 connections: two downloads at a time, each reading slower than the database sends.
      const first = await open('actions.csv')
      const second = await open('osdi.json')
      expect([first.status, second.status]).toEqual([200, 200])
      await first.firstChunk()
      const third = await get(`${base(big.id)}/actions.csv`, editor)
      expect(third.statusCode).toBe(503)
      expect(third.headers['retry-after']).toBe('30')
      expect(third.headers['content-disposition']).toBeUndefined()
      expect(pageText(third.body)).toContain('Other downloads are running on this server. Try again in a minute.')
      // Counts need no long-held connection: always served.
      expect((await get(`${base(big.id)}/counts.csv`, editor)).statusCode).toBe(200)
      expect(await sessions()).toBe(2)
      first.cancel()
      second.cancel()
      await eventually(async () => (await sessions()) === 0, 10_000, 'the cancelled exports to give their connections back')
      const whole = await get(`${base(big.id)}/actions.csv`, editor)
      expect(whole.statusCode).toBe(200)
      expect(csv(whole.body)).toHaveLength(100_001)
    })
  })
})
