CREATE TABLE "app_secret_check" (
	"id" integer PRIMARY KEY DEFAULT 1 NOT NULL,
	"check_value" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "app_secret_check_single_row" CHECK ("app_secret_check"."id" = 1)
);
--> statement-breakpoint
ALTER TABLE "webhooks" ADD COLUMN "headers_enc" jsonb DEFAULT '{}'::jsonb NOT NULL;