-- Custom migration. Before the AI SDK engine, an AI workflow's config.tools was a free-form array that
-- was stored but never sent to any model. It is now an object of switches and custom tool ids
-- (src/features/tools/tool.schema.ts); a stored array would make the workflow's next save fail with a
-- 422 on a field its owner never set through the new form. No behaviour depended on the array, so it is
-- removed; the workflow then has no tools until its owner turns some on.
UPDATE "workflows" SET "config" = "config" - 'tools' WHERE jsonb_typeof("config"->'tools') = 'array';
