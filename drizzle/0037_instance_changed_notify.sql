-- Every process caches the instance a provider webhook names (src/features/inbound/inbound.webhooks.ts);
-- this tells them all when an instance changed or went away. The 15-second activity stamp
-- (instance-activity.ts) and updated_at alone do not count: they change nothing a webhook reads.
CREATE OR REPLACE FUNCTION livchat_instance_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('instance_changed', OLD.id::text);
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER instances_changed_delete AFTER DELETE ON instances FOR EACH ROW EXECUTE FUNCTION livchat_instance_changed();
--> statement-breakpoint
CREATE TRIGGER instances_changed_update AFTER UPDATE ON instances FOR EACH ROW
  WHEN ((to_jsonb(OLD) - 'last_activity_at' - 'updated_at') IS DISTINCT FROM (to_jsonb(NEW) - 'last_activity_at' - 'updated_at'))
  EXECUTE FUNCTION livchat_instance_changed();
