import { randomUUID } from 'node:crypto'
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { messages } from '../../server/db/schema.ts'
import { buildTestApp, eventually, pageText, seedCampaign, signIn, type SeededCampaign, type SignedIn } from '../helper.ts'

type Fields = Record<string, string | string[]>

// A letter of about 900 characters: far over X's 280, well within e-mail's and the bottle's limits.
const LETTER = `{target}, ${'we ask you to fund loss and damage before the end of the negotiations. '.repeat(12)}{hashtags} {link}`

describe('message variants for some channels only', () => {
  let t: Awaited<ReturnType<typeof buildTestApp>>
  let c: SeededCampaign
  let editor: SignedIn

  beforeAll(async () => {
    t = await buildTestApp()
    c = await seedCampaign(t.deps)
    editor = await signIn(t.deps, 'editor')
  })
  afterAll(async () => { await t.close() })

  const base = () => `/admin/campaigns/${c.id}/messages`
  const post = (url: string, fields: Fields, lang = 'en') => {
    const p = new URLSearchParams({ _csrf: editor.csrf })
    for (const [k, v] of Object.entries(fields)) for (const x of [v].flat()) p.append(k, x)
    return t.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': lang, cookie: editor.cookie }, payload: p.toString() })
  }
  const act = (fields: Record<string, string>) => t.app.inject({
    method: 'POST',
    url: `/c/${c.slug}/act`,
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', 'accept-language': 'en' },
    payload: new URLSearchParams({ target: c.targets[0]!.id, key: randomUUID(), ...fields }).toString()
  })
  const letterRow = async () => (await t.deps.db.select().from(messages).where(eq(messages.campaignId, c.id))).find((m) => m.body === LETTER)

  it('refuses a long letter meant for every channel because it does not fit X', async () => {
    const res = await post(base(), { locale: 'en', targetId: '', body: LETTER, channels: ['x', 'bluesky', 'mastodon', 'threads', 'email', 'bottle'], op: 'save' })
    expect(res.statusCode).toBe(400)
    expect(pageText(res.body)).toMatch(/Too long on X for Alice Martin/)
    expect(await letterRow()).toBeUndefined()
  })

  it('accepts the same letter for e-mail and the bottle, with its own subject, and lists it as such', async () => {
    const res = await post(base(), { locale: 'en', targetId: '', body: LETTER, channels: ['email', 'bottle'], subject: '  A letter   from your voters ', op: 'save' })
    expect(res.statusCode).toBe(303)
    const row = await letterRow()
    expect(row?.channels).toEqual(['email', 'bottle'])
    expect(row?.subject).toBe('A letter from your voters')
    const list = await t.app.inject({ url: base(), headers: { 'accept-language': 'en', cookie: editor.cookie } })
    expect(pageText(list.body)).toContain('Only on: E-mail, Bottle')
    const edit = await t.app.inject({ url: `${base()}/${row!.id}/edit`, headers: { 'accept-language': 'fr', cookie: editor.cookie } })
    expect(edit.body).toMatch(/name="channels" value="email" checked/)
    expect(edit.body).not.toMatch(/name="channels" value="x" checked/)
    expect(edit.body).toContain('value="A letter from your voters"')
  })

  it('refuses a channel the campaign does not use, in the editor’s language', async () => {
    const res = await post(base(), { locale: 'en', targetId: '', body: '{target} now {hashtags} {link}', channels: ['fax'], op: 'save' }, 'fr')
    expect(res.statusCode).toBe(400)
    expect(pageText(res.body)).toContain('Choisissez parmi les canaux de cette campagne.')
  })

  it('previews only the channels ticked, and the bottle without the link it does not carry', async () => {
    const res = await post(base(), { locale: 'en', targetId: '', body: '{target} act now {hashtags} {link}', channels: ['x', 'bottle'], op: 'preview' })
    expect(res.statusCode).toBe(200)
    const rows = [...res.body.matchAll(/<tr data-channel="(\w+)"[^>]*>[\s\S]*?<div class="preview"[^>]*>([^<]*)<\/div>/g)].map((m) => [m[1], m[2]])
    expect(rows.map((r) => r[0])).toEqual(['x', 'bottle'])
    expect(rows[0]![1]).toContain(`/c/${c.slug}`)
    expect(rows[1]![1]).not.toContain('http')
    expect(rows[1]![1]).toContain('Alice Martin act now')
  })

  it('does not offer a variant whose channels the campaign does not use; names the channels of the others as a list (FR and EN)', async () => {
    const noThreads = await seedCampaign(t.deps, { channels: ['x', 'email', 'bottle'] })
    const [threadsOnly, mailOnly] = await t.deps.db.insert(messages).values([
      { campaignId: noThreads.id, locale: 'en', body: '{target} a Threads-only wording {hashtags} {link}', position: 5, channels: ['threads'] },
      { campaignId: noThreads.id, locale: 'en', body: '{target} a letter {hashtags} {link}', position: 6, channels: ['threads', 'email', 'bottle'] },
      { campaignId: noThreads.id, locale: 'fr', body: '{target} une lettre {hashtags} {link}', position: 6, channels: ['email', 'bottle'] }
    ]).returning()
    const page = (await t.app.inject({ url: `/c/${noThreads.slug}?lang=en&target=${noThreads.targets[0]!.id}` })).body
    expect(page).not.toContain(threadsOnly!.id)
    expect(pageText(page)).not.toContain('Threads-only')
    expect(page).toMatch(new RegExp(`data-message-id="${mailOnly!.id}"[^>]* data-channels="email bottle"`))
    expect(pageText(page)).toContain('Only for e-mail and the bottle')
    // Two wordings for every channel and the letter: two more behind the first (the Threads one is not counted).
    expect(pageText(page)).toContain('See other wordings (2 more)')
    const fr = (await t.app.inject({ url: `/c/${noThreads.slug}?lang=fr` })).body
    expect(pageText(fr)).toContain('Uniquement pour e-mail et la bouteille')
    // Sending it anyway on a channel it is not for is refused.
    const res = await t.app.inject({
      method: 'POST',
      url: `/c/${noThreads.slug}/act`,
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', 'accept-language': 'en' },
      payload: new URLSearchParams({ target: noThreads.targets[0]!.id, key: randomUUID(), message: threadsOnly!.id, channel: 'x' }).toString()
    })
    expect(res.statusCode).toBe(400)
  })

  it('shows each wording’s preview as the bottle keeps it: the target by name, without the link', async () => {
    const page = (await t.app.inject({ url: `/c/${c.slug}?lang=en&target=${c.targets[0]!.id}` })).body
    const previews = [...page.matchAll(/<span class="variant-text" data-preview[^>]*>([^<]*)<\/span>/g)].map((m) => m[1]!)
    expect(previews.length).toBeGreaterThan(1)
    expect(previews).toContain('Alice Martin fund loss and damage now! #tweetbottle')
    for (const p of previews) expect(p).not.toContain(`/c/${c.slug}`)
  })

  it('sends the letter by e-mail with its subject, refuses it on X with a clear message', async () => {
    const row = await eventually(letterRow, 5000, 'the letter')
    // The public page reads the catalog: wait until it has the new variant.
    await eventually(async () => (await t.app.inject({ url: `/c/${c.slug}?lang=en` })).body.includes(row.id), 5000, 'the variant on the page')
    const page = (await t.app.inject({ url: `/c/${c.slug}?lang=en&target=${c.targets[0]!.id}` })).body
    expect(page).toMatch(new RegExp(`data-message-id="${row.id}"[^>]* data-channels="email bottle"`))
    expect(pageText(page)).toContain('Only for e-mail and the bottle')
    const onX = await act({ message: row.id, channel: 'x' })
    expect(onX.statusCode).toBe(400)
    expect(onX.json().error).toBe('This wording is not meant for X. Choose a wording offered for X, or another way of sending.')
    const byMail = await act({ message: row.id, channel: 'email' })
    expect(byMail.statusCode).toBe(201)
    const url = new URL(byMail.json().intentUrl)
    expect(url.protocol).toBe('mailto:')
    expect(decodeURIComponent(url.search)).toContain('subject=A letter from your voters')
    expect((await act({ message: row.id, channel: 'bottle' })).statusCode).toBe(201)
    // Without a subject of its own, an e-mail keeps the campaign's title.
    const plain = c.messages.find((m) => m.locale === 'en')!
    const other = await act({ message: plain.id, channel: 'email' })
    expect(decodeURIComponent(new URL(other.json().intentUrl).search)).toContain('subject=Climate can’t wait')
  })
})
