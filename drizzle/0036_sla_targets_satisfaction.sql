CREATE TABLE "department_sla_targets" (
	"department_id" uuid PRIMARY KEY NOT NULL,
	"organization_id" uuid NOT NULL,
	"first_response_minutes" integer,
	"resolution_minutes" integer,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "department_sla_targets_positive" CHECK ((first_response_minutes is null or first_response_minutes > 0) and (resolution_minutes is null or resolution_minutes > 0))
);
--> statement-breakpoint
CREATE TABLE "department_surveys" (
	"department_id" uuid PRIMARY KEY NOT NULL,
	"organization_id" uuid NOT NULL,
	"enabled" boolean DEFAULT false NOT NULL,
	"template" text NOT NULL,
	"comment_prompt" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "satisfaction_feedback" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL,
	"conversation_id" uuid NOT NULL,
	"contact_id" uuid NOT NULL,
	"instance_id" uuid NOT NULL,
	"department_id" uuid,
	"agent_user_id" uuid,
	"workflow_id" uuid,
	"state" text DEFAULT 'sent' NOT NULL,
	"sent_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"nps_score" integer,
	"category" text,
	"answered_at" timestamp with time zone,
	"comment" text,
	"handling_status" text,
	"handling_notes" text,
	"handling_score" integer,
	"handled_by" uuid,
	"handled_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "satisfaction_feedback_score_range" CHECK (nps_score is null or nps_score between 0 and 10),
	CONSTRAINT "satisfaction_feedback_handling_score_range" CHECK (handling_score is null or handling_score between 1 and 5)
);
--> statement-breakpoint
CREATE TABLE "department_reply_modes" (
	"department_id" uuid PRIMARY KEY NOT NULL,
	"organization_id" uuid NOT NULL,
	"draft_replies" boolean DEFAULT false NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "learning_events" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL,
	"workflow_id" uuid,
	"conversation_id" uuid,
	"suggestion_id" uuid,
	"event_type" text NOT NULL,
	"user_message" text NOT NULL,
	"ai_response" text NOT NULL,
	"correct_response" text,
	"feedback" text,
	"prompt_suggestion_id" uuid,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "prompt_suggestions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL,
	"workflow_id" uuid NOT NULL,
	"status" text DEFAULT 'generating' NOT NULL,
	"origin" text NOT NULL,
	"problem_identified" text DEFAULT '' NOT NULL,
	"root_cause_analysis" text DEFAULT '' NOT NULL,
	"current_prompt" text DEFAULT '' NOT NULL,
	"suggested_prompt" text DEFAULT '' NOT NULL,
	"changelog" text DEFAULT '' NOT NULL,
	"confidence" real DEFAULT 0 NOT NULL,
	"affected_conversations" uuid[] DEFAULT '{}'::uuid[] NOT NULL,
	"event_count" integer DEFAULT 0 NOT NULL,
	"tokens" integer,
	"created_by" uuid,
	"reviewed_by" uuid,
	"review_notes" text,
	"reviewed_at" timestamp with time zone,
	"applied_version" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "prompt_suggestions_confidence_range" CHECK ("prompt_suggestions"."confidence" >= 0 and "prompt_suggestions"."confidence" <= 1)
);
--> statement-breakpoint
CREATE TABLE "sentiment_checks" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL,
	"conversation_id" uuid NOT NULL,
	"due_at" timestamp with time zone NOT NULL,
	"lease_until" timestamp with time zone,
	"attempts" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sentiment_settings" (
	"organization_id" uuid PRIMARY KEY NOT NULL,
	"enabled" boolean DEFAULT false NOT NULL,
	"workflow_id" uuid,
	"model" text,
	"alert_on_negative" boolean DEFAULT true NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "suggested_responses" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL,
	"conversation_id" uuid NOT NULL,
	"thread_id" uuid,
	"workflow_id" uuid,
	"message_context" text NOT NULL,
	"suggested_text" text NOT NULL,
	"final_text" text,
	"status" text DEFAULT 'pending' NOT NULL,
	"was_edited" boolean DEFAULT false NOT NULL,
	"was_approved" boolean DEFAULT false NOT NULL,
	"tokens" integer,
	"message_id" uuid,
	"decided_by" uuid,
	"decided_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "conversations" ADD COLUMN "ai_reply_mode" text DEFAULT 'inherit' NOT NULL;--> statement-breakpoint
ALTER TABLE "conversations" ADD COLUMN "sentiment" text;--> statement-breakpoint
ALTER TABLE "conversations" ADD COLUMN "urgency" text;--> statement-breakpoint
ALTER TABLE "conversations" ADD COLUMN "sentiment_reason" text;--> statement-breakpoint
ALTER TABLE "conversations" ADD COLUMN "sentiment_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "department_sla_targets" ADD CONSTRAINT "department_sla_targets_department_id_departments_id_fk" FOREIGN KEY ("department_id") REFERENCES "public"."departments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "department_sla_targets" ADD CONSTRAINT "department_sla_targets_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "department_surveys" ADD CONSTRAINT "department_surveys_department_id_departments_id_fk" FOREIGN KEY ("department_id") REFERENCES "public"."departments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "department_surveys" ADD CONSTRAINT "department_surveys_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "satisfaction_feedback" ADD CONSTRAINT "satisfaction_feedback_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "satisfaction_feedback" ADD CONSTRAINT "satisfaction_feedback_conversation_id_conversations_id_fk" FOREIGN KEY ("conversation_id") REFERENCES "public"."conversations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "satisfaction_feedback" ADD CONSTRAINT "satisfaction_feedback_contact_id_contacts_id_fk" FOREIGN KEY ("contact_id") REFERENCES "public"."contacts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "satisfaction_feedback" ADD CONSTRAINT "satisfaction_feedback_instance_id_instances_id_fk" FOREIGN KEY ("instance_id") REFERENCES "public"."instances"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "satisfaction_feedback" ADD CONSTRAINT "satisfaction_feedback_department_id_departments_id_fk" FOREIGN KEY ("department_id") REFERENCES "public"."departments"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "satisfaction_feedback" ADD CONSTRAINT "satisfaction_feedback_agent_user_id_users_id_fk" FOREIGN KEY ("agent_user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "satisfaction_feedback" ADD CONSTRAINT "satisfaction_feedback_workflow_id_workflows_id_fk" FOREIGN KEY ("workflow_id") REFERENCES "public"."workflows"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "satisfaction_feedback" ADD CONSTRAINT "satisfaction_feedback_handled_by_users_id_fk" FOREIGN KEY ("handled_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "department_reply_modes" ADD CONSTRAINT "department_reply_modes_department_id_departments_id_fk" FOREIGN KEY ("department_id") REFERENCES "public"."departments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "department_reply_modes" ADD CONSTRAINT "department_reply_modes_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "learning_events" ADD CONSTRAINT "learning_events_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "learning_events" ADD CONSTRAINT "learning_events_workflow_id_workflows_id_fk" FOREIGN KEY ("workflow_id") REFERENCES "public"."workflows"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "learning_events" ADD CONSTRAINT "learning_events_conversation_id_conversations_id_fk" FOREIGN KEY ("conversation_id") REFERENCES "public"."conversations"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "learning_events" ADD CONSTRAINT "learning_events_suggestion_id_suggested_responses_id_fk" FOREIGN KEY ("suggestion_id") REFERENCES "public"."suggested_responses"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "learning_events" ADD CONSTRAINT "learning_events_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "prompt_suggestions" ADD CONSTRAINT "prompt_suggestions_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "prompt_suggestions" ADD CONSTRAINT "prompt_suggestions_workflow_id_workflows_id_fk" FOREIGN KEY ("workflow_id") REFERENCES "public"."workflows"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "prompt_suggestions" ADD CONSTRAINT "prompt_suggestions_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "prompt_suggestions" ADD CONSTRAINT "prompt_suggestions_reviewed_by_users_id_fk" FOREIGN KEY ("reviewed_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sentiment_checks" ADD CONSTRAINT "sentiment_checks_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sentiment_checks" ADD CONSTRAINT "sentiment_checks_conversation_id_conversations_id_fk" FOREIGN KEY ("conversation_id") REFERENCES "public"."conversations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sentiment_settings" ADD CONSTRAINT "sentiment_settings_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sentiment_settings" ADD CONSTRAINT "sentiment_settings_workflow_id_workflows_id_fk" FOREIGN KEY ("workflow_id") REFERENCES "public"."workflows"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "suggested_responses" ADD CONSTRAINT "suggested_responses_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "suggested_responses" ADD CONSTRAINT "suggested_responses_conversation_id_conversations_id_fk" FOREIGN KEY ("conversation_id") REFERENCES "public"."conversations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "suggested_responses" ADD CONSTRAINT "suggested_responses_thread_id_threads_id_fk" FOREIGN KEY ("thread_id") REFERENCES "public"."threads"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "suggested_responses" ADD CONSTRAINT "suggested_responses_workflow_id_workflows_id_fk" FOREIGN KEY ("workflow_id") REFERENCES "public"."workflows"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "suggested_responses" ADD CONSTRAINT "suggested_responses_message_id_messages_id_fk" FOREIGN KEY ("message_id") REFERENCES "public"."messages"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "suggested_responses" ADD CONSTRAINT "suggested_responses_decided_by_users_id_fk" FOREIGN KEY ("decided_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "satisfaction_feedback_open_unique" ON "satisfaction_feedback" USING btree ("conversation_id") WHERE state <> 'closed';--> statement-breakpoint
CREATE INDEX "satisfaction_feedback_org_answered_idx" ON "satisfaction_feedback" USING btree ("organization_id","answered_at");--> statement-breakpoint
CREATE INDEX "satisfaction_feedback_org_created_idx" ON "satisfaction_feedback" USING btree ("organization_id","created_at","id");--> statement-breakpoint
CREATE INDEX "satisfaction_feedback_contact_idx" ON "satisfaction_feedback" USING btree ("contact_id","answered_at");--> statement-breakpoint
CREATE INDEX "satisfaction_feedback_handling_idx" ON "satisfaction_feedback" USING btree ("organization_id","handling_status") WHERE handling_status is not null;--> statement-breakpoint
CREATE INDEX "learning_events_org_created_idx" ON "learning_events" USING btree ("organization_id","created_at");--> statement-breakpoint
CREATE INDEX "learning_events_workflow_open_idx" ON "learning_events" USING btree ("workflow_id","created_at") WHERE prompt_suggestion_id is null;--> statement-breakpoint
CREATE INDEX "prompt_suggestions_org_created_idx" ON "prompt_suggestions" USING btree ("organization_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "prompt_suggestions_one_generating" ON "prompt_suggestions" USING btree ("workflow_id") WHERE status = 'generating';--> statement-breakpoint
CREATE UNIQUE INDEX "sentiment_checks_conversation_unique" ON "sentiment_checks" USING btree ("conversation_id");--> statement-breakpoint
CREATE INDEX "sentiment_checks_due_idx" ON "sentiment_checks" USING btree ("due_at");--> statement-breakpoint
CREATE INDEX "suggested_responses_conversation_idx" ON "suggested_responses" USING btree ("conversation_id","created_at");--> statement-breakpoint
CREATE INDEX "suggested_responses_org_created_idx" ON "suggested_responses" USING btree ("organization_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "suggested_responses_one_pending" ON "suggested_responses" USING btree ("conversation_id") WHERE status = 'pending';