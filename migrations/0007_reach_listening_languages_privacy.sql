CREATE TYPE "public"."post_network" AS ENUM('bluesky', 'mastodon');--> statement-breakpoint
CREATE TABLE "campaign_withdrawals" (
	"campaign_id" uuid PRIMARY KEY NOT NULL,
	"count" bigint DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "legal_texts" (
	"locale" text PRIMARY KEY NOT NULL,
	"privacy" text DEFAULT '' NOT NULL,
	"legal" text DEFAULT '' NOT NULL,
	"updated_by" uuid,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "listening_cursors" (
	"source" text PRIMARY KEY NOT NULL,
	"cursor" text,
	"status" text DEFAULT 'ok' NOT NULL,
	"last_error" text,
	"next_poll_at" timestamp with time zone,
	"last_event_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "network_post_counts" (
	"campaign_id" uuid NOT NULL,
	"dimension" text NOT NULL,
	"key" text NOT NULL,
	"count" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "network_post_counts_campaign_id_dimension_key_pk" PRIMARY KEY("campaign_id","dimension","key")
);
--> statement-breakpoint
CREATE TABLE "network_posts" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"campaign_id" uuid NOT NULL,
	"network" "post_network" NOT NULL,
	"uri" text NOT NULL,
	"url" text NOT NULL,
	"author_handle" text NOT NULL,
	"author_name" text DEFAULT '' NOT NULL,
	"text" text NOT NULL,
	"language" text,
	"posted_at" timestamp with time zone NOT NULL,
	"matched_tags" text[] DEFAULT '{}' NOT NULL,
	"matched_targets" uuid[] DEFAULT '{}' NOT NULL,
	"source_instance" text,
	"source_id" text,
	"checked_at" timestamp with time zone,
	"selected_at" timestamp with time zone,
	"selected_by" uuid,
	"seen_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "partners" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"campaign_id" uuid NOT NULL,
	"name" text NOT NULL,
	"code" text NOT NULL,
	"email" text,
	"lines" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"on_leaderboard" boolean DEFAULT false NOT NULL,
	"token_hash" text,
	"token_issued_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "partners_token_hash_unique" UNIQUE("token_hash")
);
--> statement-breakpoint
CREATE TABLE "share_call_mails" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"campaign_id" uuid NOT NULL,
	"partner_id" uuid,
	"to_addresses" text[] NOT NULL,
	"requested_by" uuid,
	"status" "milestone_mail_status" DEFAULT 'pending' NOT NULL,
	"claimed_until" timestamp with time zone,
	"attempts" smallint DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "share_clicks" (
	"campaign_id" uuid NOT NULL,
	"network" text NOT NULL,
	"variant" text DEFAULT '' NOT NULL,
	"count" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "share_clicks_campaign_id_network_variant_pk" PRIMARY KEY("campaign_id","network","variant")
);
--> statement-breakpoint
CREATE TABLE "suspect_windows" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"campaign_id" uuid NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone NOT NULL,
	"target_id" uuid,
	"channel" "channel",
	"actions" integer DEFAULT 0 NOT NULL,
	"marked_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "actions" ADD COLUMN "from_code" text;--> statement-breakpoint
ALTER TABLE "actions" ADD COLUMN "link_code" text;--> statement-breakpoint
ALTER TABLE "actions" ADD COLUMN "source" text DEFAULT 'page' NOT NULL;--> statement-breakpoint
ALTER TABLE "actions" ADD COLUMN "suspect" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "bottle_messages" ADD COLUMN "withdraw_token_hash" text;--> statement-breakpoint
ALTER TABLE "campaign_texts" ADD COLUMN "summary" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "campaigns" ADD COLUMN "embed_origins" text[] DEFAULT '{}' NOT NULL;--> statement-breakpoint
ALTER TABLE "campaigns" ADD COLUMN "languages" text[] DEFAULT '{}' NOT NULL;--> statement-breakpoint
ALTER TABLE "campaigns" ADD COLUMN "listening_instances" text[] DEFAULT '{mastodon.social,mastodon.online,mstdn.social}' NOT NULL;--> statement-breakpoint
ALTER TABLE "campaigns" ADD COLUMN "challenge_mode" text DEFAULT 'off' NOT NULL;--> statement-breakpoint
ALTER TABLE "campaigns" ADD COLUMN "challenge_auto_until" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "campaigns" ADD COLUMN "keep_dossiers_as_proof" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "campaigns" ADD COLUMN "purged_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "targets" ADD COLUMN "language" text;--> statement-breakpoint
ALTER TABLE "campaign_withdrawals" ADD CONSTRAINT "campaign_withdrawals_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "legal_texts" ADD CONSTRAINT "legal_texts_updated_by_users_id_fk" FOREIGN KEY ("updated_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "network_post_counts" ADD CONSTRAINT "network_post_counts_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "network_posts" ADD CONSTRAINT "network_posts_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "network_posts" ADD CONSTRAINT "network_posts_selected_by_users_id_fk" FOREIGN KEY ("selected_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "partners" ADD CONSTRAINT "partners_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "share_call_mails" ADD CONSTRAINT "share_call_mails_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "share_call_mails" ADD CONSTRAINT "share_call_mails_partner_id_partners_id_fk" FOREIGN KEY ("partner_id") REFERENCES "public"."partners"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "share_call_mails" ADD CONSTRAINT "share_call_mails_requested_by_users_id_fk" FOREIGN KEY ("requested_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "share_clicks" ADD CONSTRAINT "share_clicks_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "suspect_windows" ADD CONSTRAINT "suspect_windows_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "suspect_windows" ADD CONSTRAINT "suspect_windows_target_id_targets_id_fk" FOREIGN KEY ("target_id") REFERENCES "public"."targets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "network_posts_uri_idx" ON "network_posts" USING btree ("campaign_id","uri");--> statement-breakpoint
CREATE INDEX "network_posts_uri_only_idx" ON "network_posts" USING btree ("uri");--> statement-breakpoint
CREATE INDEX "network_posts_feed_idx" ON "network_posts" USING btree ("campaign_id","posted_at");--> statement-breakpoint
CREATE UNIQUE INDEX "partners_code_idx" ON "partners" USING btree ("campaign_id","code");--> statement-breakpoint
CREATE INDEX "share_call_mails_pending_idx" ON "share_call_mails" USING btree ("id") WHERE "share_call_mails"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "suspect_windows_campaign_idx" ON "suspect_windows" USING btree ("campaign_id");--> statement-breakpoint
CREATE UNIQUE INDEX "bottle_messages_withdraw_idx" ON "bottle_messages" USING btree ("withdraw_token_hash");