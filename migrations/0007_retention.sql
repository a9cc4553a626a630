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
ALTER TABLE "bottle_messages" ADD COLUMN "withdraw_token_hash" text;--> statement-breakpoint
ALTER TABLE "campaigns" ADD COLUMN "keep_dossiers_as_proof" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "campaigns" ADD COLUMN "purged_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "campaign_withdrawals" ADD CONSTRAINT "campaign_withdrawals_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "legal_texts" ADD CONSTRAINT "legal_texts_updated_by_users_id_fk" FOREIGN KEY ("updated_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "bottle_messages_withdraw_idx" ON "bottle_messages" USING btree ("withdraw_token_hash");