import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { DOSSIER_MESSAGE_CAP, dossierView, groupByLanguage, languageName, signatureOf, textDirection, type DossierData } from '../../server/domain/dossier.ts'
import { createI18n } from '../../server/i18n.ts'
import { createPdfFontFiles } from '../../server/infra/pdf-fonts.ts'
import { renderDossierPdf } from '../../server/services/dossier-pdf.ts'
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

  it('groups the messages by language, the reader’s first, then the largest groups, with their names in the reader’s language', () => {
    const m = (locale: string, text: string) => ({ text, locale, signatureName: null, signatureTown: null, publishConsent: false, featured: false, createdAt: new Date('2026-11-01T10:00:00Z') })
    const messages = [m('ar', 'أ'), m('fr', 'a'), m('ja', 'あ'), m('ar', 'ب'), m('es', 'e'), m('ar', 'ت'), m('ja', 'い')]
    expect(groupByLanguage(messages, 'es').map((g) => [g.language, g.messages.map((x) => x.text).join('')])).toEqual([['es', 'e'], ['ar', 'أبت'], ['ja', 'あい'], ['fr', 'a']])
    const v = dossierView(data({ messages, approvedTotal: 7 }), fr)
    expect(v.groups.map((g) => g.heading)).toEqual(['Français · 1 message', 'Arabe · 3 messages', 'Japonais · 2 messages', 'Espagnol · 1 message'])
    expect(v.messageCount).toBe(7)
    expect(languageName('es', 'ar')).toBe('árabe')
    expect(languageName('en', 'pt-BR')).toBe('Brazilian Portuguese')
  })

  it('knows which languages are written right to left', () => {
    expect(['ar', 'he', 'fa', 'ur', 'ar-EG', 'az-Arab'].map(textDirection)).toEqual(['rtl', 'rtl', 'rtl', 'rtl', 'rtl', 'rtl'])
    expect(['fr', 'hi', 'ja', 'ru', 'az-Latn', 'uz'].map(textDirection)).toEqual(['ltr', 'ltr', 'ltr', 'ltr', 'ltr', 'ltr'])
  })

  it('shows a signature only with the supporter’s consent', () => {
    expect(signatureOf({ signatureName: 'Zoé', signatureTown: 'Lyon', publishConsent: true })).toBe('Zoé, Lyon')
    expect(signatureOf({ signatureName: 'Zoé', signatureTown: 'Lyon', publishConsent: false })).toBeNull()
    expect(signatureOf({ signatureName: ' ', signatureTown: null, publishConsent: true })).toBeNull()
  })

  it('says how many approved messages did not fit under the cap', () => {
    const messages = [{ text: 'a', locale: 'fr', signatureName: null, signatureTown: null, publishConsent: false, featured: false, createdAt: new Date() }]
    expect(dossierView(data({ messages, approvedTotal: 1 }), en).moreText).toBeNull()
    expect(dossierView(data({ messages, approvedTotal: DOSSIER_MESSAGE_CAP + 1 }), en).moreText).toBe(`And ${DOSSIER_MESSAGE_CAP} more approved messages, not printed here (1 shown).`)
  })
})

const fonts = createPdfFontFiles()

describe('dossier PDF', () => {
  it('wraps long messages, breaks pages and numbers every page', async () => {
    const long = Array.from({ length: 180 }, (_, i) => `mot${i}`).join(' ')
    const messages = Array.from({ length: 60 }, (_, i) => ({
      text: i === 5 ? long : `Message numéro ${i} : financez le fonds pertes et dommages.`,
      locale: 'fr',
      signatureName: `Personne ${i}`,
      signatureTown: 'Nantes',
      publishConsent: i % 2 === 0,
      featured: i < 2,
      createdAt: new Date('2026-11-01T10:00:00Z')
    }))
    const pdf = await renderDossierPdf(dossierView(data({ messages, approvedTotal: 60 }), i18n.translator('fr')), fonts)
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-')
    const pages = await pdfPages(pdf)
    expect(pages.length).toBeGreaterThan(3)
    pages.forEach((p, i) => expect(p).toContain(`Page ${i + 1} sur ${pages.length}`))
    const all = pages.join(' ').replace(/\s+/g, ' ')
    // U+202F is not in Noto Sans's Latin file: drawn as a no-break space, which extraction gives as a space.
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
