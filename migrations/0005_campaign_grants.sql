CREATE TABLE "campaign_grants" (
	"user_id" uuid NOT NULL,
	"campaign_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "campaign_grants_user_id_campaign_id_pk" PRIMARY KEY("user_id","campaign_id")
);
--> statement-breakpoint
ALTER TABLE "invites" ADD COLUMN "campaign_ids" uuid[];--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "all_campaigns" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "campaign_grants" ADD CONSTRAINT "campaign_grants_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "campaign_grants" ADD CONSTRAINT "campaign_grants_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "campaign_grants_campaign_idx" ON "campaign_grants" USING btree ("campaign_id");