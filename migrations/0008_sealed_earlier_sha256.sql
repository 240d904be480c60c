ALTER TABLE "sealed_documents" ADD COLUMN "earlier_sha256" text;--> statement-breakpoint
CREATE INDEX "sealed_documents_earlier_sha256_idx" ON "sealed_documents" USING btree ("earlier_sha256");