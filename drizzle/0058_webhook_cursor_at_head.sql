-- Every endpoint has a cursor over the event log (src/features/webhooks/delivery.cursor.ts), made with it
-- whatever inserts the endpoint (the service, a seed, a test factory): at the head, i.e. after the
-- events of every transaction older than the one creating the endpoint. The nil uuid sorts before any
-- event id, so events recorded in the creating transaction itself are delivered too.
CREATE OR REPLACE FUNCTION livchat_webhook_cursor_at_head() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO webhook_cursors (webhook_id, tx_id, event_id)
  VALUES (NEW.id, pg_current_xact_id(), '00000000-0000-0000-0000-000000000000')
  ON CONFLICT (webhook_id) DO NOTHING;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER webhooks_cursor_at_head AFTER INSERT ON webhooks FOR EACH ROW EXECUTE FUNCTION livchat_webhook_cursor_at_head();
--> statement-breakpoint
-- Endpoints from before cursors: their events so far were fanned out into webhook_deliveries at record
-- time (those rows keep being served by the retry queue), so they start at the head as well.
INSERT INTO webhook_cursors (webhook_id, tx_id, event_id)
SELECT id, pg_current_xact_id(), '00000000-0000-0000-0000-000000000000' FROM webhooks
ON CONFLICT (webhook_id) DO NOTHING;
