CREATE TABLE "collection_settings" (
	"organization_id" uuid PRIMARY KEY NOT NULL,
	"reminders_enabled" boolean DEFAULT true NOT NULL,
	"reminder_days_before" integer DEFAULT 1 NOT NULL,
	"promise_max_days" integer,
	"allowed_methods" text[] DEFAULT '{boleto,pix,card,other}'::text[] NOT NULL,
	"updated_by_user_id" uuid,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "collection_target_promises" (
	"promise_id" uuid NOT NULL,
	"target_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "collection_target_promises_promise_id_pk" PRIMARY KEY("promise_id")
);
--> statement-breakpoint
CREATE TABLE "collection_targets" (
	"target_id" uuid PRIMARY KEY NOT NULL,
	"organization_id" uuid NOT NULL,
	"campaign_id" uuid NOT NULL,
	"debtor_name" text,
	"document" text,
	"document_type" text,
	"amount_cents" integer NOT NULL,
	"due_date" date NOT NULL,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"crm_sync_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "crm_sync_configs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL,
	"name" text NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"url_encrypted" text NOT NULL,
	"url_masked" text NOT NULL,
	"api_key_encrypted" text,
	"api_key_last4" text,
	"auth_header" text DEFAULT 'Authorization' NOT NULL,
	"mapping" jsonb NOT NULL,
	"date_range_type" text DEFAULT 'none' NOT NULL,
	"date_range_days" integer,
	"date_range_from" date,
	"date_range_to" date,
	"min_amount_cents" integer,
	"max_amount_cents" integer,
	"dedupe_by" text DEFAULT 'phone' NOT NULL,
	"update_existing" boolean DEFAULT true NOT NULL,
	"interval_minutes" integer DEFAULT 60 NOT NULL,
	"campaign_id" uuid NOT NULL,
	"next_run_at" timestamp with time zone DEFAULT now() NOT NULL,
	"lease_until" timestamp with time zone,
	"last_sync_at" timestamp with time zone,
	"last_sync_status" text,
	"last_sync_error" text,
	"last_fetched" integer DEFAULT 0 NOT NULL,
	"last_created" integer DEFAULT 0 NOT NULL,
	"last_updated" integer DEFAULT 0 NOT NULL,
	"last_skipped" integer DEFAULT 0 NOT NULL,
	"created_by_user_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "crm_sync_runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL,
	"config_id" uuid NOT NULL,
	"trigger" text NOT NULL,
	"status" text DEFAULT 'running' NOT NULL,
	"error" text,
	"pages" integer DEFAULT 0 NOT NULL,
	"fetched" integer DEFAULT 0 NOT NULL,
	"created" integer DEFAULT 0 NOT NULL,
	"updated" integer DEFAULT 0 NOT NULL,
	"skipped" integer DEFAULT 0 NOT NULL,
	"skip_reasons" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"skipped_samples" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "collection_settings" ADD CONSTRAINT "collection_settings_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "collection_settings" ADD CONSTRAINT "collection_settings_updated_by_user_id_users_id_fk" FOREIGN KEY ("updated_by_user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "collection_target_promises" ADD CONSTRAINT "collection_target_promises_promise_id_payment_promises_id_fk" FOREIGN KEY ("promise_id") REFERENCES "public"."payment_promises"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "collection_target_promises" ADD CONSTRAINT "collection_target_promises_target_id_collection_targets_target_id_fk" FOREIGN KEY ("target_id") REFERENCES "public"."collection_targets"("target_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "collection_targets" ADD CONSTRAINT "collection_targets_target_id_campaign_targets_id_fk" FOREIGN KEY ("target_id") REFERENCES "public"."campaign_targets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "collection_targets" ADD CONSTRAINT "collection_targets_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "collection_targets" ADD CONSTRAINT "collection_targets_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "collection_targets" ADD CONSTRAINT "collection_targets_crm_sync_id_crm_sync_configs_id_fk" FOREIGN KEY ("crm_sync_id") REFERENCES "public"."crm_sync_configs"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "crm_sync_configs" ADD CONSTRAINT "crm_sync_configs_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "crm_sync_configs" ADD CONSTRAINT "crm_sync_configs_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "crm_sync_configs" ADD CONSTRAINT "crm_sync_configs_created_by_user_id_users_id_fk" FOREIGN KEY ("created_by_user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "crm_sync_runs" ADD CONSTRAINT "crm_sync_runs_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "crm_sync_runs" ADD CONSTRAINT "crm_sync_runs_config_id_crm_sync_configs_id_fk" FOREIGN KEY ("config_id") REFERENCES "public"."crm_sync_configs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "collection_target_promises_target_idx" ON "collection_target_promises" USING btree ("target_id");--> statement-breakpoint
CREATE INDEX "collection_targets_campaign_idx" ON "collection_targets" USING btree ("campaign_id","due_date");--> statement-breakpoint
CREATE INDEX "collection_targets_document_idx" ON "collection_targets" USING btree ("campaign_id","document") WHERE document is not null;--> statement-breakpoint
CREATE INDEX "collection_targets_org_idx" ON "collection_targets" USING btree ("organization_id","created_at");--> statement-breakpoint
CREATE INDEX "crm_sync_configs_org_idx" ON "crm_sync_configs" USING btree ("organization_id","created_at");--> statement-breakpoint
CREATE INDEX "crm_sync_configs_due_idx" ON "crm_sync_configs" USING btree ("next_run_at") WHERE enabled;--> statement-breakpoint
CREATE INDEX "crm_sync_runs_config_idx" ON "crm_sync_runs" USING btree ("config_id","started_at");