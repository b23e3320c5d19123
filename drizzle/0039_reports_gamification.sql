CREATE TABLE "gamification_badges" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL,
	"agent_user_id" uuid NOT NULL,
	"badge_type" text NOT NULL,
	"period" text NOT NULL,
	"metric" integer,
	"awarded_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "gamification_history" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL,
	"period" text NOT NULL,
	"agent_user_id" uuid,
	"agent_name" text NOT NULL,
	"ranking" integer NOT NULL,
	"total_score" integer NOT NULL,
	"metrics" jsonb NOT NULL,
	"badges" text[] DEFAULT '{}'::text[] NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "gamification_opt_outs" (
	"organization_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "gamification_opt_outs_organization_id_user_id_pk" PRIMARY KEY("organization_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "gamification_scores" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL,
	"agent_user_id" uuid NOT NULL,
	"period" text NOT NULL,
	"total_conversations" integer NOT NULL,
	"avg_nps" double precision,
	"success_rate" integer NOT NULL,
	"avg_response_time" integer,
	"volume_score" integer NOT NULL,
	"nps_score" integer NOT NULL,
	"resolution_score" integer NOT NULL,
	"time_score" integer NOT NULL,
	"total_score" integer NOT NULL,
	"ranking" integer NOT NULL,
	"badges" text[] DEFAULT '{}'::text[] NOT NULL,
	"calculated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "gamification_settings" (
	"organization_id" uuid PRIMARY KEY NOT NULL,
	"nps_weight" integer DEFAULT 40 NOT NULL,
	"volume_weight" integer DEFAULT 30 NOT NULL,
	"resolution_weight" integer DEFAULT 20 NOT NULL,
	"response_time_weight" integer DEFAULT 10 NOT NULL,
	"solucionador_nps_min" integer DEFAULT 7 NOT NULL,
	"solucionador_resolution_min" integer DEFAULT 70 NOT NULL,
	"velocista_nps_min" integer DEFAULT 7 NOT NULL,
	"velocista_top_n" integer DEFAULT 1 NOT NULL,
	"campeao_volume_top_n" integer DEFAULT 1 NOT NULL,
	"target_resolution" integer DEFAULT 85 NOT NULL,
	"target_response_time" integer DEFAULT 120 NOT NULL,
	"target_volume" integer DEFAULT 500 NOT NULL,
	"calculation_period" text DEFAULT 'monthly' NOT NULL,
	"updated_by" uuid,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "gamification_weights_sum" CHECK (nps_weight + volume_weight + resolution_weight + response_time_weight = 100)
);
--> statement-breakpoint
CREATE TABLE "conversation_cycles" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL,
	"conversation_id" uuid NOT NULL,
	"instance_id" uuid NOT NULL,
	"department_id" uuid,
	"agent_user_id" uuid,
	"day" date NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"first_response_at" timestamp with time zone,
	"first_response_by" text,
	"human_replied" boolean DEFAULT false NOT NULL,
	"resolved_at" timestamp with time zone,
	"resolved_by" text
);
--> statement-breakpoint
CREATE TABLE "report_daily" (
	"organization_id" uuid NOT NULL,
	"day" date NOT NULL,
	"department_id" uuid,
	"agent_user_id" uuid,
	"instance_id" uuid,
	"conversations" integer DEFAULT 0 NOT NULL,
	"first_responses" integer DEFAULT 0 NOT NULL,
	"first_response_seconds" double precision DEFAULT 0 NOT NULL,
	"resolved" integer DEFAULT 0 NOT NULL,
	"bot_resolved" integer DEFAULT 0 NOT NULL,
	"human_resolved" integer DEFAULT 0 NOT NULL,
	"resolution_seconds" double precision DEFAULT 0 NOT NULL,
	"nps_answers" integer DEFAULT 0 NOT NULL,
	"nps_sum" integer DEFAULT 0 NOT NULL,
	"promoters" integer DEFAULT 0 NOT NULL,
	"detractors" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "report_daily_bucket_unique" UNIQUE NULLS NOT DISTINCT("organization_id","day","department_id","agent_user_id","instance_id")
);
--> statement-breakpoint
ALTER TABLE "gamification_badges" ADD CONSTRAINT "gamification_badges_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "gamification_badges" ADD CONSTRAINT "gamification_badges_agent_user_id_users_id_fk" FOREIGN KEY ("agent_user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "gamification_history" ADD CONSTRAINT "gamification_history_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "gamification_opt_outs" ADD CONSTRAINT "gamification_opt_outs_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "gamification_opt_outs" ADD CONSTRAINT "gamification_opt_outs_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "gamification_scores" ADD CONSTRAINT "gamification_scores_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "gamification_scores" ADD CONSTRAINT "gamification_scores_agent_user_id_users_id_fk" FOREIGN KEY ("agent_user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "gamification_settings" ADD CONSTRAINT "gamification_settings_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "gamification_settings" ADD CONSTRAINT "gamification_settings_updated_by_users_id_fk" FOREIGN KEY ("updated_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "conversation_cycles" ADD CONSTRAINT "conversation_cycles_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "conversation_cycles" ADD CONSTRAINT "conversation_cycles_conversation_id_conversations_id_fk" FOREIGN KEY ("conversation_id") REFERENCES "public"."conversations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "conversation_cycles" ADD CONSTRAINT "conversation_cycles_instance_id_instances_id_fk" FOREIGN KEY ("instance_id") REFERENCES "public"."instances"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "report_daily" ADD CONSTRAINT "report_daily_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "gamification_badges_unique" ON "gamification_badges" USING btree ("organization_id","period","agent_user_id","badge_type");--> statement-breakpoint
CREATE UNIQUE INDEX "gamification_history_org_period_rank_unique" ON "gamification_history" USING btree ("organization_id","period","ranking");--> statement-breakpoint
CREATE UNIQUE INDEX "gamification_scores_org_period_agent_unique" ON "gamification_scores" USING btree ("organization_id","period","agent_user_id");--> statement-breakpoint
CREATE INDEX "gamification_scores_org_period_rank_idx" ON "gamification_scores" USING btree ("organization_id","period","ranking");--> statement-breakpoint
CREATE UNIQUE INDEX "conversation_cycles_open_unique" ON "conversation_cycles" USING btree ("conversation_id") WHERE resolved_at is null;--> statement-breakpoint
CREATE INDEX "conversation_cycles_org_day_idx" ON "conversation_cycles" USING btree ("organization_id","day");--> statement-breakpoint
ALTER TABLE "conversations" DROP COLUMN "department";