import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { actBody, buildTestApp, eventually, pageText, seedCampaign, signIn, type SeededCampaign, type SignedIn } from '../helper.ts'
import { startSmtpSink, type SmtpSink } from '../smtp-sink.ts'

// Partners ("têtes de réseaux"): the admin, their private page, the With-partner line and Call to share (issue 14 §2, §5).
describe('partners', () => {
  let t: Awaited<ReturnType<typeof buildTestApp>>
  let sink: SmtpSink
  let c: SeededCampaign
  let other: SeededCampaign
  let owner: SignedIn
  let editor: SignedIn
  let viewer: SignedIn
  let outsider: SignedIn

  beforeAll(async () => {
    sink = await startSmtpSink()
    t = await buildTestApp({ SMTP_URL: sink.url })
    c = await seedCampaign(t.deps)
    other = await seedCampaign(t.deps)
    owner = await signIn(t.deps, 'owner')
    editor = await signIn(t.deps, 'editor')
    viewer = await signIn(t.deps, 'viewer')
    outsider = await signIn(t.deps, 'editor')
    await t.deps.access.setGrants(owner.user, outsider.user.id, { allCampaigns: false, campaignIds: [other.id] })
  })
  afterAll(async () => {
    await t.close()
    await sink.close()
  })

  const base = () => `/admin/campaigns/${c.id}/partners`
  const post = (who: SignedIn, url: string, fields: Record<string, string> = {}) => t.app.inject({
    method: 'POST', url, headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: who.cookie, 'accept-language': 'en' }, payload: new URLSearchParams({ _csrf: who.csrf, ...fields }).toString()
  })
  const get = (who: SignedIn, url: string) => t.app.inject({ url, headers: { cookie: who.cookie, 'accept-language': 'en' } })
  const partnerRow = async (code: string) => (await t.deps.pool.query('SELECT * FROM partners WHERE campaign_id = $1 AND code = $2', [c.id, code])).rows[0]
  const send = (body: Record<string, string>, json = false) => t.app.inject({
    method: 'POST',
    url: `/c/${c.slug}/act`,
    headers: json ? { accept: 'application/json' } : { 'content-type': 'application/x-www-form-urlencoded' },
    payload: json ? body : new URLSearchParams(body).toString()
  })
  /** Issues a private link and reads it from the page that shows it once (the flash after the redirect). */
  async function issueLink (code: string): Promise<string> {
    const p = await partnerRow(code)
    const res = await post(editor, `${base()}/${p.id}/link`)
    expect(res.statusCode).toBe(303)
    const flash = String(res.headers['set-cookie']).split(';')[0]!
    const page = await t.app.inject({ url: base(), headers: { cookie: `${editor.cookie}; ${flash}`, 'accept-language': 'en' } })
    const m = /value="(http[^"]+\/p\/[A-Za-z0-9_-]{43})" spellcheck="false" data-testid="partner-link"/.exec(page.body)
    expect(m, 'the link is shown once').toBeTruthy()
    return new URL(m![1]!).pathname
  }

  it('lets an editor add, change and delete partners, audited; refuses bad fields with what to fix', async () => {
    const created = await post(editor, base(), { name: 'Réseau Action Climat', code: 'rac', email: 'contact@rac.example', line_fr: 'Le RAC relaie cet appel.', line_en: 'RAC backs this call.', on_leaderboard: 'on' })
    expect(created.statusCode).toBe(303)
    const list = await get(viewer, base())
    expect(list.statusCode).toBe(200)
    expect(pageText(list.body)).toContain('Réseau Action Climat')
    expect(list.body).not.toContain('action="' + base() + '"') // a viewer sees no form
    const bad = await post(editor, base(), { name: '', code: 'has space', email: 'nope', line_fr: 'x'.repeat(141) })
    expect(bad.statusCode).toBe(400)
    const text = pageText(bad.body)
    expect(text).toContain('Enter the partner\'s name.')
    expect(text).toContain('The code may hold only letters, digits, - and _')
    expect(text).toContain('This e-mail address does not look right')
    expect(text).toContain('longer than 140 characters')
    const dup = await post(editor, base(), { name: 'Other', code: 'rac' })
    expect(dup.statusCode).toBe(400)
    expect(pageText(dup.body)).toContain('The code “rac” is already another partner\'s in this campaign')
    const p = await partnerRow('rac')
    expect(p).toMatchObject({ name: 'Réseau Action Climat', email: 'contact@rac.example', on_leaderboard: true, lines: { fr: 'Le RAC relaie cet appel.', en: 'RAC backs this call.' } })
    const edited = await post(editor, `${base()}/${p.id}`, { name: 'RAC France', code: 'rac', email: 'contact@rac.example', line_fr: 'Le RAC relaie.', line_en: '' })
    expect(edited.statusCode).toBe(303)
    expect(await partnerRow('rac')).toMatchObject({ name: 'RAC France', on_leaderboard: false, lines: { fr: 'Le RAC relaie.' } })
    await post(editor, base(), { name: 'Short-lived', code: 'tmp' })
    expect((await post(editor, `${base()}/${(await partnerRow('tmp')).id}/delete`)).statusCode).toBe(303)
    expect(await partnerRow('tmp')).toBeUndefined()
    const audit = (await t.deps.pool.query("SELECT action, before, after FROM audit_log WHERE entity = 'partner' AND campaign_id = $1 ORDER BY id", [c.id])).rows
    expect(audit.map((a) => a.action)).toEqual(['create', 'update', 'create', 'delete'])
    expect(audit[1].before.name).toBe('Réseau Action Climat')
    expect(audit[1].after.name).toBe('RAC France')
    const log = await get(owner, `/admin/audit?campaign=${c.id}`)
    expect(pageText(log.body)).toContain('changed the partner “RAC France”')
  })

  it('lets a viewer see but not change, and answers 404 for a campaign not granted', async () => {
    expect((await post(viewer, base(), { name: 'X', code: 'x1' })).statusCode).toBe(403)
    const p = await partnerRow('rac')
    for (const url of [`${base()}/${p.id}/link`, `${base()}/${p.id}/revoke`, `${base()}/${p.id}/delete`]) expect((await post(viewer, url)).statusCode, url).toBe(403)
    expect((await get(outsider, base())).statusCode).toBe(404)
    expect((await post(outsider, base(), { name: 'X', code: 'x2' })).statusCode).toBe(404)
    expect((await get(outsider, `/admin/campaigns/${c.id}/share-kit`)).statusCode).toBe(404)
    expect((await get(outsider, `/admin/campaigns/${other.id}/partners`)).statusCode).toBe(200)
    // A partner of another campaign is not found through this one.
    expect((await post(editor, `/admin/campaigns/${other.id}/partners/${p.id}/delete`)).statusCode).toBe(404)
    expect(await partnerRow('rac')).toBeDefined()
  })

  it('shows supporters arriving with the code the partner\'s line, and the change once saved', async () => {
    const page = await t.app.inject({ url: `/c/${c.slug}?lang=fr&ref=rac` })
    expect(pageText(/<p class="partner-line"[\s\S]*?<\/p>/.exec(page.body)![0]).trim()).toBe('Avec RAC France Le RAC relaie.')
    expect((await t.app.inject({ url: `/c/${c.slug}?lang=fr` })).body).not.toContain('partner-line')
    expect((await t.app.inject({ url: `/c/${c.slug}?lang=fr&ref=unknown` })).body).not.toContain('partner-line')
    const p = await partnerRow('rac')
    await post(editor, `${base()}/${p.id}`, { name: 'RAC France', code: 'rac', email: 'contact@rac.example', line_fr: 'Merci au RAC.' })
    await eventually(async () => (await t.app.inject({ url: `/c/${c.slug}?lang=fr&ref=rac` })).body.includes('Merci au RAC.'), 10_000, 'the new line')
  })

  it('gives the partner a private page with exact counts after sends with their code, no cookie, never indexed', async () => {
    const path = await issueLink('rac')
    // Through the no-JS form (303) and JSON (201), to two targets and two channels; a repeat counts once.
    const repeat = actBody(c, { ref: 'rac' })
    for (const body of [repeat, repeat, actBody(c, { ref: 'rac' }), actBody(c, { ref: 'rac', target: c.targets[1]!.id, channel: 'bluesky' })]) expect((await send(body)).statusCode).toBe(303)
    expect((await send(actBody(c, { ref: 'rac', channel: 'bluesky' }), true)).statusCode).toBe(201)
    await send(actBody(c, { ref: 'someone-else' }), true)
    await post(editor, base(), { name: 'Zeta', code: 'zeta' })
    await t.deps.actionRepo.tally(c.id, 1000)
    const res = await t.app.inject({ url: path, headers: { 'accept-language': 'en' } })
    expect(res.statusCode).toBe(200)
    expect(res.headers['set-cookie']).toBeUndefined()
    expect(res.headers['x-robots-tag']).toBe('noindex, nofollow')
    expect(res.headers['referrer-policy']).toBe('no-referrer')
    expect(/data-testid="partner-total">([^<]+)</.exec(res.body)![1]).toBe('4')
    expect(pageText(/data-testid="partner-rank">[^<]+/.exec(res.body)![0])).toContain('Rank 1 of 2 partners')
    const rows = (id: string) => [...(new RegExp(`data-testid="${id}">([\\s\\S]*?)</table>`).exec(res.body)![1]!.matchAll(/<th scope="row">([^<]+)<\/th><td class="num">([^<]+)</g))].map((m) => [m[1], m[2]])
    expect(rows('partner-targets')).toEqual([['Alice Martin', '3'], ['Bongani Dube', '1']])
    expect(rows('partner-channels')).toEqual([['Bluesky', '2'], ['X', '2']])
    expect(rows('partner-days').map((r) => r[1])).toEqual(['4'])
    expect(res.body).toContain(`href="${t.deps.config.publicUrl}/c/${c.slug}?lang=en&amp;ref=rac"`)
    expect(res.body).toContain(`${t.deps.config.publicUrl}/c/${c.slug}/qr.svg?ref=rac`)
    expect(res.body).toContain('data-ref=&quot;rac&quot;')
    expect(res.body).toContain(`/c/${c.slug}/card.png?lang=fr&amp;format=square`)
    // The team's export carries the partner's code on each of their actions.
    const csv = (await get(editor, `/admin/campaigns/${c.id}/exports/actions.csv`)).body.split('\r\n')
    expect(csv.filter((l) => l.endsWith(',rac,false'))).toHaveLength(4)
  })

  it('shows the partners who opted in, and only them, on the public leaderboard', async () => {
    await post(editor, base(), { name: 'Gamma Collectif', code: 'gamma', on_leaderboard: 'on' })
    await send(actBody(c, { ref: 'gamma' }), true)
    await t.deps.actionRepo.tally(c.id, 1000)
    await t.deps.progressService.publish(c.id)
    const board = await eventually(async () => {
      const page = await t.app.inject({ url: `/c/${c.slug}?lang=en` })
      const m = /<section class="wrap partner-board"[\s\S]*?<\/section>/.exec(page.body)
      return m && m[0].includes('1 action') ? pageText(m[0]) : null
    }, 10_000, 'the leaderboard')
    expect(board).toContain('Partners relaying the campaign')
    expect(board).toMatch(/1\s+Gamma Collectif\s+1 action/)
    expect(board).not.toContain('RAC')
    expect(board).not.toContain('Zeta')
  })

  it('answers 404 for a revoked, replaced or guessed link', async () => {
    const first = await issueLink('rac')
    expect((await t.app.inject({ url: first })).statusCode).toBe(200)
    const second = await issueLink('rac')
    expect((await t.app.inject({ url: first })).statusCode).toBe(404)
    expect((await t.app.inject({ url: second })).statusCode).toBe(200)
    expect((await post(editor, `${base()}/${(await partnerRow('rac')).id}/revoke`)).statusCode).toBe(303)
    const revoked = await t.app.inject({ url: second })
    expect(revoked.statusCode).toBe(404)
    expect(revoked.headers['set-cookie']).toBeUndefined()
    for (const guess of ['/p/' + 'A'.repeat(43), '/p/short', '/p/' + second.slice(3, -1) + 'x']) expect((await t.app.inject({ url: guess })).statusCode, guess).toBe(404)
    const stored = await partnerRow('rac')
    expect(stored.token_hash).toBeNull()
    const audit = (await t.deps.pool.query("SELECT action, after::text AS after FROM audit_log WHERE entity = 'partner' AND action IN ('link', 'revoke') ORDER BY id", [])).rows
    expect(audit.map((a) => a.action)).toEqual(['link', 'link', 'link', 'revoke'])
    for (const a of audit) expect(a.after).not.toMatch(/token|[0-9a-f]{64}/)
  })

  it('e-mails the share kit to the team and each partner with an address (Call to share), each once', async () => {
    const page = await get(viewer, `/admin/campaigns/${c.id}/share-kit`)
    expect(page.statusCode).toBe(200)
    expect(page.body).not.toContain('/share-kit/call')
    expect(page.body).toContain(`/c/${c.slug}/card.png?lang=en&amp;format=story`)
    expect(page.body).toContain('data-testid="kit-post-fr-x"')
    expect((await post(viewer, `/admin/campaigns/${c.id}/share-kit/call`)).statusCode).toBe(403)
    const before = sink.mails.length
    const res = await post(editor, `/admin/campaigns/${c.id}/share-kit/call`)
    expect(res.statusCode).toBe(303)
    const ids = (await t.deps.pool.query('SELECT id FROM share_call_mails WHERE campaign_id = $1 ORDER BY id', [c.id])).rows.map((r) => Number(r.id))
    expect(ids).toHaveLength(2) // the team, and RAC (Zeta has no address)
    // What the notify worker runs for each job: twice over, each mail goes once.
    const results = await Promise.all([...ids, ...ids].map((id) => t.deps.shareKit.sendMail(id)))
    expect(results.filter((r) => r === 'sent')).toHaveLength(2)
    const mails = (await sink.waitFor(before + 2)).slice(before)
    const toPartner = mails.find((m) => JSON.stringify(m.to).includes('contact@rac.example'))!
    const toTeam = mails.find((m) => m !== toPartner)!
    expect(JSON.stringify(toTeam.to)).toContain(editor.user.email)
    expect(JSON.stringify(toTeam.to)).not.toContain(outsider.user.email)
    expect(toTeam.text).toContain(`${t.deps.config.publicUrl}/c/${c.slug}?lang=fr`)
    expect(toTeam.text).toContain(`${t.deps.config.publicUrl}/c/${c.slug}/qr.svg`)
    expect(toTeam.text).toContain(`${t.deps.config.publicUrl}/c/${c.slug}/card.png?lang=fr`)
    expect(toPartner.text).toContain(`${t.deps.config.publicUrl}/c/${c.slug}?lang=fr&ref=rac`)
    expect(toPartner.text).toContain('RAC France')
    expect(toPartner.attachments).toHaveLength(0)
    expect((await t.deps.pool.query("SELECT count(*)::int AS n FROM audit_log WHERE entity = 'share_kit' AND action = 'callToShare'")).rows[0].n).toBe(1)
  })
})
