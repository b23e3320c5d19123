CREATE TABLE "webhook_cursors" (
	"webhook_id" uuid PRIMARY KEY NOT NULL,
	"tx_id" "xid8" NOT NULL,
	"event_id" uuid NOT NULL,
	"lease_until" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "webhook_cursors" ADD CONSTRAINT "webhook_cursors_webhook_id_webhooks_id_fk" FOREIGN KEY ("webhook_id") REFERENCES "public"."webhooks"("id") ON DELETE cascade ON UPDATE no action;