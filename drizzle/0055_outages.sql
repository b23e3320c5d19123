CREATE TABLE "outage_notifications" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL,
	"outage_id" uuid NOT NULL,
	"contact_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"via" text DEFAULT 'broadcast' NOT NULL,
	"phone" text,
	"name" text,
	"state" text DEFAULT 'pending' NOT NULL,
	"skip_reason" text,
	"error" text,
	"instance_id" uuid,
	"message_id" uuid,
	"body" text,
	"sent_at" timestamp with time zone,
	"delivered_at" timestamp with time zone,
	"read_at" timestamp with time zone,
	"responded_at" timestamp with time zone,
	"response_text" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "outage_pacing" (
	"outage_id" uuid NOT NULL,
	"instance_id" uuid NOT NULL,
	"next_at" timestamp with time zone NOT NULL,
	"day" text DEFAULT '' NOT NULL,
	"sent_on_day" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "outage_pacing_outage_id_instance_id_pk" PRIMARY KEY("outage_id","instance_id")
);
--> statement-breakpoint
CREATE TABLE "outage_regions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL,
	"name" text NOT NULL,
	"cities" text[] DEFAULT '{}'::text[] NOT NULL,
	"states" text[] DEFAULT '{}'::text[] NOT NULL,
	"cep_prefixes" text[] DEFAULT '{}'::text[] NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "outages" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL,
	"title" text NOT NULL,
	"description" text,
	"severity" text NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"affected" jsonb NOT NULL,
	"estimated_resolution_at" timestamp with time zone,
	"notice_message" text NOT NULL,
	"resolution_message" text NOT NULL,
	"instance_ids" uuid[] NOT NULL,
	"pacing" jsonb NOT NULL,
	"created_by_user_id" uuid,
	"resolved_by_user_id" uuid,
	"resolved_at" timestamp with time zone,
	"cancelled_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "outage_notifications" ADD CONSTRAINT "outage_notifications_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "outage_notifications" ADD CONSTRAINT "outage_notifications_outage_id_outages_id_fk" FOREIGN KEY ("outage_id") REFERENCES "public"."outages"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "outage_notifications" ADD CONSTRAINT "outage_notifications_contact_id_contacts_id_fk" FOREIGN KEY ("contact_id") REFERENCES "public"."contacts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "outage_notifications" ADD CONSTRAINT "outage_notifications_instance_id_instances_id_fk" FOREIGN KEY ("instance_id") REFERENCES "public"."instances"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "outage_notifications" ADD CONSTRAINT "outage_notifications_message_id_messages_id_fk" FOREIGN KEY ("message_id") REFERENCES "public"."messages"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "outage_pacing" ADD CONSTRAINT "outage_pacing_outage_id_outages_id_fk" FOREIGN KEY ("outage_id") REFERENCES "public"."outages"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "outage_pacing" ADD CONSTRAINT "outage_pacing_instance_id_instances_id_fk" FOREIGN KEY ("instance_id") REFERENCES "public"."instances"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "outage_regions" ADD CONSTRAINT "outage_regions_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "outages" ADD CONSTRAINT "outages_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "outages" ADD CONSTRAINT "outages_created_by_user_id_users_id_fk" FOREIGN KEY ("created_by_user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "outages" ADD CONSTRAINT "outages_resolved_by_user_id_users_id_fk" FOREIGN KEY ("resolved_by_user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "outage_notifications_unique" ON "outage_notifications" USING btree ("outage_id","contact_id","kind");--> statement-breakpoint
CREATE INDEX "outage_notifications_due_idx" ON "outage_notifications" USING btree ("outage_id","kind","state");--> statement-breakpoint
CREATE INDEX "outage_notifications_contact_idx" ON "outage_notifications" USING btree ("contact_id","sent_at");--> statement-breakpoint
CREATE INDEX "outage_notifications_message_idx" ON "outage_notifications" USING btree ("message_id");--> statement-breakpoint
CREATE INDEX "outage_notifications_log_idx" ON "outage_notifications" USING btree ("outage_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "outage_regions_org_name_unique" ON "outage_regions" USING btree ("organization_id","name");--> statement-breakpoint
CREATE INDEX "outages_org_idx" ON "outages" USING btree ("organization_id","created_at");--> statement-breakpoint
CREATE INDEX "outages_active_idx" ON "outages" USING btree ("organization_id") WHERE status = 'active';