CREATE TABLE "role_assignments" (
	"portal_id" text NOT NULL,
	"subject_type" text NOT NULL,
	"subject_id" integer NOT NULL,
	"role" text NOT NULL,
	"updated_by_user_id" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "role_changes" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"portal_id" text NOT NULL,
	"actor_user_id" integer NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"subject_type" text NOT NULL,
	"subject_id" integer NOT NULL,
	"before" text,
	"after" text,
	"ip" text
);
--> statement-breakpoint
CREATE UNIQUE INDEX "role_assignments_subject_key" ON "role_assignments" USING btree ("portal_id","subject_type","subject_id");--> statement-breakpoint
CREATE INDEX "role_changes_portal_idx" ON "role_changes" USING btree ("portal_id","at");