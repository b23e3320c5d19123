-- The delivery worker caches each organization's active endpoints (src/workers/delivery.worker.ts: a
-- notification of new events needs no claim when all of them are already being served here). An
-- endpoint created, removed, paused or resumed (by hand or by auto-disable) evicts that cache on every
-- process. Other updates (failing_since on every failed batch, a rename) do not fire.
CREATE TRIGGER webhooks_org_changed_write AFTER INSERT OR DELETE ON webhooks FOR EACH ROW EXECUTE FUNCTION livchat_org_changed();
--> statement-breakpoint
CREATE TRIGGER webhooks_org_changed_active AFTER UPDATE OF active ON webhooks FOR EACH ROW
  WHEN (OLD.active IS DISTINCT FROM NEW.active) EXECUTE FUNCTION livchat_org_changed();
