-- Custom (issue 21, bounded tables; drizzle cannot express partitioning). events, webhook_deliveries and
-- webhook_attempts become tables partitioned by RANGE (expires_on) in daily partitions, usage_daily by
-- RANGE (day) in monthly ones, so retention drops whole partitions (src/features/retention). Each table is
-- rebuilt: a partitioned copy with the same columns and defaults, a DEFAULT partition (an insert never
-- fails for want of a partition), one partition per day (month) the existing rows need, every row copied
-- (checked by count before the old table goes), then the old table is dropped, the new one takes its name,
-- and the keys, foreign keys and indexes are recreated under the names drizzle's snapshot has. Existing
-- rows keep the expires_on migration 0059 gave them (that day + 30): an upgrade drops no history at once.
-- Runs as is on Postgres 15 and on PGlite (plpgsql only, no extensions). The maintenance worker creates
-- later partitions with the same names (retention.partitions.ts).

-- ——— events ———
CREATE TABLE "events_partitioned" (LIKE "events" INCLUDING DEFAULTS) PARTITION BY RANGE ("expires_on");--> statement-breakpoint
CREATE TABLE "events_default" PARTITION OF "events_partitioned" DEFAULT;--> statement-breakpoint
DO $$
DECLARE d date;
BEGIN
  FOR d IN SELECT DISTINCT expires_on FROM events LOOP
    EXECUTE format('CREATE TABLE %I PARTITION OF events_partitioned FOR VALUES FROM (%L) TO (%L)', 'events_p' || to_char(d, 'YYYYMMDD'), d, d + 1);
  END LOOP;
END $$;--> statement-breakpoint
INSERT INTO "events_partitioned" SELECT * FROM "events";--> statement-breakpoint
DO $$
BEGIN
  IF (SELECT count(*) FROM events_partitioned) <> (SELECT count(*) FROM events) THEN
    RAISE EXCEPTION 'events: partitioned copy has a different row count, nothing changed';
  END IF;
END $$;--> statement-breakpoint
DROP TABLE "events";--> statement-breakpoint
ALTER TABLE "events_partitioned" RENAME TO "events";--> statement-breakpoint
ALTER TABLE "events" ADD CONSTRAINT "events_id_expires_on_pk" PRIMARY KEY("id","expires_on");--> statement-breakpoint
ALTER TABLE "events" ADD CONSTRAINT "events_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "events" ADD CONSTRAINT "events_instance_id_instances_id_fk" FOREIGN KEY ("instance_id") REFERENCES "public"."instances"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "events" ADD CONSTRAINT "events_api_key_id_api_keys_id_fk" FOREIGN KEY ("api_key_id") REFERENCES "public"."api_keys"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "events" ADD CONSTRAINT "events_device_id_devices_id_fk" FOREIGN KEY ("device_id") REFERENCES "public"."devices"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "events_org_type_at_idx" ON "events" USING btree ("organization_id","type","at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "events_org_at_idx" ON "events" USING btree ("organization_id","at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "events_org_tx_idx" ON "events" USING btree ("organization_id","tx_id","id");--> statement-breakpoint

-- ——— webhook_deliveries ———
CREATE TABLE "webhook_deliveries_partitioned" (LIKE "webhook_deliveries" INCLUDING DEFAULTS) PARTITION BY RANGE ("expires_on");--> statement-breakpoint
CREATE TABLE "webhook_deliveries_default" PARTITION OF "webhook_deliveries_partitioned" DEFAULT;--> statement-breakpoint
DO $$
DECLARE d date;
BEGIN
  FOR d IN SELECT DISTINCT expires_on FROM webhook_deliveries LOOP
    EXECUTE format('CREATE TABLE %I PARTITION OF webhook_deliveries_partitioned FOR VALUES FROM (%L) TO (%L)', 'webhook_deliveries_p' || to_char(d, 'YYYYMMDD'), d, d + 1);
  END LOOP;
END $$;--> statement-breakpoint
INSERT INTO "webhook_deliveries_partitioned" SELECT * FROM "webhook_deliveries";--> statement-breakpoint
DO $$
BEGIN
  IF (SELECT count(*) FROM webhook_deliveries_partitioned) <> (SELECT count(*) FROM webhook_deliveries) THEN
    RAISE EXCEPTION 'webhook_deliveries: partitioned copy has a different row count, nothing changed';
  END IF;
END $$;--> statement-breakpoint
DROP TABLE "webhook_deliveries";--> statement-breakpoint
ALTER TABLE "webhook_deliveries_partitioned" RENAME TO "webhook_deliveries";--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_id_expires_on_pk" PRIMARY KEY("id","expires_on");--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_webhook_id_webhooks_id_fk" FOREIGN KEY ("webhook_id") REFERENCES "public"."webhooks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "webhook_deliveries_due_idx" ON "webhook_deliveries" USING btree ("next_attempt_at") WHERE status in ('pending', 'failed');--> statement-breakpoint
CREATE INDEX "webhook_deliveries_webhook_due_idx" ON "webhook_deliveries" USING btree ("webhook_id","next_attempt_at") WHERE status in ('pending', 'failed');--> statement-breakpoint
CREATE INDEX "webhook_deliveries_webhook_created_idx" ON "webhook_deliveries" USING btree ("webhook_id","created_at","id");--> statement-breakpoint
CREATE UNIQUE INDEX "webhook_deliveries_webhook_event_unique" ON "webhook_deliveries" USING btree ("webhook_id","event_id","expires_on");--> statement-breakpoint

-- ——— webhook_attempts ———
CREATE TABLE "webhook_attempts_partitioned" (LIKE "webhook_attempts" INCLUDING DEFAULTS) PARTITION BY RANGE ("expires_on");--> statement-breakpoint
CREATE TABLE "webhook_attempts_default" PARTITION OF "webhook_attempts_partitioned" DEFAULT;--> statement-breakpoint
DO $$
DECLARE d date;
BEGIN
  FOR d IN SELECT DISTINCT expires_on FROM webhook_attempts LOOP
    EXECUTE format('CREATE TABLE %I PARTITION OF webhook_attempts_partitioned FOR VALUES FROM (%L) TO (%L)', 'webhook_attempts_p' || to_char(d, 'YYYYMMDD'), d, d + 1);
  END LOOP;
END $$;--> statement-breakpoint
INSERT INTO "webhook_attempts_partitioned" SELECT * FROM "webhook_attempts";--> statement-breakpoint
DO $$
BEGIN
  IF (SELECT count(*) FROM webhook_attempts_partitioned) <> (SELECT count(*) FROM webhook_attempts) THEN
    RAISE EXCEPTION 'webhook_attempts: partitioned copy has a different row count, nothing changed';
  END IF;
END $$;--> statement-breakpoint
DROP TABLE "webhook_attempts";--> statement-breakpoint
ALTER TABLE "webhook_attempts_partitioned" RENAME TO "webhook_attempts";--> statement-breakpoint
ALTER TABLE "webhook_attempts" ADD CONSTRAINT "webhook_attempts_id_expires_on_pk" PRIMARY KEY("id","expires_on");--> statement-breakpoint
CREATE INDEX "webhook_attempts_delivery_idx" ON "webhook_attempts" USING btree ("delivery_id","at" DESC NULLS LAST);--> statement-breakpoint

-- ——— usage_daily (monthly partitions by day) ———
CREATE TABLE "usage_daily_partitioned" (LIKE "usage_daily" INCLUDING DEFAULTS) PARTITION BY RANGE ("day");--> statement-breakpoint
CREATE TABLE "usage_daily_default" PARTITION OF "usage_daily_partitioned" DEFAULT;--> statement-breakpoint
DO $$
DECLARE m date;
BEGIN
  FOR m IN SELECT DISTINCT date_trunc('month', day)::date FROM usage_daily LOOP
    EXECUTE format('CREATE TABLE %I PARTITION OF usage_daily_partitioned FOR VALUES FROM (%L) TO (%L)', 'usage_daily_p' || to_char(m, 'YYYYMM'), m, (m + interval '1 month')::date);
  END LOOP;
END $$;--> statement-breakpoint
INSERT INTO "usage_daily_partitioned" SELECT * FROM "usage_daily";--> statement-breakpoint
DO $$
BEGIN
  IF (SELECT count(*) FROM usage_daily_partitioned) <> (SELECT count(*) FROM usage_daily) THEN
    RAISE EXCEPTION 'usage_daily: partitioned copy has a different row count, nothing changed';
  END IF;
END $$;--> statement-breakpoint
DROP TABLE "usage_daily";--> statement-breakpoint
ALTER TABLE "usage_daily_partitioned" RENAME TO "usage_daily";--> statement-breakpoint
ALTER TABLE "usage_daily" ADD CONSTRAINT "usage_daily_id_day_pk" PRIMARY KEY("id","day");--> statement-breakpoint
ALTER TABLE "usage_daily" ADD CONSTRAINT "usage_daily_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "usage_daily_unique" ON "usage_daily" USING btree ("organization_id","instance_id","api_key_id","day","metric");--> statement-breakpoint
CREATE INDEX "usage_daily_org_day_idx" ON "usage_daily" USING btree ("organization_id","day");
