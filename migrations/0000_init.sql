CREATE TABLE "portals" (
	"id" text PRIMARY KEY NOT NULL,
	"member_id" text NOT NULL,
	"domain" text NOT NULL,
	"client_endpoint" text NOT NULL,
	"server_endpoint" text,
	"application_token" text,
	"access_token" text,
	"refresh_token" text,
	"expires_at" timestamp with time zone,
	"token_version" integer DEFAULT 0 NOT NULL,
	"scope" text,
	"status" text DEFAULT 'installed' NOT NULL,
	"installed_by_user_id" integer,
	"settings" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"last_error" text,
	"uninstalled_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "rate_buckets" (
	"portal_id" text PRIMARY KEY NOT NULL,
	"level" double precision DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"paused_until" jsonb DEFAULT '{}'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "jobs" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"portal_id" text,
	"payload" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"dedupe_key" text,
	"order_key" text,
	"status" text DEFAULT 'queued' NOT NULL,
	"run_at" timestamp with time zone DEFAULT now() NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"max_attempts" integer DEFAULT 10 NOT NULL,
	"locked_by" text,
	"locked_until" timestamp with time zone,
	"last_error" text,
	"done_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "envelopes" (
	"id" text PRIMARY KEY NOT NULL,
	"portal_id" text NOT NULL,
	"crm_entity_type_id" integer,
	"crm_entity_id" integer,
	"template_id" text,
	"title" text NOT NULL,
	"lang" text DEFAULT 'en' NOT NULL,
	"status" text DEFAULT 'draft' NOT NULL,
	"fields" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"source_pdf" "bytea",
	"source_sha256" text,
	"timers" jsonb NOT NULL,
	"public_id" text NOT NULL,
	"sealed_pdf" "bytea",
	"sealed_sha256" text,
	"sent_at" timestamp with time zone,
	"expires_at" timestamp with time zone,
	"completed_at" timestamp with time zone,
	"sealed_at" timestamp with time zone,
	"ended_at" timestamp with time zone,
	"end_reason" text,
	"reminders_sent" integer DEFAULT 0 NOT NULL,
	"audit_head" text,
	"audit_count" integer DEFAULT 0 NOT NULL,
	"created_by_user_id" integer,
	"robot_event_token" text,
	"robot_workflow_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "recipients" (
	"id" text PRIMARY KEY NOT NULL,
	"portal_id" text NOT NULL,
	"envelope_id" text NOT NULL,
	"role" text NOT NULL,
	"party" text NOT NULL,
	"sign_order" integer NOT NULL,
	"name" text NOT NULL,
	"email" text NOT NULL,
	"phone" text,
	"b24_user_id" integer,
	"crm_contact_id" integer,
	"status" text DEFAULT 'waiting' NOT NULL,
	"token_version" integer DEFAULT 1 NOT NULL,
	"invited_at" timestamp with time zone,
	"opened_at" timestamp with time zone,
	"verified_at" timestamp with time zone,
	"done_at" timestamp with time zone,
	"decline_reason" text,
	"signature_method" text,
	"signature_image" "bytea",
	"signature_text" text,
	"stamp_image" "bytea",
	"signed_ip" text,
	"signed_user_agent" text,
	"otp_hash" text,
	"otp_expires_at" timestamp with time zone,
	"otp_sent_at" timestamp with time zone,
	"otp_attempts" integer DEFAULT 0 NOT NULL,
	"otp_locked_until" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "field_values" (
	"id" text PRIMARY KEY NOT NULL,
	"portal_id" text NOT NULL,
	"envelope_id" text NOT NULL,
	"field_key" text NOT NULL,
	"recipient_id" text,
	"value" text NOT NULL,
	"filled_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "audit_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"portal_id" text NOT NULL,
	"envelope_id" text NOT NULL,
	"seq" integer NOT NULL,
	"type" text NOT NULL,
	"actor" text NOT NULL,
	"recipient_id" text,
	"ip" text,
	"user_agent" text,
	"at" timestamp with time zone NOT NULL,
	"data" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"prev_hash" text NOT NULL,
	"hash" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "messages" (
	"id" text PRIMARY KEY NOT NULL,
	"portal_id" text NOT NULL,
	"envelope_id" text,
	"recipient_id" text,
	"channel" text NOT NULL,
	"template" text NOT NULL,
	"to" text NOT NULL,
	"subject" text NOT NULL,
	"body" text NOT NULL,
	"html" text,
	"status" text NOT NULL,
	"provider_id" text,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "card_prefs" (
	"portal_id" text NOT NULL,
	"kind" text NOT NULL,
	"template_id" text NOT NULL,
	"template_name" text NOT NULL,
	"entity_type_id" integer,
	"slots" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"last_recipient_names" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"used_by_user_id" integer,
	"used_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sealed_documents" (
	"id" text PRIMARY KEY NOT NULL,
	"portal_id" text NOT NULL,
	"envelope_id" text NOT NULL,
	"public_id" text NOT NULL,
	"sha256" text NOT NULL,
	"title" text NOT NULL,
	"lang" text DEFAULT 'en' NOT NULL,
	"status" text DEFAULT 'completed' NOT NULL,
	"parties" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"signer_name" text,
	"development" boolean DEFAULT false NOT NULL,
	"timestamped" boolean DEFAULT false NOT NULL,
	"sealed_at" timestamp with time zone NOT NULL,
	"retention_until" timestamp with time zone NOT NULL,
	"size_bytes" integer NOT NULL,
	"pdf" "bytea",
	"storage_key" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "pdf_files" (
	"id" text PRIMARY KEY NOT NULL,
	"portal_id" text NOT NULL,
	"origin" text NOT NULL,
	"origin_ref" text,
	"status" text DEFAULT 'ready' NOT NULL,
	"filename" text,
	"bytes" "bytea",
	"size" integer,
	"sha256" text,
	"page_count" integer,
	"info" jsonb,
	"error" text,
	"error_code" text,
	"created_by_user_id" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "templates" (
	"id" text PRIMARY KEY NOT NULL,
	"portal_id" text NOT NULL,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"language" text NOT NULL,
	"source" jsonb NOT NULL,
	"fields" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created_by_user_id" integer,
	"last_used_at" timestamp with time zone,
	"deleted_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "robot_calls" (
	"id" text PRIMARY KEY NOT NULL,
	"portal_id" text NOT NULL,
	"code" text NOT NULL,
	"event_token" text NOT NULL,
	"workflow_id" text NOT NULL,
	"document_id" jsonb NOT NULL,
	"entity_type_id" integer,
	"entity_id" integer,
	"properties" jsonb NOT NULL,
	"wait" text NOT NULL,
	"subscribed" text NOT NULL,
	"user_id" integer,
	"status" text DEFAULT 'received' NOT NULL,
	"envelope_id" text,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "robot_template_sync" (
	"portal_id" text PRIMARY KEY NOT NULL,
	"options_hash" text NOT NULL,
	"synced_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "timeline_state" (
	"envelope_id" text PRIMARY KEY NOT NULL,
	"portal_id" text NOT NULL,
	"activity_id" integer,
	"reported_seq" integer DEFAULT 0 NOT NULL,
	"layout_hash" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "timeline_writes" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"portal_id" text NOT NULL,
	"envelope_id" text NOT NULL,
	"key" text NOT NULL,
	"method" text NOT NULL,
	"status" text NOT NULL,
	"result" jsonb,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "recipients" ADD CONSTRAINT "recipients_envelope_id_envelopes_id_fk" FOREIGN KEY ("envelope_id") REFERENCES "public"."envelopes"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "field_values" ADD CONSTRAINT "field_values_envelope_id_envelopes_id_fk" FOREIGN KEY ("envelope_id") REFERENCES "public"."envelopes"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "portals_member_id_key" ON "portals" USING btree ("member_id");--> statement-breakpoint
CREATE UNIQUE INDEX "jobs_dedupe_key_key" ON "jobs" USING btree ("dedupe_key");--> statement-breakpoint
CREATE INDEX "jobs_due_idx" ON "jobs" USING btree ("status","run_at");--> statement-breakpoint
CREATE INDEX "jobs_order_key_idx" ON "jobs" USING btree ("order_key","id") WHERE "jobs"."status" in ('queued', 'running');--> statement-breakpoint
CREATE INDEX "jobs_portal_id_idx" ON "jobs" USING btree ("portal_id");--> statement-breakpoint
CREATE INDEX "envelopes_portal_idx" ON "envelopes" USING btree ("portal_id","created_at");--> statement-breakpoint
CREATE INDEX "envelopes_crm_idx" ON "envelopes" USING btree ("portal_id","crm_entity_type_id","crm_entity_id");--> statement-breakpoint
CREATE UNIQUE INDEX "envelopes_public_id_key" ON "envelopes" USING btree ("public_id");--> statement-breakpoint
CREATE INDEX "recipients_portal_idx" ON "recipients" USING btree ("portal_id");--> statement-breakpoint
CREATE INDEX "recipients_envelope_idx" ON "recipients" USING btree ("envelope_id","sign_order");--> statement-breakpoint
CREATE INDEX "field_values_portal_idx" ON "field_values" USING btree ("portal_id");--> statement-breakpoint
CREATE UNIQUE INDEX "field_values_envelope_field_key" ON "field_values" USING btree ("envelope_id","field_key");--> statement-breakpoint
CREATE INDEX "audit_events_portal_idx" ON "audit_events" USING btree ("portal_id");--> statement-breakpoint
CREATE UNIQUE INDEX "audit_events_envelope_seq_key" ON "audit_events" USING btree ("envelope_id","seq");--> statement-breakpoint
CREATE INDEX "messages_portal_idx" ON "messages" USING btree ("portal_id","created_at");--> statement-breakpoint
CREATE INDEX "messages_envelope_idx" ON "messages" USING btree ("envelope_id");--> statement-breakpoint
CREATE UNIQUE INDEX "messages_completed_once_key" ON "messages" USING btree ("envelope_id","recipient_id","channel") WHERE template = 'completed';--> statement-breakpoint
CREATE UNIQUE INDEX "card_prefs_portal_kind_key" ON "card_prefs" USING btree ("portal_id","kind");--> statement-breakpoint
CREATE INDEX "card_prefs_portal_idx" ON "card_prefs" USING btree ("portal_id","used_at");--> statement-breakpoint
CREATE UNIQUE INDEX "sealed_documents_public_id_key" ON "sealed_documents" USING btree ("public_id");--> statement-breakpoint
CREATE UNIQUE INDEX "sealed_documents_sha256_key" ON "sealed_documents" USING btree ("sha256");--> statement-breakpoint
CREATE INDEX "sealed_documents_portal_idx" ON "sealed_documents" USING btree ("portal_id","sealed_at");--> statement-breakpoint
CREATE INDEX "sealed_documents_retention_idx" ON "sealed_documents" USING btree ("retention_until");--> statement-breakpoint
CREATE INDEX "pdf_files_portal_idx" ON "pdf_files" USING btree ("portal_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "pdf_files_origin_ref_key" ON "pdf_files" USING btree ("portal_id","origin","origin_ref");--> statement-breakpoint
CREATE INDEX "templates_portal_idx" ON "templates" USING btree ("portal_id","kind");--> statement-breakpoint
CREATE INDEX "templates_portal_used_idx" ON "templates" USING btree ("portal_id","last_used_at");--> statement-breakpoint
CREATE UNIQUE INDEX "robot_calls_event_token_key" ON "robot_calls" USING btree ("portal_id","event_token");--> statement-breakpoint
CREATE INDEX "robot_calls_portal_idx" ON "robot_calls" USING btree ("portal_id","created_at");--> statement-breakpoint
CREATE INDEX "robot_calls_envelope_idx" ON "robot_calls" USING btree ("portal_id","envelope_id");--> statement-breakpoint
CREATE INDEX "timeline_state_portal_idx" ON "timeline_state" USING btree ("portal_id");--> statement-breakpoint
CREATE UNIQUE INDEX "timeline_writes_key" ON "timeline_writes" USING btree ("envelope_id","key");--> statement-breakpoint
CREATE INDEX "timeline_writes_portal_idx" ON "timeline_writes" USING btree ("portal_id","at");