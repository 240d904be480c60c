CREATE TABLE "frame_sessions" (
	"id" text PRIMARY KEY NOT NULL,
	"portal_id" text NOT NULL,
	"user_id" integer NOT NULL,
	"access_token" text NOT NULL,
	"refresh_token" text,
	"expires_at" timestamp with time zone,
	"token_version" integer DEFAULT 1 NOT NULL,
	"session_expires_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "frame_sessions_expiry_idx" ON "frame_sessions" USING btree ("session_expires_at");