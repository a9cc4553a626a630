import { sql } from 'drizzle-orm'
import {
  bigint, customType, bigserial, boolean, index, integer, jsonb, pgEnum, pgTable, primaryKey, smallint, text, timestamp, uniqueIndex, uuid
} from 'drizzle-orm/pg-core'

const bytea = customType<{ data: Buffer, driverData: Buffer }>({ dataType: () => 'bytea' })

export const campaignStatus = pgEnum('campaign_status', ['draft', 'scheduled', 'live', 'paused', 'closed'])
export const channel = pgEnum('channel', ['x', 'bluesky', 'mastodon', 'threads', 'email', 'bottle'])

export const CHALLENGE_MODES = ['off', 'on', 'auto'] as const
export type ChallengeMode = (typeof CHALLENGE_MODES)[number]

export type CampaignStatus = (typeof campaignStatus.enumValues)[number]
export type Channel = (typeof channel.enumValues)[number]

export const campaigns = pgTable('campaigns', {
  id: uuid('id').primaryKey().defaultRandom(),
  slug: text('slug').notNull().unique(),
  status: campaignStatus('status').notNull().default('draft'),
  defaultLocale: text('default_locale').notNull().default('fr'),
  goal: integer('goal').notNull().default(1000),
  // Sends per minute from one network address for this campaign (an event in a hall); null: ACTION_RATE_LIMIT.
  actionRateLimit: integer('action_rate_limit'),
  channels: channel('channels').array().notNull().default(sql`'{x,bluesky,mastodon,threads,email,bottle}'`),
  opensAt: timestamp('opens_at', { withTimezone: true }),
  closesAt: timestamp('closes_at', { withTimezone: true }),
  // The zone the team schedules in: opening and closing times are entered and shown in it (stored in UTC).
  timeZone: text('time_zone').notNull().default('Europe/Paris'),
  // Words that hold a bottle message for review (compared without case or accents).
  blockedWords: text('blocked_words').array().notNull().default(sql`'{}'`),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  // Widget (firstview): the sites (scheme://host[:port]) that may frame /c/:slug/embed; empty: any site.
  embedOrigins: text('embed_origins').array().notNull().default(sql`'{}'`),
  // The languages the campaign speaks (BCP 47, canonical), in the editor's order. Empty for a campaign from before
  // the column: its languages are those of its texts, the default first (domain/languages.ts campaignLanguages).
  languages: text('languages').array().notNull().default(sql`'{}'`),
  // Listening: the Mastodon instances whose tag timelines are polled for the campaign's hashtags (host names).
  listeningInstances: text('listening_instances').array().notNull().default(sql`'{mastodon.social,mastodon.online,mstdn.social}'`),
  // Bot defence: the proof-of-work challenge off, on, or switched on by the signals (until challenge_auto_until).
  challengeMode: text('challenge_mode').$type<ChallengeMode>().notNull().default('off'),
  challengeAutoUntil: timestamp('challenge_auto_until', { withTimezone: true }),
  // Retention: the delivered dossiers (and the signatures in them) are kept as proof for RETENTION_PROOF_DAYS instead of RETENTION_SIGNATURE_DAYS.
  keepDossiersAsProof: boolean('keep_dossiers_as_proof').notNull().default(false),
  // When an owner purged the campaign's personal data at once (null: never).
  purgedAt: timestamp('purged_at', { withTimezone: true }),
  // Share cards: the campaign's background and accent (#rrggbb); defaults are the site's card colours (domain/share-card.ts).
  cardBackground: text('card_background').notNull().default('#0b4d57'),
  cardAccent: text('card_accent').notNull().default('#f2c14e'),
  // Listening: the public page shows "N public posts on Bluesky and Mastodon" beside the count (off by default).
  showPublicPosts: boolean('show_public_posts').notNull().default(false)
})

// One row per campaign and locale: everything a supporter reads.
export const campaignTexts = pgTable('campaign_texts', {
  campaignId: uuid('campaign_id').notNull().references(() => campaigns.id, { onDelete: 'cascade' }),
  locale: text('locale').notNull(),
  title: text('title').notNull(),
  pitch: text('pitch').notNull(),
  callToAction: text('call_to_action').notNull(),
  shareText: text('share_text').notNull().default(''),
  // The thank-you page's call to share, in the campaign's words ("#RTPlease: pass the bottle on"); '' for the neutral one.
  shareCall: text('share_call').notNull().default(''),
  hashtags: text('hashtags').array().notNull().default(sql`'{}'`),
  // The previews' description (meta description, og:description); '' for the pitch cut at a word (domain/summary.ts).
  summary: text('summary').notNull().default('')
}, (t) => [primaryKey({ columns: [t.campaignId, t.locale] })])

export interface Handles { x?: string, bluesky?: string, mastodon?: string, threads?: string }

export const targets = pgTable('targets', {
  id: uuid('id').primaryKey().defaultRandom(),
  campaignId: uuid('campaign_id').notNull().references(() => campaigns.id, { onDelete: 'cascade' }),
  name: text('name').notNull(),
  role: jsonb('role').$type<Record<string, string>>().notNull().default({}),
  organisation: text('organisation').notNull().default(''),
  country: text('country').notNull().default(''),
  photoUrl: text('photo_url'),
  handles: jsonb('handles').$type<Handles>().notNull().default({}),
  email: text('email'),
  groups: text('groups').array().notNull().default(sql`'{}'`),
  active: boolean('active').notNull().default(true),
  position: smallint('position').notNull().default(0),
  // The decision-maker's preferred language (BCP 47, canonical): their dossier and its e-mail are written in it; null: the campaign's default.
  language: text('language')
}, (t) => [index('targets_campaign_idx').on(t.campaignId)])

// Templates with {target}, {hashtags} and {link} placeholders; targetId narrows a variant to one target.
export const messages = pgTable('messages', {
  id: uuid('id').primaryKey().defaultRandom(),
  campaignId: uuid('campaign_id').notNull().references(() => campaigns.id, { onDelete: 'cascade' }),
  locale: text('locale').notNull(),
  targetId: uuid('target_id').references(() => targets.id, { onDelete: 'cascade' }),
  body: text('body').notNull(),
  // The channels the variant is written for; empty: every channel the campaign has.
  channels: channel('channels').array().notNull().default(sql`'{}'`),
  // The e-mail's subject when the variant is sent by e-mail; empty: the campaign's title.
  subject: text('subject').notNull().default(''),
  active: boolean('active').notNull().default(true),
  position: smallint('position').notNull().default(0)
}, (t) => [index('messages_campaign_idx').on(t.campaignId)])

// The source of truth for every count. No personal data: no address, no account, no fingerprint.
/** The unique index that makes a solved challenge good for one send (its violation means a replay). */
export const CHALLENGE_INDEX = 'actions_challenge_idx'

export const actions = pgTable('actions', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  campaignId: uuid('campaign_id').notNull().references(() => campaigns.id, { onDelete: 'cascade' }),
  targetId: uuid('target_id').notNull().references(() => targets.id),
  messageId: uuid('message_id').references(() => messages.id, { onDelete: 'set null' }),
  channel: channel('channel').notNull(),
  locale: text('locale').notNull(),
  text: text('text').notNull(),
  ref: text('ref'),
  key: uuid('key').notNull(),
  tallied: boolean('tallied').notNull().default(false),
  // A bottle message rejected by the team: the action counts nowhere (the tally skips it, moderation takes it back out).
  discounted: boolean('discounted').notNull().default(false),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  // Reach: the supporter link the send came through (?from=), the code of the sender's own link (random, made in their
  // browser or, without JavaScript, by the server; nothing else ties it to them), and where the form was ('page' | 'embed').
  fromCode: text('from_code'),
  linkCode: text('link_code'),
  source: text('source').notNull().default('page'),
  // In a window the team marked suspicious: counts nowhere public, kept (flagged) in exports. Apart from discounted,
  // so un-marking a window never brings back a rejected bottle message.
  suspect: boolean('suspect').notNull().default(false),
  // Bot defence: the proof of work this send answered (its challenge, a hash of a random salt), so a solution counts
  // for one send only. Unique here rather than a key in Redis: checked in the INSERT itself, and never lapses.
  challengeId: text('challenge_id')
}, (t) => [
  // The idempotency key is scoped to one send: the same page may send to X, then to Bluesky.
  uniqueIndex('actions_idempotency_idx').on(t.campaignId, t.key, t.targetId, t.channel),
  uniqueIndex(CHALLENGE_INDEX).on(t.challengeId).where(sql`${t.challengeId} IS NOT NULL`),
  // Only the rows the tally has not counted yet: stays tiny, so the tally never scans history.
  index('actions_untallied_idx').on(t.campaignId, t.id).where(sql`NOT ${t.tallied}`),
  index('actions_campaign_created_idx').on(t.campaignId, t.createdAt)
])

// Derived counters, rebuilt from actions by the reconcile job. dimension: total | target | channel | locale | ref | message | hour | minute.
export const campaignCounts = pgTable('campaign_counts', {
  campaignId: uuid('campaign_id').notNull().references(() => campaigns.id, { onDelete: 'cascade' }),
  dimension: text('dimension').notNull(),
  key: text('key').notNull(),
  count: bigint('count', { mode: 'number' }).notNull().default(0)
}, (t) => [primaryKey({ columns: [t.campaignId, t.dimension, t.key] })])

// "Did you post it?" on the thank-you page after a network send: anonymous answers, kept only as counts per channel
// (intents opened are counted as actions; these say how many became posts).
export const postAnswers = pgTable('post_answers', {
  campaignId: uuid('campaign_id').notNull().references(() => campaigns.id, { onDelete: 'cascade' }),
  channel: channel('channel').notNull(),
  posted: boolean('posted').notNull(),
  count: bigint('count', { mode: 'number' }).notNull().default(0)
}, (t) => [primaryKey({ columns: [t.campaignId, t.channel, t.posted] })])

export const userRole = pgEnum('user_role', ['owner', 'editor', 'viewer'])
export type UserRole = (typeof userRole.enumValues)[number]

// Team accounts. Their sign-ins are rows of `sessions` (revoked there).
export const users = pgTable('users', {
  id: uuid('id').primaryKey().defaultRandom(),
  email: text('email').notNull(),
  name: text('name').notNull().default(''),
  passwordHash: text('password_hash').notNull(),
  role: userRole('role').notNull(),
  // false: an editor or viewer of the campaigns in campaign_grants only (a partner organisation's member).
  allCampaigns: boolean('all_campaigns').notNull().default(true),
  // Two-factor sign-in (TOTP, RFC 6238): the base32 secret, the last time step accepted (a code works once),
  // and the SHA-256 hashes of the unused one-time recovery codes.
  totpSecret: text('totp_secret'),
  totpLastStep: bigint('totp_last_step', { mode: 'number' }),
  recoveryCodeHashes: text('recovery_code_hashes').array().notNull().default(sql`'{}'`),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  lastLoginAt: timestamp('last_login_at', { withTimezone: true })
}, (t) => [uniqueIndex('users_email_idx').on(sql`lower(${t.email})`)])

// The campaigns a member whose allCampaigns is false may see, with their role (users.role) on each.
export const campaignGrants = pgTable('campaign_grants', {
  userId: uuid('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  campaignId: uuid('campaign_id').notNull().references(() => campaigns.id, { onDelete: 'cascade' }),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow()
}, (t) => [primaryKey({ columns: [t.userId, t.campaignId] }), index('campaign_grants_campaign_idx').on(t.campaignId)])
// Server-side sessions: the cookie holds a random token, of which only a hash is kept. A session is usable while
// not revoked, before its absolute expiry and within the idle timeout of its last use. `twoFactorPending`: the
// password was right, the TOTP code is still to come.
export const sessions = pgTable('sessions', {
  id: uuid('id').primaryKey().defaultRandom(),
  tokenHash: text('token_hash').notNull().unique(),
  userId: uuid('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  userAgent: text('user_agent').notNull().default(''),
  twoFactorPending: boolean('two_factor_pending').notNull().default(false),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  revokedAt: timestamp('revoked_at', { withTimezone: true })
}, (t) => [index('sessions_user_idx').on(t.userId)])

// One-time password reset links sent by e-mail (or printed by `bouteille user reset-password`). Only a hash is kept.
export const passwordResets = pgTable('password_resets', {
  id: uuid('id').primaryKey().defaultRandom(),
  tokenHash: text('token_hash').notNull().unique(),
  userId: uuid('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  usedAt: timestamp('used_at', { withTimezone: true }),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow()
})

// Installation-wide security settings, one row (id = 1): whether every member must use two-factor sign-in.
export const securitySettings = pgTable('security_settings', {
  id: smallint('id').primaryKey().default(1),
  requireTwoFactor: boolean('require_two_factor').notNull().default(false),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow()
})

// One-time links: the first owner's set-up link and team invitations. Only a hash of the token is kept.
export const invites = pgTable('invites', {
  id: uuid('id').primaryKey().defaultRandom(),
  tokenHash: text('token_hash').notNull().unique(),
  email: text('email'),
  role: userRole('role').notNull(),
  // The campaigns the member will be limited to (campaign_grants on acceptance); null: every campaign.
  campaignIds: uuid('campaign_ids').array(),
  createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  usedAt: timestamp('used_at', { withTimezone: true }),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow()
})

// Every admin change: who, what, when, before → after.
export const auditLog = pgTable('audit_log', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  userId: uuid('user_id').references(() => users.id, { onDelete: 'set null' }),
  userEmail: text('user_email').notNull().default(''),
  action: text('action').notNull(),
  entity: text('entity').notNull(),
  entityId: text('entity_id'),
  campaignId: uuid('campaign_id'),
  before: jsonb('before'),
  after: jsonb('after'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow()
}, (t) => [index('audit_log_created_idx').on(t.createdAt), index('audit_log_campaign_idx').on(t.campaignId)])

// Target photos, resized and stored here so every web instance serves them (no shared disk needed).
export const targetPhotos = pgTable('target_photos', {
  targetId: uuid('target_id').primaryKey().references(() => targets.id, { onDelete: 'cascade' }),
  contentType: text('content_type').notNull(),
  data: bytea('data').notNull(),
  etag: text('etag').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow()
})

// The bottle: messages kept on the platform, curated by the team, shown on the wall and delivered to the targets.
export const bottleStatus = pgEnum('bottle_status', ['pending', 'held', 'approved', 'rejected'])
export type BottleStatus = (typeof bottleStatus.enumValues)[number]

// One row per message in the bottle, tied to the action that counted it (channel bottle, or a network send's copy).
export const bottleMessages = pgTable('bottle_messages', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  actionId: bigint('action_id', { mode: 'number' }).notNull().unique().references(() => actions.id, { onDelete: 'cascade' }),
  campaignId: uuid('campaign_id').notNull().references(() => campaigns.id, { onDelete: 'cascade' }),
  targetId: uuid('target_id').notNull().references(() => targets.id, { onDelete: 'cascade' }),
  locale: text('locale').notNull(),
  text: text('text').notNull(),
  // The signature is the only personal data, given by choice and published only with publishConsent.
  signatureName: text('signature_name'),
  signatureTown: text('signature_town'),
  publishConsent: boolean('publish_consent').notNull().default(false),
  // The version of the consent wording the supporter was shown, so the consent can be proven.
  consentVersion: text('consent_version'),
  status: bottleStatus('status').notNull().default('pending'),
  // Why the automatic checks held it (duplicate, link, blocked word, length…); empty when nothing was found.
  holdReasons: text('hold_reasons').array().notNull().default(sql`'{}'`),
  featured: boolean('featured').notNull().default(false),
  // The text normalised (case, accents, spaces, punctuation) then hashed: near-duplicates share it.
  fingerprint: text('fingerprint').notNull(),
  reviewedBy: uuid('reviewed_by').references(() => users.id, { onDelete: 'set null' }),
  reviewedAt: timestamp('reviewed_at', { withTimezone: true }),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  // The SHA-256 of the supporter's private withdrawal link (the token itself is shown once and kept nowhere).
  withdrawTokenHash: text('withdraw_token_hash')
}, (t) => [
  index('bottle_messages_queue_idx').on(t.campaignId, t.status, t.id),
  index('bottle_messages_fingerprint_idx').on(t.campaignId, t.fingerprint),
  index('bottle_messages_target_idx').on(t.campaignId, t.targetId, t.status),
  uniqueIndex('bottle_messages_withdraw_idx').on(t.withdrawTokenHash)
])

// Delivery of the bottle: per target, a dossier (PDF and HTML) e-mailed to its public address.
export const deliveryStatus = pgEnum('delivery_status', ['queued', 'sending', 'sent', 'failed'])
export type DeliveryStatus = (typeof deliveryStatus.enumValues)[number]

// One dossier to one target. Round 1 is the bottle's delivery; only an explicit "send again" (forced) opens round 2, 3…
export const deliveries = pgTable('deliveries', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  campaignId: uuid('campaign_id').notNull().references(() => campaigns.id, { onDelete: 'cascade' }),
  targetId: uuid('target_id').notNull().references(() => targets.id, { onDelete: 'cascade' }),
  round: integer('round').notNull().default(1),
  status: deliveryStatus('status').notNull().default('queued'),
  forced: boolean('forced').notNull().default(false),
  // 'manual' (a campaigner's click) or 'schedule' (the campaign's delivery time).
  origin: text('origin').notNull().default('manual'),
  requestedBy: uuid('requested_by').references(() => users.id, { onDelete: 'set null' }),
  requestedByEmail: text('requested_by_email').notNull().default('system'),
  // Set at creation and never changed: a retry or a re-run carries the same Message-ID, so receivers can spot a repeat.
  messageId: text('message_id').notNull().unique(),
  attempts: integer('attempts').notNull().default(0),
  // Why the last attempt failed: a short code (noAddress, mailOff, smtpTemporary, smtpRejected, error) and the server's words.
  reason: text('reason'),
  lastError: text('last_error'),
  toAddress: text('to_address'),
  // Each (re)queueing gets a new time: the job id includes it, so a re-queue is a new job and a re-add of the same one is a no-op.
  queuedAt: timestamp('queued_at', { withTimezone: true }).notNull().defaultNow(),
  // The claim of the worker sending it; a claim older than the lease is taken over (a worker killed mid-send).
  claimedAt: timestamp('claimed_at', { withTimezone: true }),
  claimToken: text('claim_token'),
  // The dossier as built for this delivery (at its first attempt): every retry sends the same bytes, and the team can download what was sent.
  builtAt: timestamp('built_at', { withTimezone: true }),
  pdf: bytea('pdf'),
  html: text('html'),
  mail: jsonb('mail').$type<{ subject: string, text: string, html: string }>(),
  messageCount: integer('message_count'),
  actionCount: integer('action_count'),
  sentAt: timestamp('sent_at', { withTimezone: true }),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow()
}, (t) => [
  uniqueIndex('deliveries_round_idx').on(t.campaignId, t.targetId, t.round),
  index('deliveries_status_idx').on(t.status, t.queuedAt)
])

// The delivery log: every attempt with its outcome and reason.
export const deliveryAttempts = pgTable('delivery_attempts', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  deliveryId: bigint('delivery_id', { mode: 'number' }).notNull().references(() => deliveries.id, { onDelete: 'cascade' }),
  attempt: integer('attempt').notNull(),
  outcome: text('outcome').notNull(),
  reason: text('reason'),
  detail: text('detail'),
  at: timestamp('at', { withTimezone: true }).notNull().defaultNow()
}, (t) => [index('delivery_attempts_delivery_idx').on(t.deliveryId, t.id)])

// A campaign's planned delivery time (stored in UTC, entered on the clocks of campaigns.time_zone); firedAt once it ran.
export const deliverySchedules = pgTable('delivery_schedules', {
  campaignId: uuid('campaign_id').primaryKey().references(() => campaigns.id, { onDelete: 'cascade' }),
  deliverAt: timestamp('deliver_at', { withTimezone: true }).notNull(),
  setBy: uuid('set_by').references(() => users.id, { onDelete: 'set null' }),
  firedAt: timestamp('fired_at', { withTimezone: true }),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow()
})

// Milestones: which thresholds a campaign announces (percentages of its goal, extra counts, each goal step-up).
export const milestonePlans = pgTable('milestone_plans', {
  campaignId: uuid('campaign_id').primaryKey().references(() => campaigns.id, { onDelete: 'cascade' }),
  percents: smallint('percents').array().notNull().default(sql`'{25,50,75,100}'`),
  counts: integer('counts').array().notNull().default(sql`'{}'`),
  stepUps: boolean('step_ups').notNull().default(true),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow()
})

export const milestoneMailStatus = pgEnum('milestone_mail_status', ['pending', 'sent', 'skipped'])

// A threshold a campaign's total crossed: written by the tally in its own transaction, once per campaign and threshold.
export const milestones = pgTable('milestones', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  campaignId: uuid('campaign_id').notNull().references(() => campaigns.id, { onDelete: 'cascade' }),
  threshold: integer('threshold').notNull(),
  // percent: a share of the goal (percent says which); count: a number the team added; step: a goal step-up.
  kind: text('kind').notNull(),
  percent: smallint('percent'),
  goal: integer('goal').notNull(),
  reachedAt: timestamp('reached_at', { withTimezone: true }).notNull().defaultNow(),
  // The team's notice: claimed for a while by one worker, marked sent once the SMTP server accepted it.
  mailStatus: milestoneMailStatus('mail_status').notNull().default('pending'),
  mailClaimedUntil: timestamp('mail_claimed_until', { withTimezone: true }),
  mailAttempts: smallint('mail_attempts').notNull().default(0),
  mailedAt: timestamp('mailed_at', { withTimezone: true })
}, (t) => [
  uniqueIndex('milestones_threshold_idx').on(t.campaignId, t.threshold),
  index('milestones_mail_pending_idx').on(t.id).where(sql`${t.mailStatus} = 'pending'`)
])

// ---- Listening (issue 15): public posts seen on Bluesky and Mastodon that carry a campaign's hashtag or mention a target.

export const postNetwork = pgEnum('post_network', ['bluesky', 'mastodon'])
export type PostNetwork = (typeof postNetwork.enumValues)[number]

// Only what the team is shown (data minimisation): deleted on the network, deleted here; removed N days after the campaign closes.
export const networkPosts = pgTable('network_posts', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  campaignId: uuid('campaign_id').notNull().references(() => campaigns.id, { onDelete: 'cascade' }),
  network: postNetwork('network').notNull(),
  // Bluesky: at://did/app.bsky.feed.post/rkey; Mastodon: the status's ActivityPub uri (the same through every instance).
  uri: text('uri').notNull(),
  url: text('url').notNull(),
  authorHandle: text('author_handle').notNull(),
  authorName: text('author_name').notNull().default(''),
  text: text('text').notNull(),
  language: text('language'),
  postedAt: timestamp('posted_at', { withTimezone: true }).notNull(),
  matchedTags: text('matched_tags').array().notNull().default(sql`'{}'`),
  matchedTargets: uuid('matched_targets').array().notNull().default(sql`'{}'`),
  // Mastodon: where the status was first seen and its id there, to re-check it for edits and deletion.
  sourceInstance: text('source_instance'),
  sourceId: text('source_id'),
  checkedAt: timestamp('checked_at', { withTimezone: true }),
  // Kept in the bottle's selection by an editor, so the dossier quotes it.
  selectedAt: timestamp('selected_at', { withTimezone: true }),
  selectedBy: uuid('selected_by').references(() => users.id, { onDelete: 'set null' }),
  seenAt: timestamp('seen_at', { withTimezone: true }).notNull().defaultNow()
}, (t) => [
  uniqueIndex('network_posts_uri_idx').on(t.campaignId, t.uri),
  index('network_posts_uri_only_idx').on(t.uri),
  index('network_posts_feed_idx').on(t.campaignId, t.postedAt)
])

// Derived counters of network_posts, kept in the transaction that inserts or deletes a post (rebuildable from the rows).
// dimension: total | network | target (key: target id) | target-network (key: target id:network) | hour (key: 2026-12-04T09:00Z)
export const networkPostCounts = pgTable('network_post_counts', {
  campaignId: uuid('campaign_id').notNull().references(() => campaigns.id, { onDelete: 'cascade' }),
  dimension: text('dimension').notNull(),
  key: text('key').notNull(),
  count: bigint('count', { mode: 'number' }).notNull().default(0)
}, (t) => [primaryKey({ columns: [t.campaignId, t.dimension, t.key] })])

// Where each listening source stands: the Jetstream cursor (time_us), and per Mastodon instance and tag the since_id,
// the last answer and when it may be asked again.
export const listeningCursors = pgTable('listening_cursors', {
  source: text('source').primaryKey(),
  cursor: text('cursor'),
  status: text('status').notNull().default('ok'),
  lastError: text('last_error'),
  nextPollAt: timestamp('next_poll_at', { withTimezone: true }),
  lastEventAt: timestamp('last_event_at', { withTimezone: true }),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow()
})

// Partners ("têtes de réseaux"): allied organisations with their own referral code (actions.ref) and a private stats
// page reached by a random token, of which only a hash is kept (revoked: null).
export const partners = pgTable('partners', {
  id: uuid('id').primaryKey().defaultRandom(),
  campaignId: uuid('campaign_id').notNull().references(() => campaigns.id, { onDelete: 'cascade' }),
  name: text('name').notNull(),
  code: text('code').notNull(),
  email: text('email'),
  // The line shown on the campaign page to supporters arriving with ?ref=CODE, per campaign language ('' or absent: none).
  lines: jsonb('lines').$type<Record<string, string>>().notNull().default({}),
  onLeaderboard: boolean('on_leaderboard').notNull().default(false),
  // The partner's logo as pages show it: its versioned address and size (the bytes are in partner_logos); null: none.
  logo: jsonb('logo').$type<{ url: string, width: number, height: number }>(),
  tokenHash: text('token_hash').unique(),
  tokenIssuedAt: timestamp('token_issued_at', { withTimezone: true }),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow()
}, (t) => [uniqueIndex('partners_code_idx').on(t.campaignId, t.code)])

// Partner logos, reduced and stored here like target photos, so every web instance serves them.
export const partnerLogos = pgTable('partner_logos', {
  partnerId: uuid('partner_id').primaryKey().references(() => partners.id, { onDelete: 'cascade' }),
  contentType: text('content_type').notNull(),
  data: bytea('data').notNull(),
  etag: text('etag').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow()
})

// Share clicks on the thank-you page, per network and message variant ('' when unknown): counts only, no visitor data.
export const shareClicks = pgTable('share_clicks', {
  campaignId: uuid('campaign_id').notNull().references(() => campaigns.id, { onDelete: 'cascade' }),
  network: text('network').notNull(),
  variant: text('variant').notNull().default(''),
  count: bigint('count', { mode: 'number' }).notNull().default(0)
}, (t) => [primaryKey({ columns: [t.campaignId, t.network, t.variant] })])

// "Call to share": the share kit e-mailed to the team (one mail, their kit) and to each partner with an address (their
// own kit, with their code). One row per mail, claimed for a while by one worker and marked sent once accepted.
export const shareCallMails = pgTable('share_call_mails', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  campaignId: uuid('campaign_id').notNull().references(() => campaigns.id, { onDelete: 'cascade' }),
  partnerId: uuid('partner_id').references(() => partners.id, { onDelete: 'cascade' }),
  toAddresses: text('to_addresses').array().notNull(),
  requestedBy: uuid('requested_by').references(() => users.id, { onDelete: 'set null' }),
  status: milestoneMailStatus('status').notNull().default('pending'),
  claimedUntil: timestamp('claimed_until', { withTimezone: true }),
  attempts: smallint('attempts').notNull().default(0),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  sentAt: timestamp('sent_at', { withTimezone: true })
}, (t) => [index('share_call_mails_pending_idx').on(t.id).where(sql`${t.status} = 'pending'`)])

// --- Bot defence (challenge) ---

// A window of sends the team marked suspicious (optionally one target and/or channel). An action is suspect while
// any window covers it, so overlapping windows can be un-marked one at a time.
export const suspectWindows = pgTable('suspect_windows', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  campaignId: uuid('campaign_id').notNull().references(() => campaigns.id, { onDelete: 'cascade' }),
  startsAt: timestamp('starts_at', { withTimezone: true }).notNull(),
  endsAt: timestamp('ends_at', { withTimezone: true }).notNull(),
  targetId: uuid('target_id').references(() => targets.id, { onDelete: 'cascade' }),
  channel: channel('channel'),
  // How many actions the window covered when it was marked (shown to the team; the rows carry the flag).
  actions: integer('actions').notNull().default(0),
  markedBy: text('marked_by').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow()
}, (t) => [index('suspect_windows_campaign_idx').on(t.campaignId)])

// Retention and supporters' rights (issue 17).

// Withdrawals of bottle messages, counted per campaign (the messages themselves are gone; nothing of them is logged).
export const campaignWithdrawals = pgTable('campaign_withdrawals', {
  campaignId: uuid('campaign_id').primaryKey().references(() => campaigns.id, { onDelete: 'cascade' }),
  count: bigint('count', { mode: 'number' }).notNull().default(0),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow()
})

// The owners' own words on the /privacy and /legal pages, per supporter language (plain paragraphs, escaped).
export const legalTexts = pgTable('legal_texts', {
  locale: text('locale').primaryKey(),
  privacy: text('privacy').notNull().default(''),
  legal: text('legal').notNull().default(''),
  updatedBy: uuid('updated_by').references(() => users.id, { onDelete: 'set null' }),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow()
})
