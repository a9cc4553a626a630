import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { solveChallenge } from 'altcha-lib/v1'
import { createChallengeService } from '../../server/services/challenge-service.ts'
import { actBody, buildTestApp, eventually, pageText, seedCampaign, signIn, type SeededCampaign, type SignedIn } from '../helper.ts'

type TestApp = Awaited<ReturnType<typeof buildTestApp>>

/** A solved challenge as the page's worker sends it (the `altcha` field). */
async function solved (t: TestApp, slug: string): Promise<string> {
  const res = await t.app.inject({ url: `/c/${slug}/challenge.json` })
  expect(res.statusCode).toBe(200)
  expect(res.headers['cache-control']).toBe('no-store')
  expect(res.headers['set-cookie']).toBeUndefined()
  const c = res.json() as { algorithm: string, challenge: string, maxnumber: number, salt: string, signature: string }
  const solution = await solveChallenge(c.challenge, c.salt, c.algorithm, c.maxnumber).promise
  return Buffer.from(JSON.stringify({ ...c, number: solution!.number })).toString('base64')
}

/** The no-JS question of a page: the sum it asks and its token. */
function questionOf (html: string): { a: number, b: number, token: string } {
  const sum = /(\d) \+ (\d)/.exec(pageText(/<fieldset class="challenge-question"[\s\S]*?<\/fieldset>/.exec(html)![0]))!
  const token = /name="challenge_token" value="([^"]+)"/.exec(html)![1]!
  return { a: Number(sum[1]), b: Number(sum[2]), token }
}

const rows = async (t: TestApp, c: SeededCampaign): Promise<number> => Number((await t.deps.pool.query('SELECT count(*) AS n FROM actions WHERE campaign_id = $1', [c.id])).rows[0].n)

async function setMode (t: TestApp, c: SeededCampaign, editor: SignedIn, mode: string): Promise<void> {
  const res = await t.app.inject({
    method: 'POST',
    url: `/admin/campaigns/${c.id}/challenge`,
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: editor.cookie },
    payload: new URLSearchParams({ _csrf: editor.csrf, mode }).toString()
  })
  expect(res.statusCode).toBe(303)
}

const postJson = (t: TestApp, slug: string, body: Record<string, string>) =>
  t.app.inject({ method: 'POST', url: `/c/${slug}/act`, headers: { accept: 'application/json', 'accept-language': 'en' }, payload: body })
const postForm = (t: TestApp, slug: string, body: Record<string, string>) =>
  t.app.inject({ method: 'POST', url: `/c/${slug}/act`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(body).toString() })

describe('the challenge, switched on by the campaigner', () => {
  let t: TestApp
  let c: SeededCampaign
  let editor: SignedIn

  beforeAll(async () => {
    t = await buildTestApp({ CHALLENGE_MAX_NUMBER: '2000' })
    c = await seedCampaign(t.deps)
    editor = await signIn(t.deps, 'editor')
  })
  afterAll(async () => { await t.close() })

  it('is off by default: a send needs no answer, and the page asks nothing', async () => {
    expect((await postJson(t, c.slug, actBody(c))).statusCode).toBe(201)
    const page = await t.app.inject({ url: `/c/${c.slug}` })
    expect(page.body).not.toContain('challenge_token')
    expect(page.body).not.toContain('challenge.js')
  })

  it('once on, refuses a send without an answer with a clear message, and records nothing', async () => {
    await setMode(t, c, editor, 'on')
    const audit = await t.deps.pool.query("SELECT before, after, user_email FROM audit_log WHERE campaign_id = $1 AND action = 'challenge.mode'", [c.id])
    expect(audit.rows).toEqual([{ before: { challengeMode: 'off' }, after: { challengeMode: 'on' }, user_email: editor.user.email }])
    await eventually(async () => (await t.app.inject({ url: `/c/${c.slug}` })).body.includes('challenge_token'), 5000, 'the page asks the question')
    const before = await rows(t, c)
    const json = await postJson(t, c.slug, actBody(c))
    expect(json.statusCode).toBe(403)
    expect(json.json().error).toMatch(/check against robots/)
    // The plain form: shown again in the supporter's language, with their text and a fresh question.
    const text = 'Mon propre message pour le climat, avec mes mots.'
    const form = await postForm(t, c.slug, actBody(c, { text }))
    expect(form.statusCode).toBe(403)
    expect(pageText(form.body)).toContain('Votre envoi n’a pas passé la vérification contre les robots')
    expect(form.body).toContain(text)
    expect(questionOf(form.body).token).toMatch(/^\d{10}\./)
    expect(await rows(t, c)).toBe(before)
    expect((await t.deps.signalService.read(c.id)).refused).toBeGreaterThanOrEqual(2)
  })

  it('accepts a send with a solved challenge, and the same send again (same key) without a new one', async () => {
    const before = await rows(t, c)
    const body = actBody(c, { altcha: await solved(t, c.slug) })
    const first = await postJson(t, c.slug, body)
    expect(first.statusCode).toBe(201)
    // A retry of the same send: same answer, counted once — with the same solution, or with none at all.
    const again = await postJson(t, c.slug, body)
    expect(again.statusCode).toBe(201)
    expect(again.json().id).toBe(first.json().id)
    const { altcha: _, ...bare } = body
    expect((await postJson(t, c.slug, bare)).json().id).toBe(first.json().id)
    expect(await rows(t, c)).toBe(before + 1)
  })

  it('refuses a solution replayed for another send, a forged one and an expired one', async () => {
    const altcha = await solved(t, c.slug)
    expect((await postJson(t, c.slug, actBody(c, { altcha }))).statusCode).toBe(201)
    const before = await rows(t, c)
    const replay = await postJson(t, c.slug, actBody(c, { altcha }))
    expect(replay.statusCode).toBe(403)
    expect(replay.json().error).toMatch(/already used/)
    // The same solution for another target of the same page key: another send, refused too.
    const other = await postJson(t, c.slug, actBody(c, { altcha, target: c.targets[1]!.id }))
    expect(other.statusCode).toBe(403)

    const payload = JSON.parse(Buffer.from(await solved(t, c.slug), 'base64').toString())
    const forged = Buffer.from(JSON.stringify({ ...payload, number: payload.number + 1 })).toString('base64')
    expect((await postJson(t, c.slug, actBody(c, { altcha: forged }))).json().error).toMatch(/not valid/)
    expect((await postJson(t, c.slug, actBody(c, { altcha: 'garbage' }))).statusCode).toBe(403)

    // Issued by a server whose clock is past the lifetime: signed with the same key, already expired.
    const past = createChallengeService({ ...serviceDeps(t), now: () => Date.now() - (t.deps.config.challenge.ttlSeconds + 5) * 1000 })
    const old = await past.issue()
    const oldSolution = await solveChallenge(old.challenge, old.salt, old.algorithm, old.maxnumber).promise
    const expired = await postJson(t, c.slug, actBody(c, { altcha: Buffer.from(JSON.stringify({ ...old, number: oldSolution!.number })).toString('base64') }))
    expect(expired.statusCode).toBe(403)
    expect(expired.json().error).toMatch(/expired/)
    expect(await rows(t, c)).toBe(before)
  })

  it('takes a solution sent for several sends at once for one of them only, and records it with the network send, not its bottle copy', async () => {
    const altcha = await solved(t, c.slug)
    const before = await rows(t, c)
    const answers = await Promise.all(Array.from({ length: 8 }, () => postJson(t, c.slug, actBody(c, { altcha }))))
    expect(answers.map((a) => a.statusCode).sort()).toEqual([201, 403, 403, 403, 403, 403, 403, 403])
    for (const a of answers.filter((x) => x.statusCode === 403)) expect(a.json().error).toMatch(/already used/)
    expect(await rows(t, c)).toBe(before + 1)

    // A network send with its copy in the bottle: two rows, one solution, on the network send's row.
    const body = actBody(c, { altcha: await solved(t, c.slug), bottle_copy: '1' })
    expect((await postJson(t, c.slug, body)).statusCode).toBe(201)
    const recorded = await t.deps.pool.query<{ channel: string, has: boolean }>('SELECT channel, challenge_id IS NOT NULL AS has FROM actions WHERE campaign_id = $1 AND key = $2 ORDER BY channel', [c.id, body.key])
    expect(recorded.rows).toEqual([{ channel: 'x', has: true }, { channel: 'bottle', has: false }])
    expect(await rows(t, c)).toBe(before + 3)
  })

  it('asks supporters without JavaScript a question: the right answer sends, a wrong one shows the form again with the text', async () => {
    const page = await t.app.inject({ url: `/c/${c.slug}`, headers: { 'accept-language': 'en' } })
    expect(pageText(page.body)).toMatch(/What is \d \+ \d\? Type the answer in digits\./)
    expect(page.body).toMatch(/<label class="field-label" for="challenge_answer">/)
    const q = questionOf(page.body)
    // Each view of the cached page carries its own question.
    expect(questionOf((await t.app.inject({ url: `/c/${c.slug}` })).body).token).not.toBe(q.token)

    const before = await rows(t, c)
    const ok = await postForm(t, c.slug, actBody(c, { challenge_token: q.token, challenge_answer: String(q.a + q.b) }))
    expect(ok.statusCode).toBe(303)
    expect(ok.headers.location).toMatch(/^https:\/\/x\.com\/intent\/tweet/)
    expect(await rows(t, c)).toBe(before + 1)
    // Single use: the same token for another send is refused.
    expect((await postForm(t, c.slug, actBody(c, { challenge_token: q.token, challenge_answer: String(q.a + q.b) }))).statusCode).toBe(403)

    const q2 = questionOf((await t.app.inject({ url: `/c/${c.slug}` })).body)
    const text = 'Tenez parole à Belém, financez les pertes et dommages.'
    const wrong = await postForm(t, c.slug, actBody(c, { text, challenge_token: q2.token, challenge_answer: String(q2.a + q2.b + 1) }))
    expect(wrong.statusCode).toBe(400)
    expect(pageText(wrong.body)).toContain('La réponse à la question n’est pas la bonne')
    expect(wrong.body).toContain(text)
    expect(questionOf(wrong.body).token).not.toBe(q2.token)
    expect(await rows(t, c)).toBe(before + 1)
  })

  it('switched off again, takes sends without an answer', async () => {
    await setMode(t, c, editor, 'off')
    await eventually(async () => (await postJson(t, c.slug, actBody(c))).statusCode === 201, 5000, 'a send without an answer is taken')
  })
})

function serviceDeps (t: TestApp) {
  const d = t.deps
  return { pool: d.pool, redis: d.redis, prefix: d.config.redisPrefix, secret: d.config.secret, settings: d.config.challenge, audit: d.audit, announceCampaign: d.announceCampaign, signalRefusal: () => {}, log: () => {} }
}

describe('the automatic challenge', () => {
  let t: TestApp
  let c: SeededCampaign
  let editor: SignedIn

  beforeAll(async () => {
    t = await buildTestApp({ CHALLENGE_MAX_NUMBER: '2000', CHALLENGE_BURST_MIN: '8', CHALLENGE_BURST_FACTOR: '5', CHALLENGE_QUIET_MINUTES: '30' })
    c = await seedCampaign(t.deps)
    editor = await signIn(t.deps, 'editor')
  })
  afterAll(async () => { await t.close() })

  it('switches on under a burst of real sends, audited and on the dashboard, then off after the quiet period', async () => {
    await setMode(t, c, editor, 'auto')
    await eventually(async () => (await t.deps.catalog.get(c.slug))?.challengeMode === 'auto', 5000, 'the catalog sees automatic')
    // Below the threshold: nothing happens.
    for (let i = 0; i < 7; i++) expect((await postJson(t, c.slug, actBody(c))).statusCode).toBe(201)
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect((await t.deps.pool.query('SELECT challenge_auto_until FROM campaigns WHERE id = $1', [c.id])).rows[0].challenge_auto_until).toBeNull()
    // The burst (the rate limit is lifted in tests): the 8th send of the minute switches the challenge on.
    for (let i = 0; i < 3; i++) await postJson(t, c.slug, actBody(c))
    await eventually(async () => (await postJson(t, c.slug, actBody(c))).statusCode === 403, 5000, 'sends refused without an answer')
    const on = await t.deps.pool.query("SELECT after FROM audit_log WHERE campaign_id = $1 AND action = 'challenge.auto-on'", [c.id])
    expect(on.rows).toHaveLength(1)
    expect(on.rows[0].after).toMatchObject({ challenge: 'on', reason: 'rate' })
    const dash = await eventually(async () => {
      const d = (await t.app.inject({ url: `/admin/campaigns/${c.id}/dashboard.json`, headers: { cookie: editor.cookie } })).json()
      return d.defence?.active && d.defence.signals.autoSwitches === 1 ? d : null
    }, 5000, 'the dashboard shows the switch')
    expect(dash.defence.mode).toBe('auto')

    // Thirty quiet minutes later the worker's sweep switches it off, audited.
    const later = createChallengeService({ ...serviceDeps(t), now: () => Date.now() + 31 * 60_000 })
    expect(await later.sweep()).toBe(1)
    expect(await later.sweep()).toBe(0)
    const off = await t.deps.pool.query("SELECT after FROM audit_log WHERE campaign_id = $1 AND action = 'challenge.auto-off'", [c.id])
    expect(off.rows).toHaveLength(1)
    await eventually(async () => (await postJson(t, c.slug, actBody(c))).statusCode === 201, 5000, 'sends taken again without an answer')
  })
})

describe('the automatic challenge, on near-identical texts', () => {
  let t: TestApp
  let editor: SignedIn

  beforeAll(async () => {
    // A rate threshold out of reach: only the texts can switch it on here.
    t = await buildTestApp({ CHALLENGE_BURST_MIN: '100000', CHALLENGE_DUPLICATE_MIN: '10', CHALLENGE_DUPLICATE_PERCENT: '50' })
    editor = await signIn(t.deps, 'editor')
  })
  afterAll(async () => { await t.close() })

  it('switches on when one near-identical free text takes over, and counts the duplicates', async () => {
    const d = await seedCampaign(t.deps, { slug: 'dupes' })
    await setMode(t, d, editor, 'auto')
    await eventually(async () => (await t.deps.catalog.get(d.slug))?.challengeMode === 'auto', 5000, 'the catalog sees automatic')
    // A bot's copy-paste: the same words, case, spacing and punctuation changed.
    const copies = ['Please act NOW on climate finance!', 'please act now on climate finance', '  Please, act now on climate finance!!! ']
    for (let i = 0; i < 9; i++) expect((await postJson(t, d.slug, actBody(d, { text: copies[i % 3]!, target: d.targets[i % 2]!.id }))).statusCode).toBe(201)
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect((await t.deps.pool.query("SELECT 1 FROM audit_log WHERE campaign_id = $1 AND action = 'challenge.auto-on'", [d.id])).rows).toHaveLength(0)
    await postJson(t, d.slug, actBody(d, { text: copies[0]! }))
    const row = await eventually(async () => (await t.deps.pool.query("SELECT after FROM audit_log WHERE campaign_id = $1 AND action = 'challenge.auto-on'", [d.id])).rows[0], 5000, 'switched on')
    expect(row.after.reason).toBe('duplicates')
    // Every copy after the first is a near-duplicate (counted a moment after the send).
    await eventually(async () => (await t.deps.signalService.read(d.id)).duplicates === 9, 5000, 'nine duplicates counted')
  })

  it('does not count the variant sent unchanged as a free text', async () => {
    const e = await seedCampaign(t.deps, { slug: 'variants' })
    await setMode(t, e, editor, 'auto')
    await eventually(async () => (await t.deps.catalog.get(e.slug))?.challengeMode === 'auto', 5000, 'the catalog sees automatic')
    const page = await t.app.inject({ url: `/c/${e.slug}?target=${e.targets[0]!.id}&message=${e.messages[0]!.id}` })
    const rendered = /<textarea[^>]*id="text"[^>]*>([^<]*)<\/textarea>/.exec(page.body)?.[1] ?? ''
    for (let i = 0; i < 12; i++) expect((await postJson(t, e.slug, actBody(e, rendered ? { text: rendered.replace(/&amp;/g, '&').replace(/&#39;/g, "'").replace(/&quot;/g, '"') } : {}))).statusCode).toBe(201)
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect((await t.deps.signalService.read(e.id)).duplicates).toBe(0)
    expect((await t.deps.pool.query("SELECT 1 FROM audit_log WHERE campaign_id = $1 AND action = 'challenge.auto-on'", [e.id])).rows).toHaveLength(0)
  })
})
