import type { ShareKit } from '../../domain/share-kit.ts'
import type { Channel, CampaignStatus, Handles } from '../../db/schema.ts'
import type { Translator } from '../../i18n.ts'
import type { PartnerLogo } from '../../repos/partner-repo.ts'

/** What every page template receives. */
export interface PageBase {
  /** i18n: it.t('key', { vars }), it.n(1234) */
  t: Translator['t']
  n: Translator['n']
  locale: string
  /** the page's writing direction (dir on <html>) */
  dir: 'ltr' | 'rtl'
  /** the catalog the words come from (en for a language without one): the client picks plural forms by it */
  chrome: string
  /** links to the same page in each language (the campaign's on its pages), for the switch; label is the language's own name, dir set where it differs from the page's */
  languages: Array<{ code: string, label: string, dir: 'ltr' | 'rtl' | null, href: string, current: boolean }>
  /** CSP nonce for inline <script> (there should be none but the JSON data block) */
  nonce: string
  /** <title> and meta description */
  title: string
  description?: string
  /** absolute URL of the page, for og:url / canonical */
  canonicalUrl?: string
  /** absolute hreflang alternates (the page itself included, and x-default) */
  alternates?: Array<{ hreflang: string, href: string }>
  /** the preview image (og:image, twitter:image); absent: the site's static one */
  image?: { url: string, width: number, height: number, type: string, alt: string }
}

export interface TargetView {
  id: string
  name: string
  role: string
  organisation: string
  country: string
  countryName: string
  initials: string
  photoUrl: string | null
  handles: Handles
  hasEmail: boolean
  /** the campaign's groups the target belongs to (the picker's search looks in them) */
  groups: string[]
  count: number
  suggested: boolean
}

export interface MessageView {
  id: string
  /** template with {target}, {hashtags}, {link} */
  body: string
  /** null: for every target */
  targetId: string | null
  /** the channels it is written for, or null for every channel */
  channels: Channel[] | null
  /** those channels named in the page's language, as one list ("e-mail and the bottle") */
  channelsLabel: string | null
  /** the template rendered for the selected target, as a plain preview (bottle/e-mail form: name, no handle) */
  preview: string
}

export interface ProgressView {
  total: number
  goal: number
  percent: number
  /** "N public posts on Bluesky and Mastodon"; absent when the campaign does not show them */
  publicPosts?: number
}

export interface CampaignView {
  slug: string
  status: CampaignStatus
  title: string
  pitch: string
  callToAction: string
  shareText: string
  /** the campaign's own call to share on the thank-you page, or '' */
  shareCall: string
  hashtags: string[]
  /** public absolute link of the campaign, as put in messages */
  link: string
  channels: Channel[]
}

/**
 * What the page offers: open (the form sends), preview (a draft seen by the team with its link), scheduled (a
 * countdown), paused or closed (the results). Only an open page has send buttons.
 */
export type CampaignPhase = 'open' | 'preview' | 'scheduled' | 'paused' | 'closed'

/** GET /c/:slug and the form shown again after a 400 */
export interface CampaignPageView extends PageBase {
  /** reach: the supporter link the page was opened from (carried by the no-JS form), and the partner who brought them */
  from?: string
  partner?: { name: string, line: string, logo: PartnerLogo | null } | null
  /** the partners who chose to appear, ranked by the actions through their code */
  board?: Array<{ name: string, logo: PartnerLogo | null, count: number, rank: number }>
  phase: CampaignPhase
  /** when the campaign opens (scheduled): ISO for the countdown script, and as words in the page's language */
  opens: { iso: string, text: string } | null
  /** once a dossier was sent: "The bottle was delivered on …", with the date for <time> */
  delivered: { iso: string, text: string } | null
  /** per-target counts, most contacted first (shown when paused or closed) */
  results: Array<{ id: string, name: string, count: number }>
  campaign: CampaignView
  progress: ProgressView
  targets: TargetView[]
  countries: Array<{ code: string, name: string }>
  /** '' when no filter (no-JS filter: GET ?country=XX) */
  selectedCountry: string
  selectedTargetId: string
  messages: MessageView[]
  selectedMessageId: string
  /** UUID idempotency key for this page view */
  key: string
  ref: string
  /** values echoed back after an error */
  form: { text: string, instance: string, channel: Channel | '', signatureName: string, signatureTown: string, publishConsent: boolean, bottleCopy: boolean }
  /** translated error message after a rejected send, else null */
  error: string | null
  limits: Record<Channel, number>
  /** JSON for public/js/campaign.js, in the escaped data-campaign attribute of #campaign */
  clientData: string
  /** the widget's compact form (GET /c/:slug/embed) */
  embed: boolean
  /** bot defence on: the question for supporters without JavaScript ("3 + 4") and its signed token; else null */
  challenge: { question: string, token: string } | null
}

/** GET /c/:slug/thanks */
export interface ThanksPageView extends PageBase {
  campaign: CampaignView
  progress: ProgressView
  /** share links (fixed bases), already built */
  share: Array<{ channel: 'x' | 'bluesky' | 'mastodon' | 'threads' | 'email' | 'facebook' | 'whatsapp' | 'telegram', label: string, href: string }>
  /** the channel just used, if known (?via=x) */
  via: string
  /** "Did you post it?" after a network send: the channel asked about, and the answer once given */
  ask: { channel: string, answered: '' | 'yes' | 'no' } | null
  /** the private link to withdraw the message just put in the bottle (shown once), or null */
  withdrawUrl: string | null
  /** the supporter's own link (?from=code, with the partner code they came with) and how many joined through it */
  reach?: ReachView
}

/** The thank-you page's personal link: made by the server without JavaScript, replaced by the browser's own code with it. */
export interface ReachView {
  code: string
  ref: string
  variant: string
  link: string
  count: number
  mastodonAction: string
}

/** GET /p/:token: a partner's private stats and share kit. */
export interface PartnerPageView extends PageBase {
  campaign: CampaignView
  partner: { name: string, code: string, logo: PartnerLogo | null }
  stats: {
    total: number
    rank: number
    partners: number
    days: { max: number, list: Array<{ key: string, label: string, count: number }> }
    hours: { max: number, list: Array<{ key: string, label: string, count: number }> }
    targets: Array<{ label: string, count: number }>
    channels: Array<{ label: string, count: number }>
  }
  kit: ShareKit
}

/** GET /c/:slug/embed?sent=… : the widget's short thanks, inside the partner's frame */
export interface EmbedThanksView extends PageBase {
  campaign: CampaignView
  progress: ProgressView
  /** the channel just used ('' when unknown) */
  sent: string
  /** the widget again, to send another message */
  again: string
  /** the full thank-you page (share links), opened in a new tab */
  thanks: string
}

/** GET / */
export interface HomePageView extends PageBase {
  campaigns: Array<{ slug: string, title: string, pitch: string, hashtags: string[], progress: ProgressView }>
}

/** Error pages: 404, 409 (not live), 429, 500 */
export interface ErrorPageView extends PageBase {
  status: number
  heading: string
  message: string
  /** optional link back */
  back?: { href: string, label: string }
}
