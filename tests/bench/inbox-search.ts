/**
 * The inbox's full-text search for `bun run bench`: p95 of `GET /inbox/list?q=…` (the search results
 * fragment, Postgres FTS 'portuguese' over messages through the GIN index of migration 0032) on the
 * messages the page scenario seeded (1 M in full mode), a few of which are made Portuguese and mention
 * the searched word. The baseline is GET /ready (a database ping), as for the other page rows.
 */
import type postgres from "postgres";
import { percentile, round } from "./lib";
import type { BenchRow } from "./rows";

type SearchRow = Omit<BenchRow, "ratio" | "pass"> & { limit: number; lowerIsBetter: true };

/** One message in this many mentions a payment (in the plural or singular: the stems match both). */
const EVERY = 2_000;

export async function inboxSearchRow(opts: {
  sql: postgres.Sql;
  base: string;
  cookie: string;
  organizationId: string;
  messages: number;
  requests: number;
}): Promise<SearchRow> {
  const { sql } = opts;
  const updated = await sql`
    update messages set body = case when random() < 0.5 then 'Bom dia, quero confirmar os pagamentos do mês' else 'O pagamento do boleto foi feito ontem' end
    where organization_id = ${opts.organizationId} and provider_message_id like 'SEED-%'
      and (substring(provider_message_id from 6))::int % ${EVERY} = 0`;
  await sql`analyze messages`;
  const [plan] = await sql.unsafe(
    `explain select 1 from messages where to_tsvector('portuguese', coalesce(body, '')) @@ websearch_to_tsquery('portuguese', 'pagamentos')`,
  );
  const timed = async (path: string) => {
    const samples: number[] = [];
    for (let i = 0; i < opts.requests + 3; i++) {
      const t0 = performance.now();
      const res = await fetch(`${opts.base}${path}`, { headers: { cookie: opts.cookie } });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}: ${text.slice(0, 200)}`);
      if (path.includes("q=") && !text.includes("<mark>")) throw new Error(`GET ${path} found nothing`);
      if (i >= 3) samples.push(performance.now() - t0);
    }
    return samples;
  };
  const ready = await timed("/ready");
  const search = await timed("/inbox/list?status=all&q=pagamentos");
  const planLine = String(Object.values(plan ?? {})[0] ?? "");
  return {
    scenario: "inbox.search_p95",
    figure: percentile(search, 0.95),
    baseline: percentile(ready, 0.95),
    unit: "ms",
    baselineLabel: "GET /ready (database ping) p95 ms",
    target: "< 100 ms",
    limit: 100,
    lowerIsBetter: true,
    detail: `GET /inbox/list?q=pagamentos p50 ${round(percentile(search, 0.5), 1)} ms over ${opts.requests} requests; ${opts.messages.toLocaleString("en")} messages, ${updated.count.toLocaleString("en")} of them mention a payment; plan: ${planLine.trim()}`,
  };
}
