-- Reports' message trigger per statement instead of per row (issue 21). Profiled under the inbound
-- bench, the row trigger was ~15 % of Postgres CPU: each inbound message ran a plpgsql call, two SPI
-- statements, and report_zone_day, an SQL function with a subquery that Postgres cannot inline, so it
-- parsed and planned its body again on every call. Now one statement-level trigger reads the inserted
-- rows from a transition table and runs two set-based statements for the whole insert, and
-- report_zone_day is plpgsql, whose plan is cached per session. What is counted does not change.

CREATE OR REPLACE FUNCTION report_zone_day(org uuid, at timestamptz) RETURNS date LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN (at AT TIME ZONE coalesce((SELECT time_zone FROM organizations WHERE id = org), 'America/Sao_Paulo'))::date;
END $$;--> statement-breakpoint

-- The contact's message opens a cycle on its open conversation (a resolved one is a survey answer: no
-- cycle); the first outbound message that is not a note, a system line or a campaign is the open
-- cycle's first response, and a person's reply marks it human-replied. Rows of one statement are taken
-- in insertion order; inbound before outbound when one statement holds both for a conversation (an
-- inbound batch with an echo of the business's phone), so the echo answers the message beside it.
CREATE OR REPLACE FUNCTION report_message_cycles() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO conversation_cycles (organization_id, conversation_id, instance_id, department_id, agent_user_id, day, started_at)
  SELECT DISTINCT ON (m.conversation_id) m.organization_id, m.conversation_id, c.instance_id, c.department_id, c.assigned_user_id,
    report_zone_day(m.organization_id, m.created_at), m.created_at
  FROM (SELECT n.*, row_number() OVER () AS ord FROM new_messages n) m
  JOIN conversations c ON c.id = m.conversation_id
  WHERE m.organization_id IS NOT NULL AND m.direction = 'inbound' AND NOT m.is_private_note AND m.type <> 'system' AND c.status <> 'resolved'
  ORDER BY m.conversation_id, m.ord
  ON CONFLICT (conversation_id) WHERE resolved_at IS NULL DO NOTHING;

  UPDATE conversation_cycles cc SET
    first_response_at = coalesce(cc.first_response_at, greatest(r.first_at, cc.started_at)),
    first_response_by = coalesce(cc.first_response_by, CASE WHEN r.first_by_human THEN 'human' ELSE 'bot' END),
    human_replied = cc.human_replied OR r.any_human
  FROM (
    SELECT m.conversation_id, (array_agg(m.created_at ORDER BY m.ord))[1] AS first_at,
      (array_agg(m.by_human ORDER BY m.ord))[1] AS first_by_human, bool_or(m.by_human) AS any_human
    FROM (
      SELECT n.conversation_id, n.created_at, coalesce(n.sent_by IN ('user', 'phone', 'api'), false) AS by_human, row_number() OVER () AS ord
      FROM new_messages n
      WHERE n.organization_id IS NOT NULL AND n.direction <> 'inbound' AND NOT n.is_private_note AND n.type <> 'system'
        AND n.sent_by IS DISTINCT FROM 'campaign'
    ) m
    GROUP BY m.conversation_id
  ) r
  WHERE cc.conversation_id = r.conversation_id AND cc.resolved_at IS NULL
    AND (cc.first_response_at IS NULL OR (r.any_human AND NOT cc.human_replied));
  RETURN NULL;
END $$;--> statement-breakpoint

DROP TRIGGER IF EXISTS messages_report_cycle ON messages;--> statement-breakpoint
DROP FUNCTION IF EXISTS report_message_cycle();--> statement-breakpoint

CREATE TRIGGER messages_report_cycles AFTER INSERT ON messages REFERENCING NEW TABLE AS new_messages
  FOR EACH STATEMENT EXECUTE FUNCTION report_message_cycles();
