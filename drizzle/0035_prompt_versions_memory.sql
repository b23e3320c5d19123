CREATE TABLE "prompt_drafts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL,
	"workflow_id" uuid NOT NULL,
	"instructions" text NOT NULL,
	"base_version" integer,
	"last_edited_by_type" text NOT NULL,
	"last_edited_by_id" text,
	"last_edited_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "prompt_versions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL,
	"workflow_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"instructions" text NOT NULL,
	"changelog" text DEFAULT '' NOT NULL,
	"source" text NOT NULL,
	"rolled_back_from" integer,
	"author_type" text NOT NULL,
	"author_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "thread_messages" ADD COLUMN "prompt_version" integer;--> statement-breakpoint
ALTER TABLE "thread_messages" ADD COLUMN "summarized_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "threads" ADD COLUMN "last_context" text;--> statement-breakpoint
ALTER TABLE "threads" ADD COLUMN "last_context_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "prompt_drafts" ADD CONSTRAINT "prompt_drafts_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "prompt_drafts" ADD CONSTRAINT "prompt_drafts_workflow_id_workflows_id_fk" FOREIGN KEY ("workflow_id") REFERENCES "public"."workflows"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "prompt_versions" ADD CONSTRAINT "prompt_versions_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "prompt_versions" ADD CONSTRAINT "prompt_versions_workflow_id_workflows_id_fk" FOREIGN KEY ("workflow_id") REFERENCES "public"."workflows"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "prompt_drafts_workflow_unique" ON "prompt_drafts" USING btree ("workflow_id");--> statement-breakpoint
CREATE INDEX "prompt_drafts_org_idx" ON "prompt_drafts" USING btree ("organization_id");--> statement-breakpoint
CREATE UNIQUE INDEX "prompt_versions_workflow_version_unique" ON "prompt_versions" USING btree ("workflow_id","version");--> statement-breakpoint
CREATE INDEX "prompt_versions_org_idx" ON "prompt_versions" USING btree ("organization_id");