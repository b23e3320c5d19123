ALTER TABLE "knowledge_chunks" drop column "tsv_pt";--> statement-breakpoint
ALTER TABLE "knowledge_chunks" ADD COLUMN "tsv_pt" "tsvector" GENERATED ALWAYS AS (to_tsvector('portuguese'::regconfig, content) || to_tsvector('portuguese'::regconfig, livchat_unaccent(content))) STORED NOT NULL;--> statement-breakpoint
ALTER TABLE "knowledge_chunks" drop column "tsv_en";--> statement-breakpoint
ALTER TABLE "knowledge_chunks" ADD COLUMN "tsv_en" "tsvector" GENERATED ALWAYS AS (to_tsvector('english'::regconfig, content) || to_tsvector('english'::regconfig, livchat_unaccent(content))) STORED NOT NULL;