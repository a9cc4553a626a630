import nodemailer from 'nodemailer'

export interface MailAttachment { filename: string, content: Buffer, contentType: string }

export interface Mail {
  to: string | string[]
  subject: string
  text: string
  html?: string
  attachments?: MailAttachment[]
  /** a stable Message-ID, so a resent mail can be recognised by the receiving side */
  messageId?: string
}

export interface SentMail { messageId: string, accepted: string[], rejected: string[] }

/** Raised when mail is needed but SMTP_URL is not set. */
export class MailNotConfiguredError extends Error {
  constructor () { super('SMTP_URL is not set: Bouteille cannot send e-mail') }
}

export type Mailer = ReturnType<typeof createMailer>

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]'])

/**
 * Whether an smtp:// server must upgrade with STARTTLS before credentials and mail are sent (nodemailer's requireTLS:
 * the send fails rather than go out in clear text when the server does not offer it; nodemailer docs, "SMTP
 * transport", checked 2026-12-04). smtps:// is TLS from the start; a server on this machine is let through in clear.
 */
export function requiresStartTls (url: string): boolean {
  const u = new URL(url)
  if (u.protocol !== 'smtp:') return false
  const host = u.hostname.toLowerCase()
  return !(LOCAL_HOSTS.has(host) || host.endsWith('.localhost') || /^127\./.test(host))
}

/** Sends e-mail through the SMTP server of SMTP_URL (nodemailer); without it, enabled is false and send() throws. */
export function createMailer ({ url, from }: { url: string | undefined, from: string }) {
  const transport = url
    ? nodemailer.createTransport({ url, requireTLS: requiresStartTls(url) }, { from })
    : null
  return {
    enabled: transport !== null,
    from,
    async send (mail: Mail): Promise<SentMail> {
      if (!transport) throw new MailNotConfiguredError()
      const info = await transport.sendMail({
        from,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        messageId: mail.messageId,
        attachments: mail.attachments?.map((a) => ({ filename: a.filename, content: a.content, contentType: a.contentType }))
      })
      const list = (v: unknown): string[] => Array.isArray(v) ? v.map((x) => typeof x === 'string' ? x : String((x as { address?: string }).address ?? x)) : []
      return { messageId: String(info.messageId), accepted: list(info.accepted), rejected: list(info.rejected) }
    },
    close (): void {
      transport?.close()
    }
  }
}
