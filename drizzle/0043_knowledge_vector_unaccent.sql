-- Knowledge base: accent folding and pgvector, each only where the database offers it (Postgres with or
-- without the contrib/pgvector packages, or the embedded PGlite with its extensions loaded).
-- livchat_unaccent is IMMUTABLE (unaccent() itself is only STABLE: it reads a dictionary by name), so
-- generated tsvector columns and their GIN indexes can use it; without the unaccent extension it folds the
-- Latin accents with translate(), which is immutable by nature.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'unaccent') THEN
    CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA public;
    EXECUTE $f$
      CREATE OR REPLACE FUNCTION public.livchat_unaccent(text) RETURNS text
      LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
      AS $body$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $body$
    $f$;
  ELSE
    EXECUTE $f$
      CREATE OR REPLACE FUNCTION public.livchat_unaccent(text) RETURNS text
      LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
      AS $body$ SELECT translate($1,
        'áàâãäåÁÀÂÃÄÅéèêëÉÈÊËíìîïÍÌÎÏóòôõöÓÒÔÕÖúùûüÚÙÛÜçÇñÑýÿÝ',
        'aaaaaaAAAAAAeeeeEEEEiiiiIIIIoooooOOOOOuuuuUUUUcCnNyyY') $body$
    $f$;
  END IF;
END
$$;
--> statement-breakpoint
-- pgvector: embeddings are also stored as `vector` (a column generated from the real[] one, so writers
-- keep one code path) and ranked with its `<=>`. Dimensions differ between organizations (each picks its
-- embeddings model) and may change when a model does, so the column has no fixed dimension and no ANN
-- index (HNSW/IVFFlat need one); searches are scoped to an organization's collections, an exact scan.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector') THEN
    CREATE EXTENSION IF NOT EXISTS vector WITH SCHEMA public;
    ALTER TABLE knowledge_chunks ADD COLUMN IF NOT EXISTS embedding_vector public.vector
      GENERATED ALWAYS AS (embedding::public.vector) STORED;
  END IF;
END
$$;
