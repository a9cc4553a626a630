import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tallyCampaign } from '../../jobs/tally-job.ts'
import { actBody, buildTestApp, seedCampaign, signIn, type SeededCampaign, type SignedIn } from '../helper.ts'

describe('a rejected bottle message counts nowhere', () => {
  let t: Awaited<ReturnType<typeof buildTestApp>>
  let c: SeededCampaign
  let editor: SignedIn

  beforeAll(async () => {
    t = await buildTestApp()
    c = await seedCampaign(t.deps)
    editor = await signIn(t.deps, 'editor')
  })
  afterAll(async () => { await t.close() })

  const target = () => c.targets[0]!
  async function drop (): Promise<number> {
    const body = actBody(c, { channel: 'bottle', text: `Agissez pour le climat, message ${randomUUID()}` })
    const res = await t.app.inject({ method: 'POST', url: `/c/${c.slug}/act`, headers: { accept: 'application/json' }, payload: body })
    expect(res.statusCode).toBe(201)
    const row = (await t.deps.pool.query('SELECT b.id FROM bottle_messages b JOIN actions a ON a.id = b.action_id WHERE a.key = $1', [body.key])).rows[0]
    return Number(row.id)
  }
  const moderate = async (op: string, id: number) => {
    const p = new URLSearchParams({ _csrf: editor.csrf, one: `${op}:${id}` })
    const res = await t.app.inject({ method: 'POST', url: `/admin/campaigns/${c.id}/bottle/moderate`, headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: editor.cookie }, payload: p.toString() })
    expect(res.statusCode).toBe(303)
  }
  const progress = async () => (await t.app.inject({ url: `/c/${c.slug}/progress.json` })).json() as { total: number, targets: Array<{ id: string, count: number }>, channels: Record<string, number> }
  const received = async () => (await progress()).targets.find((x) => x.id === target().id)?.count
  const dossierBottle = async () => (await t.deps.dossiers.build(c.id, target().id))!.view.channels.find((x) => x.channel === 'bottle')!.count
  const counters = async () => (await t.deps.pool.query("SELECT dimension, key, count::int AS n FROM campaign_counts WHERE campaign_id = $1 AND dimension <> 'minute' ORDER BY 1, 2", [c.id])).rows

  it('takes a rejected message out of the dossier, the public count and every counter, tallied or not, and back in when approved', async () => {
    const kept = await drop()
    const spam1 = await drop()
    await tallyCampaign(t.deps, c.id)
    const spam2 = await drop()
    expect(await received()).toBe(2)

    await moderate('approve', kept)
    await moderate('reject', spam1) // already tallied: taken out of the counters
    await moderate('reject', spam2) // not tallied yet: the tally skips it
    await moderate('reject', spam2) // a repeat changes nothing
    await tallyCampaign(t.deps, c.id)

    const p = await progress()
    expect(p.total).toBe(1)
    expect(await received()).toBe(1)
    expect(p.channels.bottle).toBe(1)
    expect(await dossierBottle()).toBe(1)
    const dossier = (await t.deps.dossiers.build(c.id, target().id))!.view
    expect(dossier.total).toBe(1)
    expect(dossier.messageCount).toBe(1)

    // The counters agree with a rebuild from the rows.
    const tallied = await counters()
    await t.deps.actionRepo.rebuild(c.id)
    expect(await counters()).toEqual(tallied)

    // The team changes its mind: approved again, it counts again.
    await moderate('approve', spam1)
    expect(await received()).toBe(2)
    expect(await dossierBottle()).toBe(2)
    const again = await counters()
    await t.deps.actionRepo.rebuild(c.id)
    expect(await counters()).toEqual(again)
  })

  it('warns before delivering to every decision-maker, naming those whose dossier has no selected message', async () => {
    const page = async (lang: string) => (await t.app.inject({ url: `/admin/campaigns/${c.id}/delivery`, headers: { 'accept-language': lang, cookie: editor.cookie } })).body
    const en = await page('en')
    const warning = /<div class="flash flash--warning" role="note" data-testid="empty-dossiers"><p>([^<]*)<\/p>/.exec(en)![1]!
    expect(warning).toBe('No message is selected for 2 decision-makers (Bongani Dube and Carla Souza): their dossiers would carry the counts only. Approve messages to them first, or deliver anyway.')
    // The confirmation of "Deliver to every decision-maker" says it too.
    expect(en).toMatch(/action="[^"]*\/deliver" data-confirm="No message is selected for 2 decision-makers \(Bongani Dube and Carla Souza\)/)
    expect(await page('fr')).toContain('Aucun message n’est sélectionné pour 2 décideurs (Bongani Dube et Carla Souza)')
  })
})
