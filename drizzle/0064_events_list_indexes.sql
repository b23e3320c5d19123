DROP INDEX "events_org_type_at_idx";--> statement-breakpoint
DROP INDEX "events_org_at_idx";--> statement-breakpoint
CREATE INDEX "events_org_type_at_id_idx" ON "events" USING btree ("organization_id","type","at","id");--> statement-breakpoint
CREATE INDEX "events_org_at_id_idx" ON "events" USING btree ("organization_id","at","id");