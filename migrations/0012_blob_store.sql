CREATE TABLE "blob_bytes" (
	"key" text PRIMARY KEY NOT NULL,
	"bytes" "bytea" NOT NULL
);
--> statement-breakpoint
CREATE TABLE "blobs" (
	"key" text PRIMARY KEY NOT NULL,
	"portal_id" text NOT NULL,
	"size" integer NOT NULL,
	"content_type" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "envelopes" ADD COLUMN "source_pdf_key" text;--> statement-breakpoint
ALTER TABLE "envelopes" ADD COLUMN "sealed_pdf_key" text;--> statement-breakpoint
ALTER TABLE "pdf_files" ADD COLUMN "blob_key" text;--> statement-breakpoint
ALTER TABLE "envelope_pages" ADD COLUMN "image_key" text;--> statement-breakpoint
-- The bytes move to the blob store (its PostgreSQL table); rows keep keys. Existing rows get content-derived
-- keys (equal bytes share one); new writes get random ones (src/blobs/blobs.ts).
INSERT INTO "blob_bytes" ("key", "bytes") SELECT portal_id || '/source/' || encode(sha256("source_pdf"), 'hex'), "source_pdf" FROM "envelopes" WHERE "source_pdf" IS NOT NULL ON CONFLICT DO NOTHING;--> statement-breakpoint
INSERT INTO "blobs" ("key", "portal_id", "size", "content_type") SELECT portal_id || '/source/' || encode(sha256("source_pdf"), 'hex'), portal_id, octet_length("source_pdf"), 'application/pdf' FROM "envelopes" WHERE "source_pdf" IS NOT NULL ON CONFLICT DO NOTHING;--> statement-breakpoint
UPDATE "envelopes" SET "source_pdf_key" = portal_id || '/source/' || encode(sha256("source_pdf"), 'hex') WHERE "source_pdf" IS NOT NULL;--> statement-breakpoint
INSERT INTO "blob_bytes" ("key", "bytes") SELECT portal_id || '/sealed/' || encode(sha256("sealed_pdf"), 'hex'), "sealed_pdf" FROM "envelopes" WHERE "sealed_pdf" IS NOT NULL ON CONFLICT DO NOTHING;--> statement-breakpoint
INSERT INTO "blobs" ("key", "portal_id", "size", "content_type") SELECT portal_id || '/sealed/' || encode(sha256("sealed_pdf"), 'hex'), portal_id, octet_length("sealed_pdf"), 'application/pdf' FROM "envelopes" WHERE "sealed_pdf" IS NOT NULL ON CONFLICT DO NOTHING;--> statement-breakpoint
UPDATE "envelopes" SET "sealed_pdf_key" = portal_id || '/sealed/' || encode(sha256("sealed_pdf"), 'hex') WHERE "sealed_pdf" IS NOT NULL;--> statement-breakpoint
INSERT INTO "blob_bytes" ("key", "bytes") SELECT portal_id || '/file/' || encode(sha256("bytes"), 'hex'), "bytes" FROM "pdf_files" WHERE "bytes" IS NOT NULL ON CONFLICT DO NOTHING;--> statement-breakpoint
INSERT INTO "blobs" ("key", "portal_id", "size", "content_type") SELECT portal_id || '/file/' || encode(sha256("bytes"), 'hex'), portal_id, octet_length("bytes"), 'application/pdf' FROM "pdf_files" WHERE "bytes" IS NOT NULL ON CONFLICT DO NOTHING;--> statement-breakpoint
UPDATE "pdf_files" SET "blob_key" = portal_id || '/file/' || encode(sha256("bytes"), 'hex') WHERE "bytes" IS NOT NULL;--> statement-breakpoint
INSERT INTO "blob_bytes" ("key", "bytes") SELECT portal_id || '/sealed/' || encode(sha256("pdf"), 'hex'), "pdf" FROM "sealed_documents" WHERE "pdf" IS NOT NULL AND octet_length("pdf") > 0 ON CONFLICT DO NOTHING;--> statement-breakpoint
INSERT INTO "blobs" ("key", "portal_id", "size", "content_type") SELECT portal_id || '/sealed/' || encode(sha256("pdf"), 'hex'), portal_id, octet_length("pdf"), 'application/pdf' FROM "sealed_documents" WHERE "pdf" IS NOT NULL AND octet_length("pdf") > 0 ON CONFLICT DO NOTHING;--> statement-breakpoint
UPDATE "sealed_documents" SET "storage_key" = portal_id || '/sealed/' || encode(sha256("pdf"), 'hex') WHERE "pdf" IS NOT NULL AND octet_length("pdf") > 0;--> statement-breakpoint
INSERT INTO "blob_bytes" ("key", "bytes") SELECT portal_id || '/page/' || encode(sha256("image"), 'hex'), "image" FROM "envelope_pages" WHERE "image" IS NOT NULL ON CONFLICT DO NOTHING;--> statement-breakpoint
INSERT INTO "blobs" ("key", "portal_id", "size", "content_type") SELECT portal_id || '/page/' || encode(sha256("image"), 'hex'), portal_id, octet_length("image"), "type" FROM "envelope_pages" WHERE "image" IS NOT NULL ON CONFLICT DO NOTHING;--> statement-breakpoint
UPDATE "envelope_pages" SET "image_key" = portal_id || '/page/' || encode(sha256("image"), 'hex') WHERE "image" IS NOT NULL;--> statement-breakpoint
ALTER TABLE "envelope_pages" ALTER COLUMN "image_key" SET NOT NULL;--> statement-breakpoint
CREATE INDEX "blobs_created_idx" ON "blobs" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "envelopes_source_pdf_key_idx" ON "envelopes" USING btree ("source_pdf_key");--> statement-breakpoint
CREATE INDEX "envelopes_sealed_pdf_key_idx" ON "envelopes" USING btree ("sealed_pdf_key");--> statement-breakpoint
CREATE INDEX "sealed_documents_storage_key_idx" ON "sealed_documents" USING btree ("storage_key");--> statement-breakpoint
CREATE INDEX "pdf_files_blob_key_idx" ON "pdf_files" USING btree ("blob_key");--> statement-breakpoint
CREATE INDEX "envelope_pages_image_key_idx" ON "envelope_pages" USING btree ("image_key");--> statement-breakpoint
ALTER TABLE "envelopes" DROP COLUMN "source_pdf";--> statement-breakpoint
ALTER TABLE "envelopes" DROP COLUMN "sealed_pdf";--> statement-breakpoint
ALTER TABLE "sealed_documents" DROP COLUMN "pdf";--> statement-breakpoint
ALTER TABLE "pdf_files" DROP COLUMN "bytes";--> statement-breakpoint
ALTER TABLE "envelope_pages" DROP COLUMN "image";