-- Canned replies named their department by text; they now point at the department row, so a renamed
-- department keeps its replies. A name no department carries yet becomes one (as 0033 did for conversations).
INSERT INTO departments (organization_id, name)
SELECT DISTINCT c.organization_id, trim(c.department)
FROM canned_replies c
WHERE c.department IS NOT NULL AND trim(c.department) <> ''
  AND NOT EXISTS (SELECT 1 FROM departments d WHERE d.organization_id = c.organization_id AND lower(d.name) = lower(trim(c.department)))
ON CONFLICT DO NOTHING;
--> statement-breakpoint
UPDATE canned_replies c SET department_id = d.id
FROM departments d
WHERE c.department IS NOT NULL AND d.organization_id = c.organization_id AND lower(d.name) = lower(trim(c.department));
