-- The leads pipeline (novo, contatado, qualificado, convertido, perdido) replaces open/won/lost; a kept promise is now fulfilled.
UPDATE "sales_leads" SET "status" = CASE "status" WHEN 'open' THEN 'new' WHEN 'won' THEN 'converted' ELSE "status" END WHERE "status" IN ('open', 'won');--> statement-breakpoint
UPDATE "payment_promises" SET "status" = 'fulfilled' WHERE "status" = 'kept';
