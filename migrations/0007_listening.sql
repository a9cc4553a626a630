CREATE TYPE "public"."post_network" AS ENUM('bluesky', 'mastodon');--> statement-breakpoint
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
ALTER TABLE "campaigns" ADD COLUMN "listening_instances" text[] DEFAULT '{mastodon.social,mastodon.online,mstdn.social}' NOT NULL;--> statement-breakpoint
ALTER TABLE "network_post_counts" ADD CONSTRAINT "network_post_counts_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "network_posts" ADD CONSTRAINT "network_posts_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "network_posts" ADD CONSTRAINT "network_posts_selected_by_users_id_fk" FOREIGN KEY ("selected_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "network_posts_uri_idx" ON "network_posts" USING btree ("campaign_id","uri");--> statement-breakpoint
CREATE INDEX "network_posts_uri_only_idx" ON "network_posts" USING btree ("uri");--> statement-breakpoint
CREATE INDEX "network_posts_feed_idx" ON "network_posts" USING btree ("campaign_id","posted_at");