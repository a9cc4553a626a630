import { randomBytes } from 'node:crypto'
import type { Channel } from '../db/schema.ts'
import { isAttributionCode } from '../domain/reach-links.ts'
import { buildIntentUrl, parseInstance } from '../domain/intents.ts'
import { CHANNELS, LIMITS, finalizeText, measureLength, renderMessage } from '../domain/messages.ts'
import { variantAllows } from '../domain/variant-channels.ts'
import { CONSENT_VERSION, SIGNATURE_MAX, bottleText, readSignatureField, ticked } from '../domain/bottle-rules.ts'
import { hasControlChars } from '../domain/input-rules.ts'
import { isChallengeReplay, type ActionRepo, type NewAction } from '../repos/action-repo.ts'
import { newWithdrawToken } from './withdrawal-service.ts'
import type { BottleRepo } from '../repos/bottle-repo.ts'
import type { CampaignData } from '../repos/campaign-repo.ts'
import type { ChallengeService } from './challenge-service.ts'

/** What a supporter's form (or JSON client) sends to POST /c/:slug/act. */
export interface ActInput {
  target?: unknown
  message?: unknown
  text?: unknown
  key?: unknown
  ref?: unknown
  instance?: unknown
  channel?: unknown
  /** the bottle: an optional signature, published only with publish_consent (an unticked checkbox) */
  signature_name?: unknown
  signature_town?: unknown
  publish_consent?: unknown
  /** a network send: also put a copy in the bottle (a second action, channel bottle) */
  bottle_copy?: unknown
  /** reach: the supporter link the page was opened from (?from=), the sender's own link code, and 'embed' from the widget */
  from?: unknown
  link?: unknown
  source?: unknown
  /** bot defence, when the campaign's challenge is on: the solved proof of work, or the no-JS question's token and answer */
  altcha?: unknown
  challenge_token?: unknown
  challenge_answer?: unknown
}

/** A refusal: the HTTP status and the i18n key (with its variables) that tells the supporter what to do. */
export interface ActRefusal { ok: false, status: 400 | 403 | 409, error: string, vars?: Record<string, string | number> }

export interface ActSuccess {
  ok: true
  id: number
  /** where to send the supporter: the network's intent, mailto:, or the thank-you page */
  intentUrl: string
  created: boolean
  channel: Channel
  locale: string
  /** how many actions this request added (0 for a repeat; 2 for a network send with its copy in the bottle) */
  counted: number
  /** the message put in the bottle, if any */
  bottle: { id: number, status: string } | null
  /** the private token of the withdrawal link of the message put in the bottle now (null for a repeat or no bottle) */
  withdrawToken: string | null
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i
const REF_RE = /^[A-Za-z0-9_-]{1,64}$/
/** Hard cap before any parsing, whatever the channel. */
const MAX_TEXT_INPUT = 5000

/**
 * The send's reach fields, or null when one is malformed: `from` and `link` are attribution codes, `source` is
 * 'embed' or the page. With makeLink (a form posted without JavaScript), a bottle send without a link code gets one
 * made here, kept only on this action and handed to the thank-you page that follows.
 */
export function readReach (input: Pick<ActInput, 'from' | 'link' | 'source'>, channel: string, makeLink = false): Pick<NewAction, 'fromCode' | 'linkCode' | 'source'> | null {
  const code = (v: unknown): string | null | undefined => v === undefined || v === null || v === '' ? null : isAttributionCode(v) ? v : undefined
  const fromCode = code(input.from)
  let linkCode = code(input.link)
  if (fromCode === undefined || linkCode === undefined) return null
  if (!linkCode && makeLink && channel === 'bottle') linkCode = newLinkCode()
  // A supporter sending again through their own link brings nobody new.
  return { fromCode: fromCode === linkCode ? null : fromCode, linkCode, source: input.source === 'embed' ? 'embed' : 'page' }
}

/** A supporter link code made by the server (72 random bits, base64url): for a browser without JavaScript. */
export function newLinkCode (): string {
  return randomBytes(9).toString('base64url')
}

export type ActionService = ReturnType<typeof createActionService>

/** Validates a send against the campaign, records it exactly once, and returns where the supporter goes next. */
export function createActionService ({ actionRepo, bottleRepo, requestTally, challenge, observe, publicUrl, now = () => new Date() }: {
  actionRepo: Pick<ActionRepo, 'record' | 'exists'>
  bottleRepo: Pick<BottleRepo, 'record'>
  /** asks for a tally of the campaign soon; never throws, never waits */
  requestTally: (campaignId: string) => void
  /** the bot defence's check, for campaigns whose challenge is on */
  challenge?: Pick<ChallengeService, 'active' | 'redeem' | 'replayed'>
  /** counts a recorded send on the campaign's signals (its free text when the supporter wrote one); never throws, never waits */
  observe?: (c: CampaignData, targetId: string, freeText: string | null) => void
  publicUrl: string
  now?: () => Date
}) {
  /** Why a campaign does not take actions now, or null when it does. */
  function closedReason (c: CampaignData): string | null {
    const t = now()
    if (c.status !== 'live') return c.status
    if (c.opensAt && t < c.opensAt) return 'scheduled'
    if (c.closesAt && t >= c.closesAt) return 'closed'
    return null
  }

  function campaignLink (c: CampaignData): string {
    return `${publicUrl}/c/${c.slug}`
  }

  return {
    closedReason,
    campaignLink,

    /** opts.makeLink: a form posted without JavaScript (see readReach). */
    async act (c: CampaignData, input: ActInput, opts: { makeLink?: boolean } = {}): Promise<ActSuccess | ActRefusal> {
      const closed = closedReason(c)
      if (closed) return { ok: false, status: 409, error: `errors.notLive.${closed}.message` }

      const channel = typeof input.channel === 'string' ? input.channel as Channel : ''
      if (!channel || !CHANNELS.includes(channel) || !c.channels.includes(channel)) return { ok: false, status: 400, error: 'errors.channel' }

      const target = typeof input.target === 'string' ? c.targetsById.get(input.target) : undefined
      if (!target) return { ok: false, status: 400, error: 'errors.target' }

      const message = typeof input.message === 'string' ? c.messagesById.get(input.message) : undefined
      if (!message || (message.targetId !== null && message.targetId !== target.id)) return { ok: false, status: 400, error: 'errors.message' }
      if (!variantAllows(message, channel)) return { ok: false, status: 400, error: 'errors.messageChannel', vars: { network: channel } }

      if (typeof input.key !== 'string' || !UUID_RE.test(input.key)) return { ok: false, status: 400, error: 'errors.key' }
      const key = input.key.toLowerCase()

      let ref: string | null = null
      if (input.ref !== undefined && input.ref !== null && input.ref !== '') {
        if (typeof input.ref !== 'string' || !REF_RE.test(input.ref)) return { ok: false, status: 400, error: 'errors.ref' }
        ref = input.ref
      }

      const reach = readReach(input, channel, opts.makeLink)
      if (!reach) return { ok: false, status: 400, error: 'errors.ref' }

      let instance: string | null = null
      if (channel === 'mastodon') {
        instance = parseInstance(typeof input.instance === 'string' ? input.instance : undefined)
        if (!instance) return { ok: false, status: 400, error: 'errors.instance' }
      }
      if (channel === 'email' && !target.email) return { ok: false, status: 400, error: 'errors.noEmail', vars: { name: target.name } }
      // A post on a network where the target has no account reaches nobody (the page's script says so too).
      if (channel !== 'email' && channel !== 'bottle' && !target.handles[channel]) return { ok: false, status: 400, error: 'errors.noHandle', vars: { name: target.name, network: channel } }

      const texts = c.texts[message.locale] ?? c.texts[c.defaultLocale] ?? Object.values(c.texts)[0]
      const hashtags = texts?.hashtags ?? []
      const link = campaignLink(c)
      let text: string
      let own: string | null = null
      if (input.text !== undefined && input.text !== null && input.text !== '') {
        if (typeof input.text !== 'string') return { ok: false, status: 400, error: 'errors.textEmpty' }
        if (hasControlChars(input.text)) return { ok: false, status: 400, error: 'errors.controlChars' }
        if (input.text.length > MAX_TEXT_INPUT) {
          return { ok: false, status: 400, error: 'errors.textTooLong', vars: { network: channel, count: input.text.length, limit: LIMITS[channel], over: input.text.length - LIMITS[channel] } }
        }
        own = input.text.replace(/\r\n?/g, '\n').trim()
        if (!own) return { ok: false, status: 400, error: 'errors.textEmpty' }
        text = finalizeText(channel, own, target, hashtags, link)
      } else {
        text = renderMessage(message.body, channel, target, hashtags, link)
      }
      const length = measureLength(channel, text)
      if (length > LIMITS[channel]) {
        return { ok: false, status: 400, error: 'errors.textTooLong', vars: { network: channel, count: length, limit: LIMITS[channel], over: length - LIMITS[channel] } }
      }

      // The bottle: the message itself (channel bottle), or a copy of a network send (a second action, channel bottle).
      const copy = channel !== 'bottle' && ticked(input.bottle_copy)
      if (copy && !c.channels.includes('bottle')) return { ok: false, status: 400, error: 'bottle.errors.closed' }
      let signature: { name: string | null, town: string | null, consent: boolean } | null = null
      if (channel === 'bottle' || copy) {
        const name = readSignatureField(input.signature_name)
        if (!name.ok) return { ok: false, status: 400, error: `bottle.errors.name.${name.error}`, vars: { max: SIGNATURE_MAX } }
        const town = readSignatureField(input.signature_town)
        if (!town.ok) return { ok: false, status: 400, error: `bottle.errors.town.${town.error}`, vars: { max: SIGNATURE_MAX } }
        const consent = ticked(input.publish_consent)
        // A signature is kept only to be published: without the consent there is no reason to store it.
        if ((name.value || town.value) && !consent) return { ok: false, status: 400, error: 'bottle.consent.required' }
        signature = { name: name.value, town: town.value, consent }
      }

      // Last, once the send is valid: a refused form keeps its answer for the corrected send. Nothing is recorded
      // without a good answer, but the same send again (a retry of the same key) answers as the first did.
      let challengeId: string | null = null
      if (challenge?.active(c)) {
        const { verdict, once } = await challenge.redeem(c.id, input, { key, targetId: target.id, channel })
        if (verdict !== 'ok' && !await actionRepo.exists(c.id, key, target.id, channel)) {
          return { ok: false, status: verdict === 'wrong' ? 400 : 403, error: `challenge.errors.${verdict}` }
        }
        challengeId = once ?? null
      }

      const action: NewAction = { campaignId: c.id, targetId: target.id, messageId: message.id, channel, locale: message.locale, text, ref, key, ...reach, challengeId }
      let recorded: { id: number, text: string, created: boolean }
      let counted: number
      let bottle: ActSuccess['bottle'] = null
      let withdrawToken: string | null = null
      try {
        if (signature) {
          const inBottle = bottleText(text, target, link)
          const withdraw = newWithdrawToken()
          const result = await bottleRepo.record({
            primary: copy ? action : null,
            // The copy is the same send's: the solved challenge goes with the network send only.
            action: copy ? { ...action, channel: 'bottle', text: inBottle, challengeId: null } : action,
            message: { text: inBottle, signatureName: signature.name, signatureTown: signature.town, publishConsent: signature.consent, consentVersion: CONSENT_VERSION, withdrawTokenHash: withdraw.hash },
            blockedWords: c.blockedWords
          })
          recorded = result.primary ?? result.action
          counted = Number(result.action.created) + Number(result.primary?.created ?? false)
          bottle = { id: result.messageId, status: result.status }
          if (result.created) withdrawToken = withdraw.token
        } else {
          recorded = await actionRepo.record(action)
          counted = Number(recorded.created)
        }
      } catch (err) {
        // The solution was another send's (a replay, or the same solution sent twice at once): nothing was recorded.
        if (challenge && isChallengeReplay(err)) return { ok: false, status: 403, error: `challenge.errors.${challenge.replayed(c.id)}` }
        throw err
      }
      // The row is committed: a lost enqueue only delays the count (the worker's sweep finds untallied rows).
      requestTally(c.id)
      // A supporter's own words only: the variant as rendered is the same for everyone, by design.
      if (counted > 0 && observe) observe(c, target.id, own !== null && text !== renderMessage(message.body, channel, target, hashtags, link) ? text : null)

      // The withdrawal link rides on the thank-you page's address (303 Location), shown there once and kept nowhere.
      let thanksUrl = `/c/${encodeURIComponent(c.slug)}/thanks?lang=${encodeURIComponent(message.locale)}&via=${channel}${withdrawToken ? `&withdraw=${withdrawToken}` : ''}`
      // The thank-you page gives the sender their own link: the code recorded with this send, and the wording sent.
      if (reach.linkCode) thanksUrl += `&link=${reach.linkCode}&m=${message.id}`
      const intentUrl = buildIntentUrl(channel, recorded.text, {
        instance, email: target.email, subject: message.subject || (texts?.title ?? c.slug), thanksUrl, link
      })
      // Every input that could make this null was refused above.
      if (!intentUrl) throw new Error(`no intent URL for channel ${channel}`)
      return { ok: true, id: recorded.id, intentUrl, created: recorded.created, channel, locale: message.locale, counted, bottle, withdrawToken }
    }
  }
}
