import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, pageText, signIn, type SignedIn } from '../helper.ts'
import { startSmtpSink, type SmtpSink } from '../smtp-sink.ts'

describe('invitations by e-mail when SMTP_URL is set', () => {
  let sink: SmtpSink
  let t: Awaited<ReturnType<typeof buildTestApp>>
  let owner: SignedIn

  beforeAll(async () => {
    sink = await startSmtpSink()
    t = await buildTestApp({ SMTP_URL: sink.url })
    owner = await signIn(t.deps, 'owner')
  })
  afterAll(async () => {
    await t.close()
    await sink.close()
  })

  const invite = (email: string) => t.app.inject({
    method: 'POST',
    url: '/admin/team/invite',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'en', cookie: owner.cookie },
    payload: new URLSearchParams({ _csrf: owner.csrf, email, role: 'editor' }).toString()
  })
  const follow = (res: Awaited<ReturnType<typeof invite>>) => {
    const flash = res.cookies.find((x) => x.name === 'bouteille_flash')
    return t.app.inject({ url: '/admin/team', headers: { 'accept-language': 'en', cookie: `${owner.cookie}; bouteille_flash=${flash!.value}` } })
  }

  it('e-mails the one-time link to the invited address, and still shows it once to copy', async () => {
    const res = await invite('nadia@example.org')
    expect(res.statusCode).toBe(303)
    const [mail] = await sink.waitFor(1)
    expect(mail!.to).toMatchObject({ text: 'nadia@example.org' })
    expect(mail!.subject).toBe('Your invitation to the campaign team')
    const link = /http:\/\/\S+\/admin\/invite\/[A-Za-z0-9_-]+/.exec(mail!.text ?? '')![0]
    expect(mail!.text).toContain('as Editor')
    const page = await follow(res)
    expect(pageText(page.body)).toContain('Sent by e-mail to nadia@example.org.')
    expect(page.body).toContain(link)
    // The mailed link opens the invitation page.
    expect((await t.app.inject({ url: new URL(link).pathname })).statusCode).toBe(200)
  })

  it('keeps the link to copy when the mail server refuses', async () => {
    sink.failNext(1, 'mailbox unavailable', 550)
    const res = await invite('refused@example.org')
    expect(res.statusCode).toBe(303)
    const page = await follow(res)
    expect(pageText(page.body)).toContain('Copy it now: it is shown only once.')
    expect(page.body).toMatch(/\/admin\/invite\/[A-Za-z0-9_-]{20,}/)
  })
})
