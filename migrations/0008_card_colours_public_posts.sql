ALTER TABLE "campaigns" ADD COLUMN "card_background" text DEFAULT '#0b4d57' NOT NULL;--> statement-breakpoint
ALTER TABLE "campaigns" ADD COLUMN "card_accent" text DEFAULT '#f2c14e' NOT NULL;--> statement-breakpoint
ALTER TABLE "campaigns" ADD COLUMN "show_public_posts" boolean DEFAULT false NOT NULL;