-- Inbox full-text search over message bodies with the Portuguese configuration ("pagamentos" finds
-- "pagamento"). The queries use exactly this expression, so the planner can use the GIN index.
-- Plain CREATE INDEX: CONCURRENTLY cannot run inside the migration's transaction.
CREATE INDEX IF NOT EXISTS "messages_body_fts_idx" ON "messages" USING gin (to_tsvector('portuguese'::regconfig, coalesce("body", '')));
