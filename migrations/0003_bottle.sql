CREATE TYPE "public"."bottle_status" AS ENUM('pending', 'held', 'approved', 'rejected');--> statement-breakpoint
CREATE TABLE "bottle_messages" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"action_id" bigint NOT NULL,
	"campaign_id" uuid NOT NULL,
	"target_id" uuid NOT NULL,
	"locale" text NOT NULL,
	"text" text NOT NULL,
	"signature_name" text,
	"signature_town" text,
	"publish_consent" boolean DEFAULT false NOT NULL,
	"consent_version" text,
	"status" "bottle_status" DEFAULT 'pending' NOT NULL,
	"hold_reasons" text[] DEFAULT '{}' NOT NULL,
	"featured" boolean DEFAULT false NOT NULL,
	"fingerprint" text NOT NULL,
	"reviewed_by" uuid,
	"reviewed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "bottle_messages_action_id_unique" UNIQUE("action_id")
);
--> statement-breakpoint
ALTER TABLE "campaigns" ADD COLUMN "blocked_words" text[] DEFAULT '{}' NOT NULL;--> statement-breakpoint
ALTER TABLE "bottle_messages" ADD CONSTRAINT "bottle_messages_action_id_actions_id_fk" FOREIGN KEY ("action_id") REFERENCES "public"."actions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bottle_messages" ADD CONSTRAINT "bottle_messages_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bottle_messages" ADD CONSTRAINT "bottle_messages_target_id_targets_id_fk" FOREIGN KEY ("target_id") REFERENCES "public"."targets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bottle_messages" ADD CONSTRAINT "bottle_messages_reviewed_by_users_id_fk" FOREIGN KEY ("reviewed_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "bottle_messages_queue_idx" ON "bottle_messages" USING btree ("campaign_id","status","id");--> statement-breakpoint
CREATE INDEX "bottle_messages_fingerprint_idx" ON "bottle_messages" USING btree ("campaign_id","fingerprint");--> statement-breakpoint
CREATE INDEX "bottle_messages_target_idx" ON "bottle_messages" USING btree ("campaign_id","target_id","status");