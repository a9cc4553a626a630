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
ALTER TABLE "actions" ADD COLUMN "suspect" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "campaigns" ADD COLUMN "challenge_mode" text DEFAULT 'off' NOT NULL;--> statement-breakpoint
ALTER TABLE "campaigns" ADD COLUMN "challenge_auto_until" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "suspect_windows" ADD CONSTRAINT "suspect_windows_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "suspect_windows" ADD CONSTRAINT "suspect_windows_target_id_targets_id_fk" FOREIGN KEY ("target_id") REFERENCES "public"."targets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "suspect_windows_campaign_idx" ON "suspect_windows" USING btree ("campaign_id");