ALTER TABLE "media" DROP CONSTRAINT "media_organization_id_organizations_id_fk";
--> statement-breakpoint
ALTER TABLE "media" DROP CONSTRAINT "media_device_id_devices_id_fk";
--> statement-breakpoint
ALTER TABLE "media" DROP CONSTRAINT "media_instance_id_instances_id_fk";
--> statement-breakpoint
ALTER TABLE "media" ADD CONSTRAINT "media_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "media" ADD CONSTRAINT "media_device_id_devices_id_fk" FOREIGN KEY ("device_id") REFERENCES "public"."devices"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "media" ADD CONSTRAINT "media_instance_id_instances_id_fk" FOREIGN KEY ("instance_id") REFERENCES "public"."instances"("id") ON DELETE set null ON UPDATE no action;