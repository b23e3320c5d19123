ALTER TABLE "knowledge_documents" ADD COLUMN "storage_key" text;--> statement-breakpoint
ALTER TABLE "knowledge_documents" ADD COLUMN "lease_until" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "knowledge_documents" ADD COLUMN "attempts" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX "knowledge_documents_pending_idx" ON "knowledge_documents" USING btree ("created_at") WHERE status = 'pending';