-- Reports: conversation cycles and the daily rollup kept exact by triggers (src/db/schema/reports.ts).
-- Triggers, not application hooks, so every path that writes messages or conversations is counted once.

-- The day of `at` in the organization's time zone (the report bucket).
CREATE OR REPLACE FUNCTION report_zone_day(org uuid, at timestamptz) RETURNS date LANGUAGE sql STABLE AS $$
  SELECT (at AT TIME ZONE coalesce((SELECT time_zone FROM organizations WHERE id = org), 'America/Sao_Paulo'))::date
$$;--> statement-breakpoint

-- Adds a signed contribution to one rollup bucket. Skipped for an organization being deleted (cascades).
CREATE OR REPLACE FUNCTION report_rollup_add(p_org uuid, p_day date, p_department uuid, p_agent uuid, p_instance uuid, p_sign integer,
  p_conversations integer, p_first_responses integer, p_first_response_seconds double precision, p_resolved integer, p_bot_resolved integer,
  p_human_resolved integer, p_resolution_seconds double precision, p_nps_answers integer, p_nps_sum integer, p_promoters integer, p_detractors integer)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM organizations WHERE id = p_org) THEN RETURN; END IF;
  INSERT INTO report_daily AS r (organization_id, day, department_id, agent_user_id, instance_id, conversations, first_responses,
    first_response_seconds, resolved, bot_resolved, human_resolved, resolution_seconds, nps_answers, nps_sum, promoters, detractors)
  VALUES (p_org, p_day, p_department, p_agent, p_instance, p_sign * p_conversations, p_sign * p_first_responses, p_sign * p_first_response_seconds,
    p_sign * p_resolved, p_sign * p_bot_resolved, p_sign * p_human_resolved, p_sign * p_resolution_seconds, p_sign * p_nps_answers,
    p_sign * p_nps_sum, p_sign * p_promoters, p_sign * p_detractors)
  ON CONFLICT (organization_id, day, department_id, agent_user_id, instance_id) DO UPDATE SET
    conversations = r.conversations + excluded.conversations,
    first_responses = r.first_responses + excluded.first_responses,
    first_response_seconds = r.first_response_seconds + excluded.first_response_seconds,
    resolved = r.resolved + excluded.resolved,
    bot_resolved = r.bot_resolved + excluded.bot_resolved,
    human_resolved = r.human_resolved + excluded.human_resolved,
    resolution_seconds = r.resolution_seconds + excluded.resolution_seconds,
    nps_answers = r.nps_answers + excluded.nps_answers,
    nps_sum = r.nps_sum + excluded.nps_sum,
    promoters = r.promoters + excluded.promoters,
    detractors = r.detractors + excluded.detractors;
END $$;--> statement-breakpoint

CREATE OR REPLACE FUNCTION report_cycle_contribute(c conversation_cycles, p_sign integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM report_rollup_add(c.organization_id, c.day, c.department_id, c.agent_user_id, c.instance_id, p_sign,
    1,
    (c.first_response_at IS NOT NULL)::int,
    coalesce(extract(epoch FROM c.first_response_at - c.started_at), 0),
    (c.resolved_at IS NOT NULL)::int,
    (c.resolved_by IS NOT DISTINCT FROM 'bot')::int,
    (c.resolved_by IS NOT DISTINCT FROM 'human')::int,
    coalesce(extract(epoch FROM c.resolved_at - c.started_at), 0),
    0, 0, 0, 0);
END $$;--> statement-breakpoint

CREATE OR REPLACE FUNCTION report_cycles_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN PERFORM report_cycle_contribute(OLD, -1); END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN PERFORM report_cycle_contribute(NEW, 1); END IF;
  RETURN NULL;
END $$;--> statement-breakpoint

CREATE TRIGGER conversation_cycles_rollup AFTER INSERT OR UPDATE OR DELETE ON conversation_cycles
  FOR EACH ROW EXECUTE FUNCTION report_cycles_rollup();--> statement-breakpoint

-- An NPS answer counts on the day it was given, under the conversation's department, agent and instance.
CREATE OR REPLACE FUNCTION report_feedback_contribute(f satisfaction_feedback, p_sign integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF f.nps_score IS NULL OR f.answered_at IS NULL THEN RETURN; END IF;
  PERFORM report_rollup_add(f.organization_id, report_zone_day(f.organization_id, f.answered_at), f.department_id, f.agent_user_id, f.instance_id,
    p_sign, 0, 0, 0, 0, 0, 0, 0, 1, f.nps_score, (f.nps_score >= 9)::int, (f.nps_score <= 6)::int);
END $$;--> statement-breakpoint

CREATE OR REPLACE FUNCTION report_feedback_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.nps_score IS NOT DISTINCT FROM NEW.nps_score AND OLD.answered_at IS NOT DISTINCT FROM NEW.answered_at
    AND OLD.department_id IS NOT DISTINCT FROM NEW.department_id AND OLD.agent_user_id IS NOT DISTINCT FROM NEW.agent_user_id
    AND OLD.instance_id IS NOT DISTINCT FROM NEW.instance_id THEN
    RETURN NULL;
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN PERFORM report_feedback_contribute(OLD, -1); END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN PERFORM report_feedback_contribute(NEW, 1); END IF;
  RETURN NULL;
END $$;--> statement-breakpoint

CREATE TRIGGER satisfaction_feedback_rollup AFTER INSERT OR UPDATE OR DELETE ON satisfaction_feedback
  FOR EACH ROW EXECUTE FUNCTION report_feedback_rollup();--> statement-breakpoint

-- Messages: the contact's message opens a cycle (unless the conversation is resolved: a survey answer);
-- the first outbound message that is not a note or a campaign is the cycle's first response.
CREATE OR REPLACE FUNCTION report_message_cycle() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  conv record;
  by_human boolean;
BEGIN
  IF NEW.is_private_note OR NEW.type = 'system' THEN RETURN NULL; END IF;
  IF NEW.direction = 'inbound' THEN
    SELECT c.instance_id, c.department_id, c.assigned_user_id, c.status INTO conv FROM conversations c WHERE c.id = NEW.conversation_id;
    IF conv.status IS NULL OR conv.status = 'resolved' THEN RETURN NULL; END IF;
    INSERT INTO conversation_cycles (organization_id, conversation_id, instance_id, department_id, agent_user_id, day, started_at)
    VALUES (NEW.organization_id, NEW.conversation_id, conv.instance_id, conv.department_id, conv.assigned_user_id,
      report_zone_day(NEW.organization_id, NEW.created_at), NEW.created_at)
    ON CONFLICT (conversation_id) WHERE resolved_at IS NULL DO NOTHING;
  ELSIF NEW.sent_by IS DISTINCT FROM 'campaign' THEN
    by_human := NEW.sent_by IN ('user', 'phone', 'api');
    UPDATE conversation_cycles SET
      first_response_at = coalesce(first_response_at, greatest(NEW.created_at, started_at)),
      first_response_by = coalesce(first_response_by, CASE WHEN by_human THEN 'human' ELSE 'bot' END),
      human_replied = human_replied OR coalesce(by_human, false)
    WHERE conversation_id = NEW.conversation_id AND resolved_at IS NULL
      AND (first_response_at IS NULL OR (coalesce(by_human, false) AND NOT human_replied));
  END IF;
  RETURN NULL;
END $$;--> statement-breakpoint

CREATE TRIGGER messages_report_cycle AFTER INSERT ON messages
  FOR EACH ROW WHEN (NEW.organization_id IS NOT NULL) EXECUTE FUNCTION report_message_cycle();--> statement-breakpoint

-- Conversations: resolving closes the open cycle (human-resolved when a person wrote or held it); a
-- resolution dated before the open cycle began puts back a reopening (a survey answer) and drops that
-- cycle; reopening opens one; assignment and department changes follow the open cycle.
CREATE OR REPLACE FUNCTION report_conversation_cycle() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  open_cycle conversation_cycles;
BEGIN
  SELECT * INTO open_cycle FROM conversation_cycles WHERE conversation_id = NEW.id AND resolved_at IS NULL;
  IF NEW.status = 'resolved' AND OLD.status <> 'resolved' THEN
    IF open_cycle.id IS NULL THEN RETURN NULL; END IF;
    IF NEW.resolved_at IS NOT NULL AND NEW.resolved_at < open_cycle.started_at THEN
      DELETE FROM conversation_cycles WHERE id = open_cycle.id;
    ELSE
      UPDATE conversation_cycles SET
        resolved_at = coalesce(NEW.resolved_at, now()),
        resolved_by = CASE WHEN human_replied OR OLD.handled_by = 'human' THEN 'human' ELSE 'bot' END,
        agent_user_id = coalesce(NEW.assigned_user_id, OLD.assigned_user_id, agent_user_id),
        department_id = coalesce(NEW.department_id, OLD.department_id, department_id)
      WHERE id = open_cycle.id;
    END IF;
  ELSIF NEW.status <> 'resolved' AND OLD.status = 'resolved' THEN
    INSERT INTO conversation_cycles (organization_id, conversation_id, instance_id, department_id, agent_user_id, day, started_at)
    VALUES (NEW.organization_id, NEW.id, NEW.instance_id, NEW.department_id, NEW.assigned_user_id, report_zone_day(NEW.organization_id, now()), now())
    ON CONFLICT (conversation_id) WHERE resolved_at IS NULL DO NOTHING;
  ELSIF open_cycle.id IS NOT NULL AND (NEW.assigned_user_id IS DISTINCT FROM OLD.assigned_user_id OR NEW.department_id IS DISTINCT FROM OLD.department_id
    OR NEW.instance_id IS DISTINCT FROM OLD.instance_id) THEN
    UPDATE conversation_cycles SET
      agent_user_id = coalesce(NEW.assigned_user_id, agent_user_id),
      department_id = coalesce(NEW.department_id, department_id),
      instance_id = NEW.instance_id
    WHERE id = open_cycle.id;
  END IF;
  RETURN NULL;
END $$;--> statement-breakpoint

CREATE TRIGGER conversations_report_cycle AFTER UPDATE OF status, assigned_user_id, department_id, instance_id ON conversations
  FOR EACH ROW WHEN (NEW.organization_id IS NOT NULL AND (OLD.status IS DISTINCT FROM NEW.status OR OLD.assigned_user_id IS DISTINCT FROM NEW.assigned_user_id
    OR OLD.department_id IS DISTINCT FROM NEW.department_id OR OLD.instance_id IS DISTINCT FROM NEW.instance_id))
  EXECUTE FUNCTION report_conversation_cycle();
