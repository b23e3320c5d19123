ALTER TABLE "webhook_cursors" ADD COLUMN "floor_expires_on" date;--> statement-breakpoint
ALTER TABLE "webhook_cursors" ADD COLUMN "retention_changed_at" timestamp with time zone;--> statement-breakpoint
-- A cursor's floor (issue 21): events are partitioned by expires_on (their day + the organization's
-- retention), and a cursor read without a bound on it reads every partition — 35 index descents and
-- their locks with a month of history. Events after a cursor expire no earlier than the last delivered
-- one minus two days (an event-writing transaction open longer than that, across a UTC day, is not
-- expected), as long as the retention did not change meanwhile; delivery.cursor.ts raises the floor as
-- the cursor advances, only from events written four days after the last change it knows of. A change
-- of the organization's retention clears the floor of its cursors here, in the changing transaction, so
-- no read after it skips an event written with the new (maybe shorter) retention.
CREATE OR REPLACE FUNCTION livchat_retention_resets_cursor_floors() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  org uuid := CASE WHEN TG_OP = 'DELETE' THEN OLD.organization_id ELSE NEW.organization_id END;
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.events_days IS NOT DISTINCT FROM OLD.events_days THEN RETURN NULL; END IF;
  UPDATE webhook_cursors c SET floor_expires_on = NULL, retention_changed_at = now()
  FROM webhooks w WHERE w.id = c.webhook_id AND w.organization_id = org;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER organization_retention_cursor_floors AFTER INSERT OR UPDATE OR DELETE ON organization_retention
  FOR EACH ROW EXECUTE FUNCTION livchat_retention_resets_cursor_floors();
--> statement-breakpoint
-- A new cursor knows when its organization's retention last changed (no floor until events written four days after).
CREATE OR REPLACE FUNCTION livchat_webhook_cursor_at_head() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO webhook_cursors (webhook_id, tx_id, event_id, retention_changed_at)
  VALUES (NEW.id, pg_current_xact_id(), '00000000-0000-0000-0000-000000000000',
    (SELECT r.updated_at FROM organization_retention r WHERE r.organization_id = NEW.organization_id))
  ON CONFLICT (webhook_id) DO NOTHING;
  RETURN NULL;
END
$$;
--> statement-breakpoint
UPDATE webhook_cursors c SET retention_changed_at = r.updated_at
FROM webhooks w JOIN organization_retention r ON r.organization_id = w.organization_id
WHERE w.id = c.webhook_id;
