import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, pageText, signIn, type SignedIn } from '../helper.ts'

const SETTINGS = {
  LEGAL_CONTROLLER_NAME: 'Océans Vivants (association loi 1901)',
  LEGAL_CONTROLLER_ADDRESS: '12 rue des Marins, 29200 Brest',
  LEGAL_CONTACT_EMAIL: 'privacy@oceans.example',
  LEGAL_DPO: 'Jeanne Martin, dpo@oceans.example',
  LEGAL_HOST: 'Hébergeur SAS, 2 rue Kellermann, 59100 Roubaix, +33 9 72 10 10 07',
  RETENTION_UNSELECTED_DAYS: '45',
  RETENTION_SIGNATURE_DAYS: '21',
  RETENTION_FREE_TEXT_DAYS: '1',
  RETENTION_PROOF_DAYS: '400',
  // Listening on: the public posts it keeps are said too (the app itself starts no listener).
  LISTENING: 'on',
  NETWORK_POSTS_RETENTION_DAYS: '30'
}

describe('the privacy and legal pages, and the record of processing', () => {
  let t: Awaited<ReturnType<typeof buildTestApp>>
  let owner: SignedIn
  let editor: SignedIn
  beforeAll(async () => {
    t = await buildTestApp(SETTINGS)
    owner = await signIn(t.deps, 'owner')
    editor = await signIn(t.deps, 'editor')
  })
  afterAll(async () => { await t.close() })

  const get = (url: string) => t.app.inject({ url })
  const saveTexts = (who: SignedIn, fields: Record<string, string>) => t.app.inject({
    method: 'POST', url: '/admin/legal', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: who.cookie, 'accept-language': 'en' }, payload: new URLSearchParams({ _csrf: who.csrf, ...fields }).toString()
  })

  it('states in French who is responsible, what is kept, why and for exactly how long', async () => {
    const res = await get('/privacy?lang=fr')
    expect(res.statusCode).toBe(200)
    expect(res.headers['set-cookie']).toBeUndefined()
    const text = pageText(res.body)
    expect(res.body).toContain('<html lang="fr"')
    for (const v of [SETTINGS.LEGAL_CONTROLLER_NAME, SETTINGS.LEGAL_CONTROLLER_ADDRESS, SETTINGS.LEGAL_CONTACT_EMAIL, SETTINGS.LEGAL_DPO]) expect(text).toContain(v)
    expect(text).toContain('Les messages non retenus pour un dossier sont supprimés 45 jours après la clôture de la campagne.')
    expect(text).toContain('Effacée 21 jours après la remise du dossier (400 jours si la campagne conserve ses dossiers comme preuve de remise).')
    expect(text).toContain('Le texte est effacé 1 jour après l’envoi')
    expect(text).toContain('RGPD art. 9.2.a')
    expect(text).toContain('Messages publics sur Bluesky et Mastodon.')
    expect(text).toContain('Un message supprimé sur son réseau est supprimé ici ; tous sont supprimés 30 jours après la clôture de la campagne.')
    expect(text).toMatch(/lien privé .* retirer votre message/)
    expect(res.body).toContain('href="mailto:privacy@oceans.example"')
    expect(res.body).toContain('href="/privacy.json"')
  })

  it('says the same in English', async () => {
    const text = pageText((await get('/privacy?lang=en')).body)
    expect(text).toContain('Messages not selected for a dossier are deleted 45 days after the campaign closes.')
    expect(text).toContain('Removed 21 days after the dossier is delivered (400 days when the campaign keeps its dossiers as proof of delivery).')
    expect(text).toContain('The text is blanked 1 day after the send')
    expect(text).toContain('GDPR Art. 9(2)(a)')
    expect(text).toContain('Public posts on Bluesky and Mastodon.')
    expect(text).toContain('A post deleted on its network is deleted here; all are deleted 30 days after the campaign closes.')
  })

  it('names the publisher and the host on the legal notice, in both languages', async () => {
    for (const [lang, heading] of [['fr', 'Mentions légales'], ['en', 'Legal notice']]) {
      const res = await get(`/legal?lang=${lang}`)
      expect(res.statusCode).toBe(200)
      const text = pageText(res.body)
      expect(text).toContain(heading)
      expect(text).toContain(SETTINGS.LEGAL_HOST)
      expect(text).toContain(SETTINGS.LEGAL_CONTROLLER_NAME)
    }
  })

  it('links both pages from the footer of every public page', async () => {
    for (const url of ['/?lang=en', '/privacy?lang=en', '/legal?lang=en', '/c/nothing-here?lang=en']) {
      const body = (await get(url)).body
      expect(body, url).toMatch(/<footer[\s\S]*href="\/privacy\?lang=en"[\s\S]*href="\/legal\?lang=en"[\s\S]*<\/footer>/)
    }
  })

  it('serves the record of processing as JSON with the Art. 30 fields and the settings’ values', async () => {
    const res = await get('/privacy.json')
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/^application\/json/)
    const r = res.json()
    expect(r.regulation).toMatch(/Article 30/)
    expect(r.controller).toEqual({ name: SETTINGS.LEGAL_CONTROLLER_NAME, address: SETTINGS.LEGAL_CONTROLLER_ADDRESS, contact: SETTINGS.LEGAL_CONTACT_EMAIL, dataProtectionOfficer: SETTINGS.LEGAL_DPO })
    expect(r.processor.hosting).toBe(SETTINGS.LEGAL_HOST)
    expect(r.processing).toHaveLength(3)
    expect(r.processing[2].name).toMatch(/Listening/)
    expect(r.processing[2].categoriesOfDataSubjects).toEqual(['Authors of public posts on Bluesky and Mastodon carrying the campaign’s hashtags or addressed to its decision-makers'])
    expect(r.processing[2].retention).toMatchObject({ networkPostsRetentionDays: 30 })
    expect(r.processing[1].retention).toMatchObject({ unselectedDays: 45, signatureDays: 21, proofDays: 400 })
    expect(r.processing[0].retention).toMatchObject({ freeTextDays: 1 })
    for (const p of r.processing) for (const k of ['purposes', 'legalBasis', 'categoriesOfDataSubjects', 'categoriesOfPersonalData', 'recipients', 'transfersToThirdCountries']) expect(p[k], k).toBeTruthy()
    expect(r.securityMeasures.length).toBeGreaterThan(0)
  })

  it('shows an owner’s own text, escaped and in paragraphs, per language; audited; editors may not', async () => {
    const page = await t.app.inject({ url: '/admin/legal', headers: { cookie: owner.cookie, 'accept-language': 'en' } })
    expect(page.statusCode).toBe(200)
    expect(pageText(page.body)).toContain(SETTINGS.LEGAL_HOST)
    expect((await saveTexts(editor, { locale: 'fr', privacy: 'x', legal: 'y' })).statusCode).toBe(403)
    expect((await saveTexts(owner, { locale: 'xx', privacy: 'x', legal: 'y' })).statusCode).toBe(400)
    expect((await saveTexts(owner, { locale: 'fr', privacy: 'a'.repeat(20_001), legal: '' })).statusCode).toBe(400)

    const saved = await saveTexts(owner, { locale: 'fr', privacy: 'Premier paragraphe <script>alert(1)</script>\r\n\r\nSecond paragraphe', legal: 'Directrice de la publication : Anne Dupont' })
    expect(saved.statusCode).toBe(303)
    const fr = (await get('/privacy?lang=fr')).body
    expect(fr).toContain('<p>Premier paragraphe &lt;script&gt;alert(1)&lt;/script&gt;</p>')
    expect(fr).toContain('<p>Second paragraphe</p>')
    expect(fr).not.toContain('<script>alert(1)')
    expect(pageText((await get('/legal?lang=fr')).body)).toContain('Directrice de la publication : Anne Dupont')
    // The English pages keep their own (none yet).
    expect((await get('/privacy?lang=en')).body).not.toContain('Premier paragraphe')
    const [entry] = (await t.deps.pool.query("SELECT user_email, entity_id, after FROM audit_log WHERE entity = 'legal_text'")).rows
    expect(entry).toMatchObject({ user_email: owner.user.email, entity_id: 'fr', after: { legal: 'Directrice de la publication : Anne Dupont' } })
  })
})

describe('the legal pages of an installation whose operator set nothing yet', () => {
  let t: Awaited<ReturnType<typeof buildTestApp>>
  beforeAll(async () => { t = await buildTestApp() })
  afterAll(async () => { await t.close() })

  it('say so plainly, with the default retention periods', async () => {
    const text = pageText((await t.app.inject({ url: '/privacy?lang=en' })).body)
    expect(text).toContain('Not provided yet by the operator of this site.')
    expect(text).toContain('No data-protection officer designated.')
    expect(text).toContain('deleted 30 days after the campaign closes')
    expect(text).toContain('The text is blanked 90 days after the send')
    expect((await t.app.inject({ url: '/privacy.json' })).json().controller).toEqual({ name: null, address: null, contact: null, dataProtectionOfficer: null })
    // Listening is off here (the tests' default): no public post is kept, and neither page says one is.
    expect(text).not.toContain('Public posts on Bluesky and Mastodon')
    expect((await t.app.inject({ url: '/privacy.json' })).json().processing).toHaveLength(2)
  })
})
