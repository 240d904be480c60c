CREATE TABLE "signer_links" (
	"id_hash" text PRIMARY KEY NOT NULL,
	"portal_id" text NOT NULL,
	"envelope_id" text NOT NULL,
	"recipient_id" text NOT NULL,
	"token_version" integer NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "envelopes" ADD COLUMN "sender_company" text;--> statement-breakpoint
ALTER TABLE "signer_links" ADD CONSTRAINT "signer_links_envelope_id_envelopes_id_fk" FOREIGN KEY ("envelope_id") REFERENCES "public"."envelopes"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "signer_links_envelope_idx" ON "signer_links" USING btree ("portal_id","envelope_id");