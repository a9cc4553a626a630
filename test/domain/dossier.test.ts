import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { DOSSIER_MESSAGE_CAP, dossierView, pdfText, signatureOf, type DossierData } from '../../server/domain/dossier.ts'
import { createI18n } from '../../server/i18n.ts'
import { renderPdf } from '../../server/services/dossier-service.ts'
import { classifySendError, fileSlug, mailDomain } from '../../server/services/delivery-service.ts'
import { pdfPages } from '../pdf-text.ts'

const i18n = createI18n(fileURLToPath(new URL('../../views/locales', import.meta.url)))

function data (over: Partial<DossierData> = {}): DossierData {
  return {
    campaign: { slug: 'cop', title: 'Le climat n’attend pas', pitch: 'Écrivez aux négociateurs.', hashtags: ['tweetbouteille'], link: 'https://b.example/c/cop', timeZone: 'Europe/Paris' },
    target: { name: 'Alice Martin', role: 'Ministre', organisation: 'Gouvernement', country: 'France' },
    counts: { x: 12345, bluesky: 0, mastodon: 3, threads: 0, email: 1, bottle: 2 },
    messages: [],
    approvedTotal: 0,
    at: new Date('2026-12-10T08:00:00Z'),
    ...over
  }
}

describe('dossier text for the PDF fonts', () => {
  it('keeps French and Western European text, quotes and the euro unchanged', () => {
    expect(pdfText('« Élan » — l’œuvre coûte 5 € ; ça va… Straße, Ærø, ñ')).toEqual({ text: '« Élan » — l’œuvre coûte 5 € ; ça va… Straße, Ærø, ñ', lossy: false })
  })

  it('turns the narrow no-break space of French numbers into a no-break space the fonts have', () => {
    expect(pdfText('12\u202f345 actions').text).toBe('12\u00a0345 actions')
    expect(pdfText('12\u202f345 actions').lossy).toBe(false)
  })

  it('drops pictographs and strips accents the fonts lack, and says so', () => {
    expect(pdfText('Merci 🌍🙏 !')).toEqual({ text: 'Merci !', lossy: true })
    expect(pdfText('Łódź, Kraków, Ő')).toEqual({ text: 'Lódz, Kraków, O', lossy: true })
    expect(pdfText('Привет')).toEqual({ text: '??????', lossy: true })
  })
})

describe('dossier view', () => {
  const fr = i18n.translator('fr')
  const en = i18n.translator('en')

  it('totals the channels and formats them in the dossier’s language', () => {
    const v = dossierView(data(), fr)
    expect(v.total).toBe(12351)
    expect(v.totalText).toBe('12\u202f351 actions vous ont été adressées')
    expect(v.channels.find((c) => c.channel === 'x')!.countText).toBe('12\u202f345')
    expect(v.channels.map((c) => c.channel)).toEqual(['x', 'bluesky', 'mastodon', 'threads', 'email', 'bottle'])
    expect(dossierView(data({ counts: { x: 0, bluesky: 0, mastodon: 0, threads: 0, email: 0, bottle: 0 } }), fr).totalText).toBe('0 action vous a été adressée')
    expect(dossierView(data(), en).totalText).toBe('12,351 actions addressed to you')
    expect(v.date).toBe('10 décembre 2026')
  })

  it('shows a signature only with the supporter’s consent', () => {
    expect(signatureOf({ signatureName: 'Zoé', signatureTown: 'Lyon', publishConsent: true })).toBe('Zoé, Lyon')
    expect(signatureOf({ signatureName: 'Zoé', signatureTown: 'Lyon', publishConsent: false })).toBeNull()
    expect(signatureOf({ signatureName: ' ', signatureTown: null, publishConsent: true })).toBeNull()
  })

  it('says how many approved messages did not fit under the cap', () => {
    const messages = [{ text: 'a', signatureName: null, signatureTown: null, publishConsent: false, featured: false, createdAt: new Date() }]
    expect(dossierView(data({ messages, approvedTotal: 1 }), en).moreText).toBeNull()
    expect(dossierView(data({ messages, approvedTotal: DOSSIER_MESSAGE_CAP + 1 }), en).moreText).toBe(`And ${DOSSIER_MESSAGE_CAP} more approved messages, not printed here (1 shown).`)
  })
})

describe('dossier PDF', () => {
  it('wraps long messages, breaks pages and numbers every page', async () => {
    const long = Array.from({ length: 180 }, (_, i) => `mot${i}`).join(' ')
    const messages = Array.from({ length: 60 }, (_, i) => ({
      text: i === 5 ? long : `Message numéro ${i} : financez le fonds pertes et dommages.`,
      signatureName: `Personne ${i}`,
      signatureTown: 'Nantes',
      publishConsent: i % 2 === 0,
      featured: i < 2,
      createdAt: new Date('2026-11-01T10:00:00Z')
    }))
    const pdf = await renderPdf(dossierView(data({ messages, approvedTotal: 60 }), i18n.translator('fr')))
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-')
    const pages = await pdfPages(pdf)
    expect(pages.length).toBeGreaterThan(3)
    pages.forEach((p, i) => expect(p).toContain(`Page ${i + 1} sur ${pages.length}`))
    const all = pages.join(' ').replace(/\s+/g, ' ')
    expect(all).toContain('12 351 actions vous ont été adressées')
    expect(all).toContain(long)
    expect(all).toContain('Message numéro 59 : financez le fonds pertes et dommages.')
    expect(all).toContain('Personne 58, Nantes')
    expect(all).not.toContain('Personne 59')
    // The cover stands alone: the messages start on the second page.
    expect(pages[0]).not.toContain('Message numéro 0')
  })
})

describe('delivery helpers', () => {
  it('takes the Message-ID domain from the sender', () => {
    expect(mailDomain('Équipe <equipe@climat.example>')).toBe('climat.example')
    expect(mailDomain('team@Example.org')).toBe('example.org')
  })

  it('retries temporary SMTP answers and network errors, not refusals', () => {
    expect(classifySendError(Object.assign(new Error('busy'), { responseCode: 451, response: '451 busy' }))).toEqual({ reason: 'smtpTemporary', permanent: false, detail: '451 busy' })
    expect(classifySendError(Object.assign(new Error('no such user'), { responseCode: 550 }))).toMatchObject({ reason: 'smtpRejected', permanent: true })
    expect(classifySendError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNECTION' }))).toMatchObject({ reason: 'error', permanent: false })
  })

  it('makes file names from target names', () => {
    expect(fileSlug('Amina Diallo-Keïta')).toBe('amina-diallo-keita')
    expect(fileSlug('李')).toBe('target')
  })
})
