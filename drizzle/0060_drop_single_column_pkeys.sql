-- Custom (issue 21, bounded tables): drizzle cannot name these primary keys to drop them. A partitioned
-- table's primary key must hold its partition key, so the single-column keys go; the next migration adds
-- (id, expires_on) / (id, day). No rows are touched.
ALTER TABLE "events" DROP CONSTRAINT "events_pkey";--> statement-breakpoint
ALTER TABLE "webhook_deliveries" DROP CONSTRAINT "webhook_deliveries_pkey";--> statement-breakpoint
ALTER TABLE "webhook_attempts" DROP CONSTRAINT "webhook_attempts_pkey";--> statement-breakpoint
ALTER TABLE "usage_daily" DROP CONSTRAINT "usage_daily_pkey";
