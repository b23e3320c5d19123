-- 0048 (like 0044) re-created the generated tsvector columns (their expression changed), which dropped their GIN
-- indexes with them; drizzle's snapshot still lists the indexes, so it does not create them again.
CREATE INDEX IF NOT EXISTS "knowledge_chunks_tsv_pt_idx" ON "knowledge_chunks" USING gin ("tsv_pt");--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "knowledge_chunks_tsv_en_idx" ON "knowledge_chunks" USING gin ("tsv_en");
