CREATE TYPE "public"."milestone_mail_status" AS ENUM('pending', 'sent', 'skipped');--> statement-breakpoint
CREATE TABLE "milestone_plans" (
	"campaign_id" uuid PRIMARY KEY NOT NULL,
	"percents" smallint[] DEFAULT '{25,50,75,100}' NOT NULL,
	"counts" integer[] DEFAULT '{}' NOT NULL,
	"step_ups" boolean DEFAULT true NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "milestones" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"campaign_id" uuid NOT NULL,
	"threshold" integer NOT NULL,
	"kind" text NOT NULL,
	"percent" smallint,
	"goal" integer NOT NULL,
	"reached_at" timestamp with time zone DEFAULT now() NOT NULL,
	"mail_status" "milestone_mail_status" DEFAULT 'pending' NOT NULL,
	"mail_claimed_until" timestamp with time zone,
	"mail_attempts" smallint DEFAULT 0 NOT NULL,
	"mailed_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "milestone_plans" ADD CONSTRAINT "milestone_plans_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "milestones" ADD CONSTRAINT "milestones_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "milestones_threshold_idx" ON "milestones" USING btree ("campaign_id","threshold");--> statement-breakpoint
CREATE INDEX "milestones_mail_pending_idx" ON "milestones" USING btree ("id") WHERE "milestones"."mail_status" = 'pending';