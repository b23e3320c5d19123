CREATE TABLE "organization_retention" (
	"organization_id" uuid PRIMARY KEY NOT NULL,
	"events_days" integer DEFAULT 30 NOT NULL,
	"deliveries_days" integer DEFAULT 30 NOT NULL,
	"messages_days" integer,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "webhook_attempts" DROP CONSTRAINT "webhook_attempts_delivery_id_webhook_deliveries_id_fk";
--> statement-breakpoint
ALTER TABLE "webhook_deliveries" DROP CONSTRAINT "webhook_deliveries_event_id_events_id_fk";
--> statement-breakpoint
DROP INDEX "webhook_deliveries_webhook_event_unique";--> statement-breakpoint
ALTER TABLE "events" ADD COLUMN "expires_on" date DEFAULT ((now() at time zone 'utc')::date + 30) NOT NULL;--> statement-breakpoint
ALTER TABLE "webhook_attempts" ADD COLUMN "expires_on" date DEFAULT ((now() at time zone 'utc')::date + 30) NOT NULL;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD COLUMN "expires_on" date DEFAULT ((now() at time zone 'utc')::date + 30) NOT NULL;--> statement-breakpoint
ALTER TABLE "organization_retention" ADD CONSTRAINT "organization_retention_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "webhook_deliveries_webhook_event_unique" ON "webhook_deliveries" USING btree ("webhook_id","event_id","expires_on");