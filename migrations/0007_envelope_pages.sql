CREATE TABLE "envelope_pages" (
	"portal_id" text NOT NULL,
	"envelope_id" text NOT NULL,
	"page" integer NOT NULL,
	"px" integer NOT NULL,
	"width_pt" double precision NOT NULL,
	"height_pt" double precision NOT NULL,
	"type" text NOT NULL,
	"image" "bytea" NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "envelope_pages_portal_id_envelope_id_page_px_pk" PRIMARY KEY("portal_id","envelope_id","page","px")
);
--> statement-breakpoint
ALTER TABLE "envelope_pages" ADD CONSTRAINT "envelope_pages_envelope_id_envelopes_id_fk" FOREIGN KEY ("envelope_id") REFERENCES "public"."envelopes"("id") ON DELETE cascade ON UPDATE no action;