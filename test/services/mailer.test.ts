import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../server/config.ts'
import { createMailer, MailNotConfiguredError } from '../../server/services/mailer.ts'
import { startSmtpSink, type SmtpSink } from '../smtp-sink.ts'

describe('mailer', () => {
  let sink: SmtpSink
  beforeAll(async () => { sink = await startSmtpSink() })
  afterAll(async () => { await sink?.close() })

  it('delivers a mail with its attachment to a real SMTP server', async () => {
    const mailer = createMailer({ url: sink.url, from: 'Campagne <team@example.org>' })
    const sent = await mailer.send({
      to: 'minister@example.org',
      subject: 'Votre bouteille — 1 000 messages',
      text: 'Bonjour',
      attachments: [{ filename: 'dossier.pdf', content: Buffer.from('%PDF-1.4 test'), contentType: 'application/pdf' }]
    })
    expect(sent.accepted).toEqual(['minister@example.org'])
    const [mail] = await sink.waitFor(1)
    expect(mail!.subject).toBe('Votre bouteille — 1 000 messages')
    expect(mail!.from?.value[0]).toMatchObject({ name: 'Campagne', address: 'team@example.org' })
    expect(mail!.attachments[0]?.filename).toBe('dossier.pdf')
    expect(mail!.attachments[0]?.content.toString()).toBe('%PDF-1.4 test')
    mailer.close()
  })

  it('reports a refusal of the server as an error (the caller retries)', async () => {
    const mailer = createMailer({ url: sink.url, from: 'team@example.org' })
    sink.failNext(1, 'Mailbox busy')
    await expect(mailer.send({ to: 'a@example.org', subject: 's', text: 't' })).rejects.toThrow(/Mailbox busy/)
    mailer.close()
  })

  it('is off without SMTP_URL, and says so', async () => {
    const mailer = createMailer({ url: undefined, from: 'team@example.org' })
    expect(mailer.enabled).toBe(false)
    await expect(mailer.send({ to: 'a@example.org', subject: 's', text: 't' })).rejects.toBeInstanceOf(MailNotConfiguredError)
  })

  it('validates SMTP_URL and MAIL_FROM at start', () => {
    expect(() => loadConfig({ SMTP_URL: 'http://mail' })).toThrow(/SMTP_URL must be a smtp: or smtps:/)
    expect(() => loadConfig({ MAIL_FROM: 'not an address' })).toThrow(/MAIL_FROM must be an address/)
    expect(loadConfig({ SMTP_URL: 'smtp://u:p@127.0.0.1:2525', MAIL_FROM: 'Team <t@example.org>' })).toMatchObject({ smtpUrl: 'smtp://u:p@127.0.0.1:2525', mailFrom: 'Team <t@example.org>' })
  })
})
