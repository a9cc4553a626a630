import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { clearRedisPrefix, createTestDatabase, testEnv } from './helper.ts'

const BIN = fileURLToPath(new URL('../server/bin.js', import.meta.url))

describe('bouteille user create --campaign', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>
  let client: pg.Client
  const prefix = `bt-${randomBytes(4).toString('hex')}`
  const run = (args: string[]) => spawnSync(process.execPath, [BIN, 'user', 'create', ...args], { env: { PATH: process.env.PATH, ...testEnv(db.url, prefix) }, encoding: 'utf8', timeout: 60_000 })
  const password = 'correct horse battery staple'

  beforeAll(async () => {
    db = await createTestDatabase()
    client = new pg.Client({ connectionString: db.url })
    await client.connect()
    await client.query("INSERT INTO campaigns (slug) VALUES ('ours-to-run'), ('shared-one'), ('not-theirs')")
  })
  afterAll(async () => {
    await client.end()
    await clearRedisPrefix(prefix)
    await db.drop()
  })

  it('creates an editor of the named campaigns only, audited', async () => {
    const res = run(['--email', 'partner@example.org', '--password', password, '--role', 'editor', '--campaign', 'ours-to-run', '--campaign', 'shared-one'])
    expect(res.stderr).toBe('')
    expect(res.status).toBe(0)
    expect(res.stdout).toContain('Created editor partner@example.org for the campaigns ours-to-run, shared-one')
    const { rows } = await client.query("SELECT u.role, u.all_campaigns, array_agg(c.slug ORDER BY c.slug) AS slugs FROM users u JOIN campaign_grants g ON g.user_id = u.id JOIN campaigns c ON c.id = g.campaign_id WHERE u.email = 'partner@example.org' GROUP BY u.id")
    expect(rows).toEqual([{ role: 'editor', all_campaigns: false, slugs: ['ours-to-run', 'shared-one'] }])
    const audit = await client.query("SELECT action, user_email, after FROM audit_log WHERE entity = 'user' ORDER BY id")
    expect(audit.rows.map((r) => r.action)).toEqual(['create', 'grants'])
    expect(audit.rows[1]).toMatchObject({ user_email: 'system', after: { email: 'partner@example.org', allCampaigns: false, campaigns: ['ours-to-run', 'shared-one'] } })
  })

  it('creates an installation-wide member without --campaign', async () => {
    expect(run(['--email', 'everywhere@example.org', '--password', password, '--role', 'viewer']).status).toBe(0)
    const { rows } = await client.query("SELECT all_campaigns, (SELECT count(*)::int FROM campaign_grants g WHERE g.user_id = u.id) AS grants FROM users u WHERE email = 'everywhere@example.org'")
    expect(rows).toEqual([{ all_campaigns: true, grants: 0 }])
  })

  it('refuses an unknown campaign or an owner limited to campaigns, creating nobody', async () => {
    const unknown = run(['--email', 'nobody@example.org', '--password', password, '--role', 'viewer', '--campaign', 'ours-to-run', '--campaign', 'no-such-thing'])
    expect(unknown.status).toBe(1)
    expect(unknown.stderr).toContain('no campaign with the address "no-such-thing"')
    const owner = run(['--email', 'nobody@example.org', '--password', password, '--role', 'owner', '--campaign', 'ours-to-run'])
    expect(owner.status).toBe(2)
    expect(owner.stderr).toContain('--campaign is for an editor or viewer')
    for (const res of [unknown, owner]) expect(res.stderr).not.toMatch(/\n\s+at /)
    const { rows } = await client.query("SELECT count(*)::int AS n FROM users WHERE email = 'nobody@example.org'")
    expect(rows[0].n).toBe(0)
  })

  it('refuses, like the web, a common password, one made of the e-mail or of a campaign name, creating nobody', async () => {
    const cases: Array<[string, string]> = [
      ['password123', 'among the most common passwords'],
      ['Refused.Member-2026', 'made of the e-mail address or a campaign name'],
      ['Ours-To-Run 2026!', 'made of the e-mail address or a campaign name'],
      ['short', '--password must be 10 to 1024 characters long']
    ]
    for (const [pw, message] of cases) {
      const res = run(['--email', 'refused.member@example.org', '--password', pw, '--role', 'editor'])
      expect(res.status).toBe(2)
      expect(res.stderr).toContain(message)
      expect(res.stderr.trim().split('\n')).toHaveLength(1)
    }
    const { rows } = await client.query("SELECT count(*)::int AS n FROM users WHERE email = 'refused.member@example.org'")
    expect(rows[0].n).toBe(0)
  })
})
