ALTER TABLE "knowledge_chunks" drop column "tsv_pt";--> statement-breakpoint
ALTER TABLE "knowledge_chunks" ADD COLUMN "tsv_pt" "tsvector" GENERATED ALWAYS AS (to_tsvector('portuguese'::regconfig, livchat_unaccent(content))) STORED NOT NULL;--> statement-breakpoint
ALTER TABLE "knowledge_chunks" drop column "tsv_en";--> statement-breakpoint
ALTER TABLE "knowledge_chunks" ADD COLUMN "tsv_en" "tsvector" GENERATED ALWAYS AS (to_tsvector('english'::regconfig, livchat_unaccent(content))) STORED NOT NULL;--> statement-breakpoint
ALTER TABLE "knowledge_settings" ALTER COLUMN "embeddings_base_url" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "knowledge_settings" ALTER COLUMN "embeddings_model" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "knowledge_settings" ADD COLUMN "low_score_threshold" real;