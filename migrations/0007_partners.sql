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
ALTER TABLE "actions" ADD COLUMN "from_code" text;--> statement-breakpoint
ALTER TABLE "actions" ADD COLUMN "link_code" text;--> statement-breakpoint
ALTER TABLE "actions" ADD COLUMN "source" text DEFAULT 'page' NOT NULL;--> statement-breakpoint
ALTER TABLE "partners" ADD CONSTRAINT "partners_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "share_call_mails" ADD CONSTRAINT "share_call_mails_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "share_call_mails" ADD CONSTRAINT "share_call_mails_partner_id_partners_id_fk" FOREIGN KEY ("partner_id") REFERENCES "public"."partners"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "share_call_mails" ADD CONSTRAINT "share_call_mails_requested_by_users_id_fk" FOREIGN KEY ("requested_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "share_clicks" ADD CONSTRAINT "share_clicks_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "partners_code_idx" ON "partners" USING btree ("campaign_id","code");--> statement-breakpoint
CREATE INDEX "share_call_mails_pending_idx" ON "share_call_mails" USING btree ("id") WHERE "share_call_mails"."status" = 'pending';