ALTER TABLE "sealed_documents" ADD COLUMN "original_sha256" text;--> statement-breakpoint
CREATE INDEX "sealed_documents_original_sha256_idx" ON "sealed_documents" USING btree ("original_sha256");