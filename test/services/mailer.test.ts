import { networkInterfaces } from 'node:os'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../server/config.ts'
import { createMailer, MailNotConfiguredError, requiresStartTls } from '../../server/services/mailer.ts'
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

  it('requires STARTTLS from a server on another machine: no mail goes out in clear text', async () => {
    // This machine's own network address stands for a remote server: not loopback, so the rule applies.
    const address = Object.values(networkInterfaces()).flat().find((i) => i && !i.internal && i.family === 'IPv4')?.address
    if (!address) throw new Error('this test needs a non-loopback IPv4 address')
    const remote = await startSmtpSink({ host: address })
    try {
      const mailer = createMailer({ url: remote.url, from: 'team@example.org' })
      await expect(mailer.send({ to: 'a@example.org', subject: 's', text: 'secret dossier' })).rejects.toThrow(/STARTTLS/i)
      expect(remote.mails).toHaveLength(0)
      mailer.close()
    } finally { await remote.close() }
  })

  it('asks STARTTLS of every smtp:// host but this machine; smtps:// is TLS already', () => {
    for (const url of ['smtp://smtp.example.org:587', 'smtp://u:p@192.0.2.10:25', 'smtp://[2001:db8::1]:587', 'smtp://localhost.example.org']) {
      expect(requiresStartTls(url), url).toBe(true)
    }
    for (const url of ['smtp://localhost:25', 'smtp://127.0.0.1:1025', 'smtp://[::1]:25', 'smtp://mail.localhost', 'smtps://smtp.example.org:465']) {
      expect(requiresStartTls(url), url).toBe(false)
    }
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
