CREATE TABLE "partner_logos" (
	"partner_id" uuid PRIMARY KEY NOT NULL,
	"content_type" text NOT NULL,
	"data" "bytea" NOT NULL,
	"etag" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "actions" ADD COLUMN "challenge_id" text;--> statement-breakpoint
ALTER TABLE "partners" ADD COLUMN "logo" jsonb;--> statement-breakpoint
ALTER TABLE "partner_logos" ADD CONSTRAINT "partner_logos_partner_id_partners_id_fk" FOREIGN KEY ("partner_id") REFERENCES "public"."partners"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "actions_challenge_idx" ON "actions" USING btree ("challenge_id") WHERE "actions"."challenge_id" IS NOT NULL;