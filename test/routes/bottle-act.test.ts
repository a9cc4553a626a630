import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CONSENT_VERSION, DUPLICATE_THRESHOLD } from '../../server/domain/bottle-rules.ts'
import { tallyCampaign } from '../../jobs/tally-job.ts'
import { actBody, buildTestApp, eventually, seedCampaign, type SeededCampaign } from '../helper.ts'

const JSON_ACCEPT = { accept: 'application/json' }
const FORM = { 'content-type': 'application/x-www-form-urlencoded' }

describe('POST /c/:slug/act into the bottle', () => {
  let t: Awaited<ReturnType<typeof buildTestApp>>
  let c: SeededCampaign

  beforeAll(async () => {
    t = await buildTestApp()
    c = await seedCampaign(t.deps)
  })
  afterAll(async () => { await t.close() })

  const act = (payload: Record<string, string>, headers: Record<string, string> = JSON_ACCEPT, slug = c.slug) =>
    t.app.inject({ method: 'POST', url: `/c/${slug}/act`, headers, payload: headers === FORM ? new URLSearchParams(payload).toString() : payload })
  const channelCounts = async () => Object.fromEntries((await t.deps.actionRepo.counts(c.id)).filter((r) => r.dimension === 'channel' || r.dimension === 'total').map((r) => [r.dimension === 'total' ? 'total' : r.key, r.count]))
  const actionsOf = async (key: string) => (await t.deps.pool.query('SELECT * FROM actions WHERE key = $1 ORDER BY id', [key])).rows
  const bottleOf = async (key: string) => (await t.deps.pool.query('SELECT b.* FROM bottle_messages b JOIN actions a ON a.id = b.action_id WHERE a.key = $1', [key])).rows

  it('records a bottle send with its signature, consent and wording version, in one action', async () => {
    const body = actBody(c, { channel: 'bottle', signature_name: '  Marie ', signature_town: 'Lyon', publish_consent: '1' })
    const res = await act(body, FORM)
    expect(res.statusCode).toBe(303)
    // With the message's private withdrawal link, shown once on the thank-you page.
    // And the sender's own link code (made for this send, without JavaScript) with the wording sent.
    expect(res.headers.location).toMatch(new RegExp(`^/c/${c.slug}/thanks\\?lang=fr&via=bottle&withdraw=[A-Za-z0-9_-]{24}&link=[A-Za-z0-9_-]{12}&m=${body.message}$`))
    const actions = await actionsOf(body.key!)
    expect(actions.map((a) => a.channel)).toEqual(['bottle'])
    const [m] = await bottleOf(body.key!)
    expect(m).toMatchObject({
      action_id: actions[0].id,
      campaign_id: c.id,
      target_id: c.targets[0]!.id,
      locale: 'fr',
      status: 'pending',
      hold_reasons: [],
      signature_name: 'Marie',
      signature_town: 'Lyon',
      publish_consent: true,
      consent_version: CONSENT_VERSION,
      featured: false
    })
    // In the bottle the target is named by name, and the campaign's own link is left out.
    expect(m.text).toBe('Alice Martin financez le fonds pertes et dommages maintenant ! #tweetbouteille')
    expect(m.fingerprint).toMatch(/^[0-9a-f]{32}$/)
  })

  it('takes an unsigned message without consent, and keeps the wording version shown', async () => {
    const body = actBody(c, { channel: 'bottle', text: 'Mon propre message aux négociateurs, écoutez-nous.' })
    expect((await act(body)).statusCode).toBe(201)
    const [m] = await bottleOf(body.key!)
    expect(m).toMatchObject({ text: 'Mon propre message aux négociateurs, écoutez-nous.', signature_name: null, signature_town: null, publish_consent: false, consent_version: CONSENT_VERSION })
  })

  it('answers the same key again with the same answer, one action and one message', async () => {
    const body = actBody(c, { channel: 'bottle', signature_name: 'Ana', publish_consent: 'on' })
    const first = await act(body)
    const again = await act({ ...body, signature_name: 'Someone else' })
    expect(again.statusCode).toBe(201)
    expect(again.json().id).toBe(first.json().id)
    expect(await actionsOf(body.key!)).toHaveLength(1)
    const rows = await bottleOf(body.key!)
    expect(rows).toHaveLength(1)
    expect(rows[0].signature_name).toBe('Ana')
    // Concurrent repeats too.
    const key = randomUUID()
    const all = await Promise.all(Array.from({ length: 6 }, () => act({ ...body, key })))
    expect(new Set(all.map((r) => r.json().id)).size).toBe(1)
    expect(await bottleOf(key)).toHaveLength(1)
  })

  it('copies a network send into the bottle as a second action, channel bottle, counted like the others', async () => {
    await tallyCampaign(t.deps, c.id)
    const before = await channelCounts()
    const body = actBody(c, { channel: 'x', bottle_copy: '1', signature_town: 'Dakar', publish_consent: '1' })
    const res = await act(body)
    expect(res.statusCode).toBe(201)
    expect(new URL(res.json().intentUrl).origin).toBe('https://x.com')
    const actions = await actionsOf(body.key!)
    expect(actions.map((a) => a.channel)).toEqual(['x', 'bottle'])
    expect(String(res.json().id)).toBe(String(actions[0].id))
    expect(actions[0].text).toBe(`.@alice_martin financez le fonds pertes et dommages maintenant ! #tweetbouteille http://bouteille.test/c/${c.slug}`)
    const [m] = await bottleOf(body.key!)
    expect(String(m.action_id)).toBe(String(actions[1].id))
    expect(m).toMatchObject({ text: 'Alice Martin financez le fonds pertes et dommages maintenant ! #tweetbouteille', signature_name: null, signature_town: 'Dakar', publish_consent: true })
    // Both actions are counted by the tally, the copy under the bottle channel.
    expect(await tallyCampaign(t.deps, c.id)).toBe(2)
    const after = await channelCounts()
    expect(after.total).toBe((before.total ?? 0) + 2)
    expect(after.bottle).toBe((before.bottle ?? 0) + 1)
    expect(after.x).toBe((before.x ?? 0) + 1)
    // The same send again adds nothing.
    expect((await act(body)).json().id).toBe(res.json().id)
    expect(await actionsOf(body.key!)).toHaveLength(2)
    expect(await bottleOf(body.key!)).toHaveLength(1)
  })

  it('adds no copy when the box is not ticked, and ignores the signature of a plain network send', async () => {
    const body = actBody(c, { channel: 'bluesky', signature_name: 'Léa' })
    expect((await act(body)).statusCode).toBe(201)
    expect((await actionsOf(body.key!)).map((a) => a.channel)).toEqual(['bluesky'])
    expect(await bottleOf(body.key!)).toHaveLength(0)
  })

  it('holds messages automatically: links, blocked words, near-duplicates', async () => {
    await t.deps.pool.query("UPDATE campaigns SET blocked_words = '{crétin}' WHERE id = $1", [c.id])
    await t.deps.announceCampaign(c.slug)
    const link = actBody(c, { channel: 'bottle', text: 'Lisez ceci sur www.exemple-spam.com maintenant' })
    await act(link)
    expect((await bottleOf(link.key!))[0]).toMatchObject({ status: 'held', hold_reasons: ['link'] })
    const word = await eventually(async () => {
      const body = actBody(c, { channel: 'bottle', text: `Vous êtes un CRETIN, agissez ${randomUUID()}` })
      await act(body)
      const [m] = await bottleOf(body.key!)
      return m.status === 'held' ? m : null
    }, 10_000, 'the new blocked words in use')
    expect(word.hold_reasons).toEqual(['blocked_word'])
    const text = `Un texte répété par beaucoup de monde ${randomUUID()}`
    const statuses: string[] = []
    for (let i = 0; i <= DUPLICATE_THRESHOLD; i++) {
      const body = actBody(c, { channel: 'bottle', text: i % 2 ? text.toUpperCase() : text })
      await act(body)
      statuses.push((await bottleOf(body.key!))[0].status)
    }
    expect(statuses).toEqual([...Array(DUPLICATE_THRESHOLD).fill('pending'), 'held'])
  })

  it('refuses bad signatures and a signature without consent with clear 400s', async () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ signature_name: 'x'.repeat(61), publish_consent: '1' }, /first name is too long: at most 60/],
      [{ signature_town: 'Ly\u0007on', publish_consent: '1' }, /town contains invisible characters/],
      [{ signature_name: 'Marie' }, /tick the box that lets us publish your signature/]
    ]
    for (const [extra, message] of cases) {
      const body = actBody(c, { channel: 'bottle', ...extra })
      const res = await act(body, { accept: 'application/json', 'accept-language': 'en' })
      expect(res.statusCode, JSON.stringify(extra)).toBe(400)
      expect(res.json().error).toMatch(message)
      expect(await actionsOf(body.key!)).toHaveLength(0)
    }
    // The no-JS form comes back with the error and what the supporter typed, the consent still unticked.
    const body = actBody(c, { channel: 'bottle', signature_name: 'Marie', signature_town: 'Lyon' })
    const res = await act(body, FORM)
    expect(res.statusCode).toBe(400)
    expect(res.body).toContain('Pour signer votre message, cochez la case')
    expect(res.body).toContain('name="signature_name" value="Marie"')
    expect(res.body).toMatch(/id="publish_consent" name="publish_consent" value="1" aria-describedby="consent-privacy">/)
  })

  it('refuses a copy to the bottle when the campaign has no bottle', async () => {
    const narrow = await seedCampaign(t.deps, { channels: ['x'] })
    const body = actBody(narrow, { bottle_copy: '1' })
    const res = await act(body, { accept: 'application/json', 'accept-language': 'en' }, narrow.slug)
    expect(res.statusCode).toBe(400)
    expect(res.json().error).toBe('This campaign does not collect messages in the bottle.')
    expect(await actionsOf(body.key!)).toHaveLength(0)
  })
})

describe('the campaign page’s bottle fields', () => {
  let t: Awaited<ReturnType<typeof buildTestApp>>
  let c: SeededCampaign
  beforeAll(async () => {
    t = await buildTestApp()
    c = await seedCampaign(t.deps)
  })
  afterAll(async () => { await t.close() })

  it('offers the copy box and the signature, consent unticked, with the privacy note, in both languages', async () => {
    for (const [lang, consent, privacy] of [['fr', 'J’accepte que mon message', 'servent uniquement à signer'], ['en', 'I agree that my message', 'are used only to sign']]) {
      const html = (await t.app.inject({ url: `/c/${c.slug}?lang=${lang}` })).body
      expect(html).toContain('name="bottle_copy" value="1"')
      expect(html).toContain('name="signature_name"')
      expect(html).toContain('name="signature_town"')
      expect(html).toMatch(/<input class="check-input" type="checkbox" id="publish_consent" name="publish_consent" value="1" aria-describedby="consent-privacy">/)
      expect(html).toContain(consent)
      expect(html).toContain(privacy)
      expect(html).toContain(`href="/c/${c.slug}/wall?lang=${lang}"`)
    }
    // The cached page still gets a fresh key per view (the new fields hold no per-view value).
    const keyOf = async () => /name="key" value="([0-9a-f-]{36})"/.exec((await t.app.inject({ url: `/c/${c.slug}?lang=en` })).body)?.[1]
    const [k1, k2] = [await keyOf(), await keyOf()]
    expect(k1).toBeTruthy()
    expect(k1).not.toBe(k2)
  })

  it('shows no bottle fields when the campaign has no bottle', async () => {
    const narrow = await seedCampaign(t.deps, { channels: ['x', 'bluesky'] })
    const html = (await t.app.inject({ url: `/c/${narrow.slug}` })).body
    expect(html).not.toContain('signature_name')
    expect(html).not.toContain('/wall')
  })

  it('links the wall from the thank-you page', async () => {
    const html = (await t.app.inject({ url: `/c/${c.slug}/thanks?lang=en&via=bottle` })).body
    expect(html).toContain(`href="/c/${c.slug}/wall?lang=en"`)
  })
})
