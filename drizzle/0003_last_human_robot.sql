ALTER TABLE "threads" ADD COLUMN "reply_due_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "idx_threads_reply_due" ON "threads" USING btree ("reply_due_at") WHERE reply_due_at is not null;--> statement-breakpoint
CREATE INDEX "idx_threads_conversation_active" ON "threads" USING btree ("conversation_id") WHERE status = 'active';