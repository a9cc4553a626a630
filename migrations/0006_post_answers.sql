CREATE TABLE "post_answers" (
	"campaign_id" uuid NOT NULL,
	"channel" "channel" NOT NULL,
	"posted" boolean NOT NULL,
	"count" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "post_answers_campaign_id_channel_posted_pk" PRIMARY KEY("campaign_id","channel","posted")
);
--> statement-breakpoint
ALTER TABLE "post_answers" ADD CONSTRAINT "post_answers_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE cascade ON UPDATE no action;