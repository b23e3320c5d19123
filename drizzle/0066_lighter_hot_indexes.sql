DROP INDEX "messages_api_key_idempotency_unique";--> statement-breakpoint
ALTER TABLE "webhook_attempts" DROP CONSTRAINT "webhook_attempts_id_expires_on_pk";--> statement-breakpoint
CREATE UNIQUE INDEX "messages_api_key_idempotency_unique" ON "messages" USING btree ("api_key_id","idempotency_key") WHERE idempotency_key is not null;