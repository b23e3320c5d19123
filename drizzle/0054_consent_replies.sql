ALTER TABLE "consent_settings" ADD COLUMN "opt_out_reply" text;--> statement-breakpoint
ALTER TABLE "consent_settings" ADD COLUMN "opt_in_reply" text;