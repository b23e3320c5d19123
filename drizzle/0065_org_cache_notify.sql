-- Every process caches per-organization settings read on every inbound message (src/db/org-cache.ts);
-- this tells them all which organization's settings of which table changed: payload `table:organization_id`.
-- The key column is the trigger's argument (default organization_id); `instance_id` is looked up in instances.
CREATE OR REPLACE FUNCTION livchat_org_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  r jsonb := CASE WHEN TG_OP = 'DELETE' THEN to_jsonb(OLD) ELSE to_jsonb(NEW) END;
  col text := COALESCE(TG_ARGV[0], 'organization_id');
  org text;
BEGIN
  IF col = 'instance_id' THEN
    SELECT organization_id::text INTO org FROM instances WHERE id = (r ->> 'instance_id')::uuid;
  ELSE
    org := r ->> col;
  END IF;
  IF org IS NOT NULL THEN
    PERFORM pg_notify('livchat_org_changed', TG_TABLE_NAME || ':' || org);
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER consent_settings_org_changed AFTER INSERT OR UPDATE OR DELETE ON consent_settings FOR EACH ROW EXECUTE FUNCTION livchat_org_changed();
--> statement-breakpoint
CREATE TRIGGER alert_settings_org_changed AFTER INSERT OR UPDATE OR DELETE ON alert_settings FOR EACH ROW EXECUTE FUNCTION livchat_org_changed();
--> statement-breakpoint
CREATE TRIGGER sentiment_settings_org_changed AFTER INSERT OR UPDATE OR DELETE ON sentiment_settings FOR EACH ROW EXECUTE FUNCTION livchat_org_changed();
--> statement-breakpoint
CREATE TRIGGER business_hours_org_changed AFTER INSERT OR UPDATE OR DELETE ON business_hours FOR EACH ROW EXECUTE FUNCTION livchat_org_changed();
--> statement-breakpoint
CREATE TRIGGER outages_org_changed AFTER INSERT OR UPDATE OR DELETE ON outages FOR EACH ROW EXECUTE FUNCTION livchat_org_changed();
--> statement-breakpoint
CREATE TRIGGER greeting_menus_org_changed AFTER INSERT OR UPDATE OR DELETE ON greeting_menus FOR EACH ROW EXECUTE FUNCTION livchat_org_changed();
--> statement-breakpoint
CREATE TRIGGER greeting_menu_options_org_changed AFTER INSERT OR UPDATE OR DELETE ON greeting_menu_options FOR EACH ROW EXECUTE FUNCTION livchat_org_changed('instance_id');
--> statement-breakpoint
CREATE TRIGGER departments_org_changed AFTER INSERT OR UPDATE OR DELETE ON departments FOR EACH ROW EXECUTE FUNCTION livchat_org_changed();
--> statement-breakpoint
-- Only what the cached readers use (business hours' zone): other organization updates notify nobody.
CREATE TRIGGER organizations_org_changed AFTER UPDATE ON organizations FOR EACH ROW
  WHEN (OLD.time_zone IS DISTINCT FROM NEW.time_zone OR OLD.language IS DISTINCT FROM NEW.language)
  EXECUTE FUNCTION livchat_org_changed('id');
--> statement-breakpoint
-- Whether a survey can be waiting for an answer: a new survey, one that changed state, one deleted.
CREATE TRIGGER satisfaction_feedback_org_changed_write AFTER INSERT OR DELETE ON satisfaction_feedback FOR EACH ROW EXECUTE FUNCTION livchat_org_changed();
--> statement-breakpoint
CREATE TRIGGER satisfaction_feedback_org_changed_state AFTER UPDATE ON satisfaction_feedback FOR EACH ROW
  WHEN (OLD.state IS DISTINCT FROM NEW.state)
  EXECUTE FUNCTION livchat_org_changed();
--> statement-breakpoint
-- Whether a notification can still be answered: one sent (or answered). The bulk insert of pending rows at a
-- declaration and the receipt updates notify nobody; a deletion can only leave fewer to answer (a stale
-- "yes" costs one no-op update until the TTL, never a missed response).
CREATE TRIGGER outage_notifications_org_changed_insert AFTER INSERT ON outage_notifications FOR EACH ROW
  WHEN (NEW.sent_at IS NOT NULL)
  EXECUTE FUNCTION livchat_org_changed();
--> statement-breakpoint
CREATE TRIGGER outage_notifications_org_changed_update AFTER UPDATE ON outage_notifications FOR EACH ROW
  WHEN (OLD.sent_at IS DISTINCT FROM NEW.sent_at OR OLD.responded_at IS DISTINCT FROM NEW.responded_at)
  EXECUTE FUNCTION livchat_org_changed();
