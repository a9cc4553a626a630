import { createHash } from 'node:crypto'
import type { LegalSettings, RetentionSettings } from '../config.ts'

const DAY_MS = 86_400_000

/** A withdrawal token as handed out: 24 base64url characters (18 random bytes, 144 bits). */
export const WITHDRAW_TOKEN_RE = /^[A-Za-z0-9_-]{24}$/

/** The form in which a withdrawal token is stored: its SHA-256, hex (a 144-bit random token needs no slow hash). */
export function hashWithdrawToken (token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex')
}

/** The times before which each retention rule applies, from the settings and the time of the run. */
export interface RetentionCutoffs {
  /** campaigns closed before this lose their messages not selected for a dossier */
  closedBefore: Date
  /** deliveries sent before this lose their signatures and files (campaigns not keeping proof) */
  deliveredBefore: Date
  /** network sends made before this lose their text */
  sentBefore: Date
  /** deliveries kept as proof and sent before this lose their signatures and files */
  proofDeliveredBefore: Date
}

/** The cutoffs of a retention run at `now`. */
export function retentionCutoffs (s: RetentionSettings, now: Date): RetentionCutoffs {
  const ago = (days: number) => new Date(now.getTime() - days * DAY_MS)
  return {
    closedBefore: ago(s.unselectedDays),
    deliveredBefore: ago(s.signatureDays),
    sentBefore: ago(s.freeTextDays),
    proofDeliveredBefore: ago(s.proofDays)
  }
}

/** What a retention run or a purge removed, as counts (never contents): what the audit log keeps. */
export interface RemovedCounts {
  /** bottle messages deleted (not selected, withdrawn with the campaign's purge…) */
  messages: number
  /** selected messages whose signature was removed */
  signatures: number
  /** action texts blanked */
  texts: number
  /** dossiers whose files (PDF, HTML, e-mail) were deleted */
  dossiers: number
}

export const NOTHING_REMOVED: Readonly<RemovedCounts> = Object.freeze({ messages: 0, signatures: 0, texts: 0, dossiers: 0 })

/** Whether a run removed anything (an audit entry is written only then). */
export function removedAnything (r: RemovedCounts): boolean {
  return r.messages + r.signatures + r.texts + r.dossiers > 0
}

/** An owner's text for a legal page as paragraphs: split on blank lines, lines inside a paragraph kept apart. */
export function paragraphs (text: string): string[][] {
  return text.replace(/\r\n?/g, '\n').split(/\n\s*\n/).map((p) => p.split('\n').map((l) => l.trim()).filter(Boolean)).filter((p) => p.length > 0)
}

/** The longest owner text per page and language. */
export const LEGAL_TEXT_MAX = 20_000

/**
 * The record of processing activities a controller keeps under GDPR Art. 30(1) (purposes, categories of subjects
 * and data, recipients, transfers, time limits, security measures), for the one processing Bouteille does.
 * https://eur-lex.europa.eu/eli/reg/2016/679/oj (Art. 30, Art. 9(2)(d), Art. 6(1)(a), (f)), checked 2026-12-04.
 */
/** Listening's part of the record, when it runs (LISTENING on): what it keeps of public posts, and for how long. */
export interface ListeningRecord { networkPostsRetentionDays: number }

export function processingRecord (legal: LegalSettings, retention: RetentionSettings, publicUrl: string, listening: ListeningRecord | null = null) {
  return {
    $schema: 'https://bouteille.example/schemas/record-of-processing-v1',
    regulation: 'Regulation (EU) 2016/679 (GDPR), Article 30(1)',
    controller: {
      name: legal.controllerName || null,
      address: legal.controllerAddress || null,
      contact: legal.contactEmail || null,
      dataProtectionOfficer: legal.dpo || null
    },
    processor: { hosting: legal.host || null },
    service: publicUrl,
    processing: [
      {
        name: 'Campaign actions (sends to decision-makers)',
        purposes: ['Count and publish the number of messages sent to each decision-maker', 'Let supporters send a message on the network of their choice'],
        legalBasis: 'Art. 6(1)(f) legitimate interest of the campaign; no personal data is kept per send (Art. 11)',
        categoriesOfDataSubjects: ['Supporters (anonymous)'],
        categoriesOfPersonalData: ['Text of the message as sent (may reveal a political opinion, Art. 9(1)), kept without any identifier'],
        recipients: ['The campaign team (exports)', 'The public (counts only)'],
        transfersToThirdCountries: 'None by the platform; the networks a supporter chooses to post on are their own controllers',
        retention: { freeTextDays: retention.freeTextDays, rule: 'texts of network sends blanked after freeTextDays; counts kept' }
      },
      {
        name: 'The bottle (messages kept on the platform and delivered)',
        purposes: ['Show approved messages on the public wall', 'Deliver a dossier of selected messages to each decision-maker'],
        legalBasis: 'Art. 6(1)(a) and Art. 9(2)(a) explicit consent for a published signature; Art. 9(2)(d) for messages kept by a not-for-profit body with a political aim',
        categoriesOfDataSubjects: ['Supporters who drop a message in the bottle'],
        categoriesOfPersonalData: ['Message text', 'Optional signature (name, town), published only with consent', 'Version of the consent wording shown'],
        recipients: ['The campaign team', 'The public (approved messages on the wall)', 'The decision-makers (dossier of selected messages)'],
        transfersToThirdCountries: 'None',
        retention: {
          unselectedDays: retention.unselectedDays,
          signatureDays: retention.signatureDays,
          proofDays: retention.proofDays,
          rule: 'messages not selected deleted unselectedDays after the campaign closes; signatures and dossier files removed signatureDays after the delivery, or proofDays when the campaign keeps its dossiers as proof; a supporter may withdraw a message at any time with the private link given after sending'
        }
      },
      ...(listening
        ? [{
            name: 'Listening (public posts on Bluesky and Mastodon)',
            purposes: ['Count the posts really published with the campaign’s hashtags or to its decision-makers, against the sends begun on the platform', 'Let the team quote some of them in the dossier handed to a decision-maker'],
            // Art. 14 GDPR: the data are not obtained from the authors; this record and the privacy page are how they are told.
            legalBasis: 'Art. 6(1)(f) legitimate interest of the campaign in measuring its public reach, on posts their authors made public; minimised to what the team is shown',
            categoriesOfDataSubjects: ['Authors of public posts on Bluesky and Mastodon carrying the campaign’s hashtags or addressed to its decision-makers'],
            categoriesOfPersonalData: ['Link and identifier of the post', 'Author’s handle and display name', 'Text, language and time of the post (may reveal a political opinion, Art. 9(1), made manifestly public by the author, Art. 9(2)(e))', 'Hashtags and decision-makers it matched'],
            recipients: ['The campaign team', 'The decision-makers (posts quoted in a dossier)'],
            transfersToThirdCountries: 'None by the platform; the posts are read from the networks’ public interfaces',
            retention: { networkPostsRetentionDays: listening.networkPostsRetentionDays, rule: 'a post deleted on its network is deleted here; every post of a campaign deleted networkPostsRetentionDays after the campaign closes' }
          }]
        : [])
    ],
    securityMeasures: [
      'No account, cookie or network address kept for supporters (rate limits use a keyed hash of the address, kept minutes)',
      'Withdrawal links stored as SHA-256 hashes only',
      'TLS in transit; team accounts with argon2id passwords, server-side sessions, optional two-factor sign-in, per-campaign access',
      'Every team change and every retention run written to an audit log',
      'No third-party script, font or request on public pages (strict Content-Security-Policy)'
    ],
    dataSubjectRights: {
      withdrawal: `${publicUrl}/c/{campaign}/withdraw/{token} (private link shown once after a bottle send)`,
      contact: legal.contactEmail || null
    }
  }
}
