CREATE TABLE "portal_logos" (
	"portal_id" text PRIMARY KEY NOT NULL,
	"image" "bytea" NOT NULL,
	"kind" text NOT NULL,
	"width" integer NOT NULL,
	"height" integer NOT NULL,
	"sha256" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "portal_seal_certificates" (
	"id" text PRIMARY KEY NOT NULL,
	"portal_id" text NOT NULL,
	"leaf_sha256" text NOT NULL,
	"chain" jsonb NOT NULL,
	"subject" text NOT NULL,
	"common_name" text NOT NULL,
	"company" text NOT NULL,
	"issuer" text NOT NULL,
	"not_before" timestamp with time zone NOT NULL,
	"not_after" timestamp with time zone NOT NULL,
	"p12_sealed" text,
	"passphrase_sealed" text,
	"active" boolean DEFAULT true NOT NULL,
	"added_by_user_id" integer NOT NULL,
	"retired_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "settings_changes" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"portal_id" text NOT NULL,
	"actor_user_id" integer NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"setting" text NOT NULL,
	"before" jsonb,
	"after" jsonb,
	"ip" text
);
--> statement-breakpoint
CREATE INDEX "portal_seal_certificates_portal_idx" ON "portal_seal_certificates" USING btree ("portal_id","active");--> statement-breakpoint
CREATE INDEX "portal_seal_certificates_leaf_idx" ON "portal_seal_certificates" USING btree ("leaf_sha256");--> statement-breakpoint
CREATE INDEX "settings_changes_portal_idx" ON "settings_changes" USING btree ("portal_id","at");