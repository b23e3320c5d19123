-- The free-text department names of conversations and memberships become departments rows (one per
-- organization and name, ignoring case; the first spelling seen wins), and conversations point at them.
INSERT INTO "departments" ("organization_id", "name")
SELECT DISTINCT ON ("organization_id", lower("name")) "organization_id", "name"
FROM (
  SELECT "organization_id", btrim("department") AS "name" FROM "conversations"
  WHERE "organization_id" IS NOT NULL AND "department" IS NOT NULL AND btrim("department") <> ''
  UNION ALL
  SELECT "organization_id", btrim(d) AS "name" FROM "memberships", unnest("departments") AS d
  WHERE btrim(d) <> ''
) AS "names"
ORDER BY "organization_id", lower("name"), "name"
ON CONFLICT DO NOTHING;
--> statement-breakpoint
UPDATE "conversations" c SET "department_id" = d."id"
FROM "departments" d
WHERE c."organization_id" = d."organization_id" AND c."department" IS NOT NULL AND lower(btrim(c."department")) = lower(d."name");
--> statement-breakpoint
INSERT INTO "department_members" ("department_id", "user_id", "organization_id")
SELECT DISTINCT d."id", m."user_id", m."organization_id"
FROM "memberships" m, unnest(m."departments") AS n, "departments" d
WHERE d."organization_id" = m."organization_id" AND lower(d."name") = lower(btrim(n))
ON CONFLICT DO NOTHING;
