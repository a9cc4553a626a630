import { simpleParser, type ParsedMail } from 'mailparser'
import { SMTPServer } from 'smtp-server'

/** A real local SMTP server that keeps what it receives; failNext makes it refuse the next messages. */
export interface SmtpSink {
  url: string
  mails: ParsedMail[]
  /** refuse the next n messages with a temporary error (451, as a flaky server would) or the given code (550: refused) */
  failNext: (n: number, message?: string, code?: number) => void
  /** waits until at least n mails have arrived */
  waitFor: (n: number, timeoutMs?: number) => Promise<ParsedMail[]>
  close: () => Promise<void>
}

/** Starts an SMTP sink on a free port of host, loopback by default (no TLS, any credentials accepted). */
export async function startSmtpSink ({ host = '127.0.0.1' }: { host?: string } = {}): Promise<SmtpSink> {
  const mails: ParsedMail[] = []
  let failing = 0
  let failMessage = 'Try again later'
  let failCode = 451
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData (stream, _session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        if (failing > 0) {
          failing--
          const err = Object.assign(new Error(failMessage), { responseCode: failCode })
          callback(err)
          return
        }
        simpleParser(Buffer.concat(chunks)).then((mail) => {
          mails.push(mail)
          callback()
        }, (err: Error) => callback(err))
      })
    }
  })
  await new Promise<void>((resolve) => server.listen(0, host, () => resolve()))
  const addr = server.server.address()
  if (!addr || typeof addr === 'string') throw new Error('smtp sink: no address')
  return {
    url: `smtp://${host.includes(':') ? `[${host}]` : host}:${addr.port}`,
    mails,
    failNext (n, message = 'Try again later', code = 451) { failing = n; failMessage = message; failCode = code },
    async waitFor (n, timeoutMs = 15_000) {
      const until = Date.now() + timeoutMs
      while (mails.length < n) {
        if (Date.now() > until) throw new Error(`smtp sink: ${mails.length} of ${n} mails after ${timeoutMs} ms`)
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      return mails
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve()))
  }
}
