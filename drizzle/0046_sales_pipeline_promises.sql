CREATE TABLE "sales_plans" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL,
	"name" text NOT NULL,
	"price_cents" integer NOT NULL,
	"description" text,
	"active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "sales_leads" ALTER COLUMN "status" SET DEFAULT 'new';--> statement-breakpoint
ALTER TABLE "payment_promises" ADD COLUMN "method" text;--> statement-breakpoint
ALTER TABLE "payment_promises" ADD COLUMN "reminder_sent_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "payment_promises" ADD COLUMN "settled_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "payment_promises" ADD COLUMN "created_by_user_id" uuid;--> statement-breakpoint
ALTER TABLE "payment_promises" ADD COLUMN "updated_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "sales_leads" ADD COLUMN "plan_id" uuid;--> statement-breakpoint
ALTER TABLE "sales_leads" ADD COLUMN "assigned_user_id" uuid;--> statement-breakpoint
ALTER TABLE "sales_leads" ADD COLUMN "created_by_user_id" uuid;--> statement-breakpoint
ALTER TABLE "sales_leads" ADD COLUMN "updated_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "sales_plans" ADD CONSTRAINT "sales_plans_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "sales_plans_org_name_unique" ON "sales_plans" USING btree ("organization_id","name");--> statement-breakpoint
CREATE INDEX "sales_plans_org_active_idx" ON "sales_plans" USING btree ("organization_id","active");--> statement-breakpoint
ALTER TABLE "payment_promises" ADD CONSTRAINT "payment_promises_created_by_user_id_users_id_fk" FOREIGN KEY ("created_by_user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sales_leads" ADD CONSTRAINT "sales_leads_plan_id_sales_plans_id_fk" FOREIGN KEY ("plan_id") REFERENCES "public"."sales_plans"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sales_leads" ADD CONSTRAINT "sales_leads_assigned_user_id_users_id_fk" FOREIGN KEY ("assigned_user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sales_leads" ADD CONSTRAINT "sales_leads_created_by_user_id_users_id_fk" FOREIGN KEY ("created_by_user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "payment_promises_status_due_idx" ON "payment_promises" USING btree ("status","due_date");--> statement-breakpoint
CREATE INDEX "sales_leads_org_status_idx" ON "sales_leads" USING btree ("organization_id","status","created_at");