/**
 * Reports at volume for `bun run bench`: one organization with N conversations (1 M in full mode) spread
 * over a year, 4 departments, 20 agents and 2 instances, seeded in SQL with generate_series (contacts,
 * conversations, one cycle each; the rollup trigger is off during the bulk load and the rollup is rebuilt
 * once with the same SQL the tests compare the triggers against). Then the conversation report is asked
 * for a whole year by day, week and month, per agent / department / instance; p95 against < 500 ms.
 */
import { sql } from "drizzle-orm";
import { db, rowsOf } from "@/db/client";
import { conversationReport, rebuildRollup } from "@/features/reports/reports.service";
import { systemCaller } from "@/lib/caller";
import { percentile, round } from "./lib";
import type { BenchRow } from "./rows";

export async function reportRows(
  createOrganization: (name: string) => Promise<{ id: string }>,
  conversations: number,
): Promise<Omit<BenchRow, "ratio" | "pass">[]> {
  const org = await createOrganization("Bench reports");
  const [instanceA] = rowsOf<{ id: string }>(await db.execute(sql`insert into instances (organization_id, name) values (${org.id}, 'Reports A') returning id`));
  const [instanceB] = rowsOf<{ id: string }>(await db.execute(sql`insert into instances (organization_id, name) values (${org.id}, 'Reports B') returning id`));
  const seedStart = performance.now();
  await db.execute(sql`
    insert into contacts (organization_id, phone, name)
    select ${org.id}::uuid, '+55119' || lpad(g::text, 8, '0'), 'Contato ' || g from generate_series(1, ${conversations}) g`);
  await db.execute(sql`
    insert into conversations (organization_id, instance_id, contact_id, status, created_at, last_message_at)
    select c.organization_id, case when row_number() over () % 2 = 0 then ${instanceA!.id}::uuid else ${instanceB!.id}::uuid end, c.id, 'resolved', now(), now()
    from contacts c where c.organization_id = ${org.id}`);
  await db.execute(sql`alter table conversation_cycles disable trigger conversation_cycles_rollup`);
  try {
    await db.execute(sql`
      insert into conversation_cycles (organization_id, conversation_id, instance_id, department_id, agent_user_id, day, started_at,
        first_response_at, first_response_by, human_replied, resolved_at, resolved_by)
      select v.organization_id, v.id, v.instance_id,
        ('00000000-0000-4000-8000-00000000000' || (n % 4))::uuid,
        ('00000000-0000-4000-9000-0000000000' || lpad((n % 20)::text, 2, '0'))::uuid,
        (s)::date, s, s + make_interval(secs => 30 + n % 600), case when n % 3 = 0 then 'bot' else 'human' end, n % 3 <> 0,
        s + make_interval(secs => 600 + n % 7200), case when n % 3 = 0 then 'bot' else 'human' end
      from (select v.*, row_number() over () as n from conversations v where v.organization_id = ${org.id}) v
      -- Spread over 360 days, so every cycle falls inside the 365-day window asked below in any time zone.
      cross join lateral (select now() - make_interval(secs => (v.n * 31104000 / ${conversations})::int) as s) t`);
  } finally {
    await db.execute(sql`alter table conversation_cycles enable trigger conversation_cycles_rollup`);
  }
  await rebuildRollup(org.id);
  const seedSeconds = (performance.now() - seedStart) / 1000;
  const caller = systemCaller("bench", org.id);
  const today = new Date().toISOString().slice(0, 10);
  const from = new Date(Date.now() - 364 * 86_400_000).toISOString().slice(0, 10);
  const queries = [
    { bucket: "day" as const, groupBy: "agent" as const },
    { bucket: "week" as const, groupBy: "department" as const },
    { bucket: "month" as const, groupBy: "instance" as const },
    { bucket: "day" as const, groupBy: "none" as const },
  ];
  const samples: number[] = [];
  for (let i = 0; i < 40; i++) {
    const t0 = performance.now();
    const report = await conversationReport(caller, { from, to: today, ...queries[i % queries.length]! });
    samples.push(performance.now() - t0);
    if (i === 0 && report.totals.conversations !== conversations) throw new Error(`report counted ${report.totals.conversations} of ${conversations}`);
  }
  const p95 = round(percentile(samples, 0.95), 1);
  return [
    {
      scenario: "reports.conversations_p95",
      figure: p95,
      baseline: null,
      target: "< 500 ms",
      unit: "ms",
      baselineLabel: "—",
      detail: `${conversations} conversations over a year (seeded in ${round(seedSeconds, 1)} s); a year by day/week/month × agent/department/instance; median ${round(percentile(samples, 0.5), 1)} ms`,
    },
  ];
}
