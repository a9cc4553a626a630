import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { actBody, buildTestApp, seedCampaign, type SeededCampaign } from '../helper.ts'

// Each network's own rule decides: a text it accepts is recorded (201), one it refuses gets 400 with ITS count.
// Expected counts are derived by hand from the rules cited in server/domain/networks (vectors in test/domain/networks).
describe('POST /c/:slug/act counts as each network does', () => {
  let t: Awaited<ReturnType<typeof buildTestApp>>
  let c: SeededCampaign
  let link: string
  beforeAll(async () => {
    t = await buildTestApp()
    c = await seedCampaign(t.deps)
    link = `http://bouteille.test/c/${c.slug}`
  })
  afterAll(async () => { await t.close() })

  const LONG_LINK = 'https://bouteille.org/c/' + 'p'.repeat(56) // 80 characters, a known TLD
  const act = (channel: string, text: string) =>
    t.app.inject({ method: 'POST', url: `/c/${c.slug}/act`, headers: { accept: 'application/json' }, payload: actBody(c, { channel, text, instance: 'mastodon.social' }) })
  const stored = async (id: string) => (await t.deps.pool.query('SELECT text FROM actions WHERE id = $1', [id])).rows[0]?.text as string | undefined
  const actions = async () => (await t.deps.pool.query('SELECT count(*)::int AS n FROM actions')).rows[0].n as number

  async function accepted (channel: string, text: string): Promise<void> {
    const res = await act(channel, text)
    expect(res.statusCode, res.body).toBe(201)
    expect(await stored(res.json().id)).toContain(text.slice(0, 40))
  }
  async function refused (channel: string, text: string, count: number, limit: number): Promise<void> {
    const before = await actions()
    const res = await act(channel, text)
    expect(res.statusCode, res.body).toBe(400)
    expect(res.json().error).toContain(`(${count}/${limit})`)
    expect(await actions()).toBe(before)
  }

  it('X: a bare domain with a known TLD weighs 23 (twitter-text), as on the page', async () => {
    // ".@alice_martin " (15) + text + " #tweetbouteille " (17) + link (.test is no TLD: counted as typed)
    const fixed = 15 + 17 + link.length
    await accepted('x', 'a'.repeat(280 - fixed))
    const text = 'Voir bouteille.berlin ' + 'a'.repeat(280 - fixed - 22)
    expect(15 + text.length + 17 + link.length).toBe(280) // what the old code-point count saw: it fits
    await refused('x', text, 280 - 16 + 23, 280)
  })

  it('Mastodon: an http(s) link counts 23 and a remote mention @user (status_length_validator.rb)', async () => {
    const tail = ` #tweetbouteille ${link}`
    // 520 code points, 500 for Mastodon: the long link is 23 → accepted
    const fits = 'a'.repeat(500 - tail.length - 24) + ' ' + LONG_LINK
    expect([...fits + tail].length).toBe(557)
    await accepted('mastodon', fits)
    // 500 code points with an 18-character link: 505 for Mastodon → refused
    const short = 'https://bout.fr/ab'
    const over = 'a'.repeat(500 - tail.length - 19) + ' ' + short
    expect([...over + tail].length).toBe(500)
    await refused('mastodon', over, 505, 500)
    // "@alice@climat.social" counts as "@alice" (14 fewer)
    const mention = '@alice@climat.social ' + 'a'.repeat(500 - tail.length - 7)
    expect([...mention + tail].length).toBe(514)
    await accepted('mastodon', mention)
  })

  it('Bluesky: links count as the composer shortens them (social-app toShortUrl)', async () => {
    // The campaign link is shortened too: host + path, a path over 15 characters cut to 13 + "...".
    const path = `/c/${c.slug}`
    const shortCampaign = 'bouteille.test' + (path.length > 15 ? path.slice(0, 13) + '...' : path)
    const tail = ` #tweetbouteille ${shortCampaign}`.length
    const body = 'a'.repeat(300 - tail - 1 - 'bouteille.org/c/pppppppppp...'.length) + ' ' + LONG_LINK
    expect([...body].length + 17 + link.length).toBeGreaterThan(300) // the old full count refused it
    await accepted('bluesky', body)
    await refused('bluesky', 'é' + body, 301, 300)
  })

  it('Threads: an emoji counts its UTF-8 bytes (Meta docs)', async () => {
    const tail = ` #tweetbouteille ${link}`.length
    // the mention "@alice.martin " is not added to a supporter's own text on Threads
    await accepted('threads', 'a'.repeat(500 - tail))
    const globes = '🌍'.repeat(100) + 'a'.repeat(300 - tail)
    expect([...globes].length + tail).toBe(400)
    await refused('threads', globes, 700, 500)
  })
})
