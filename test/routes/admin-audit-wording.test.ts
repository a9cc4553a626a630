import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { users } from '../../server/db/schema.ts'
import { actBody, buildTestApp, pageText, seedCampaign, signIn, type SeededCampaign, type SignedIn } from '../helper.ts'

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i

describe('a readable audit log', () => {
  let t: Awaited<ReturnType<typeof buildTestApp>>
  let c: SeededCampaign
  let owner: SignedIn

  beforeAll(async () => {
    t = await buildTestApp()
    c = await seedCampaign(t.deps)
    owner = await signIn(t.deps, 'owner', 'olga@example.org')
    await t.deps.db.update(users).set({ name: 'Olga Okafor' }).where(eq(users.id, owner.user.id))
  })
  afterAll(async () => { await t.close() })

  const post = (url: string, fields: Record<string, string>) => t.app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'en', cookie: owner.cookie },
    payload: new URLSearchParams({ _csrf: owner.csrf, ...fields }).toString()
  })

  it('says who (name and e-mail) did what in words, before → after, with no raw id, byte count or unlabelled time', async () => {
    const body = actBody(c, { channel: 'bottle', text: 'En Yucatán, the sea is already at the door: fund loss and damage.' })
    expect((await t.app.inject({ method: 'POST', url: `/c/${c.slug}/act`, headers: { accept: 'application/json' }, payload: body })).statusCode).toBe(201)
    const id = (await t.deps.pool.query('SELECT b.id FROM bottle_messages b JOIN actions a ON a.id = b.action_id WHERE a.key = $1', [body.key])).rows[0].id
    expect((await post(`/admin/campaigns/${c.id}/bottle/moderate`, { one: `approve:${id}` })).statusCode).toBe(303)
    // A variant written for one target: the target is named, not its id.
    expect((await post(`/admin/campaigns/${c.id}/messages`, { locale: 'en', targetId: c.targets[1]!.id, body: '{target} keep your word {hashtags} {link}', op: 'save' })).statusCode).toBe(303)
    // An older entry for a photo, as the log used to write it (a byte count): shown as "a photo".
    await t.deps.audit.record(owner.user, { action: 'update', entity: 'target', entityId: c.targets[0]!.id, campaignId: c.id, before: { photoUrl: null }, after: { photoUrl: `/media/targets/${c.targets[0]!.id}.webp`, photoBytes: 48213 } })

    const res = await t.app.inject({ url: '/admin/audit', headers: { 'accept-language': 'en', cookie: owner.cookie } })
    expect(res.statusCode).toBe(200)
    const table = /<table[\s\S]*<\/table>/.exec(res.body)![0]
    const rows = [...table.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((m) => pageText(m[1]!).replace(/\s+/g, ' ').trim())
    const approve = rows.find((r) => r.includes('approved the message'))!
    expect(approve).toContain('Olga Okafor olga@example.org')
    expect(approve).toContain('approved the message “En Yucatán, the sea is already at the door: fund loss and damage.” to Alice Martin')
    expect(approve).toMatch(/status .*pending → .*approved/)
    const variant = rows.find((r) => r.includes('added the message'))!
    expect(variant).toContain('added the message “{target} keep your word {hashtags} {link}”')
    expect(variant).toContain('Bongani Dube')
    const photo = rows.find((r) => r.includes('changed the target'))!
    expect(photo).toContain('a photo')
    for (const r of rows) {
      expect(r).not.toMatch(UUID)
      expect(r).not.toMatch(/\d+ bytes/)
    }
    // Every time says its zone: the campaign's for a campaign's entries.
    const times = [...table.matchAll(/<time datetime="[^"]+">([^<]+)<\/time>/g)].map((m) => m[1]!)
    expect(times.length).toBeGreaterThanOrEqual(3)
    for (const x of times) expect(x).toMatch(/(GMT|UTC)([+-]\d+)?$/)
  })

  it('speaks French too', async () => {
    await t.deps.audit.record(owner.user, { action: 'update', entity: 'campaign', entityId: c.id, campaignId: c.id, before: { slug: c.slug, goal: 100 }, after: { slug: c.slug, goal: 250 } })
    const res = await t.app.inject({ url: `/admin/audit?campaign=${c.id}`, headers: { 'accept-language': 'fr', cookie: owner.cookie } })
    expect(pageText(res.body)).toContain(`a modifié la campagne « ${c.slug} »`)
    expect(pageText(res.body)).toMatch(/objectif [^→]*100 → [^→]*250/)
  })
})
