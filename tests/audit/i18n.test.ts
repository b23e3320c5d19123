// The audit log in the reader's language: action labels (stored codes unchanged), actor and target
// words, times in the organization's zone, date filters read on that clock, filter errors in Portuguese.
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { auditLogs, users } from "@/db/schema";
import { hasKey, LOCALES } from "@/lib/i18n";
import { createOwner, signIn } from "../helpers/factories";

const app = createApp();

async function portugueseOwner() {
  const owner = await createOwner();
  await db.update(users).set({ language: "pt-BR", timeZone: null }).where(eq(users.id, owner.user.id));
  return { ...owner, client: await signIn(app, owner.user.id, owner.organization.id) };
}

describe("audit log in Portuguese", () => {
  test("labels, actor and target words and São Paulo time (zone shown); the stored code stays visible", async () => {
    const { client, organization, user } = await portugueseOwner();
    await db.insert(auditLogs).values([
      {
        organizationId: organization.id,
        actorType: "user",
        actorId: user.id,
        action: "member.role_changed",
        targetType: "membership",
        targetId: user.id,
        at: new Date("2026-12-03T15:04:00Z"),
      },
      {
        organizationId: organization.id,
        actorType: "api_key",
        actorId: null,
        action: "webhook.secret_rotated",
        targetType: "webhook",
        at: new Date("2026-12-02T10:00:00Z"),
      },
      { organizationId: organization.id, actorType: "system", action: "custom.unlabelled", at: new Date("2026-12-01T10:00:00Z") },
      { organizationId: organization.id, actorType: "system", action: "member", at: new Date("2026-11-30T10:00:00Z") },
    ]);
    const html = await (await client.get("/audit")).text();
    expect(html).toContain("<h1>Registro de auditoria</h1>");
    expect(html).toContain("Papel de membro alterado");
    expect(html).toContain('<code class="audit-action muted small">member.role_changed</code>');
    expect(html).toContain("Segredo do webhook trocado");
    expect(html).toContain(">chave de API<");
    expect(html).toContain(`membro ${user.id}`);
    expect(html).toContain(">sistema<");
    // No label: the code alone.
    expect(html).toContain('<code class="audit-action">custom.unlabelled</code>');
    expect(html).toContain('<code class="audit-action">member</code>');
    expect(html).toMatch(/03\/12\/2026,? 12:04 (BRT|GMT-3)/);
    expect(html).toContain("De (America/Sao_Paulo)");
    expect(html).toContain('label="Papel de membro alterado"');
    expect(html).not.toContain("Member role changed");
  });

  test("date filters are whole days on the reader's clock, not UTC", async () => {
    const { client, organization, user } = await portugueseOwner();
    // 02:00 UTC on the 2nd is 23:00 on the 1st in São Paulo.
    await db
      .insert(auditLogs)
      .values({ organizationId: organization.id, actorType: "user", actorId: user.id, action: "member.removed", at: new Date("2026-02-02T02:00:00Z") });
    const first = await (await client.get("/audit?from=2026-02-01&to=2026-02-01")).text();
    expect(first).toContain(">member.removed</code>");
    const second = await (await client.get("/audit?from=2026-02-02&to=2026-02-02")).text();
    expect(second).not.toContain(">member.removed</code>");
  });

  test("invalid filters answer 422 in Portuguese", async () => {
    const { client } = await portugueseOwner();
    for (const [query, message] of [
      ["from=2026-13-01", "Use uma data (AAAA-MM-DD)"],
      ["from=2026-02-03&to=2026-02-01", "Deve ser igual ou posterior à data inicial"],
      ["actor=nobody", "Escolha um autor"],
      ["cursor=nope", "Cursor de página inválido"],
    ] as const) {
      const res = await client.get(`/audit?${query}`);
      expect(res.status).toBe(422);
      const html = await res.text();
      expect(html).toContain(message);
      expect(html).toContain("Corrija os filtros acima");
    }
  });
});

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : /\.tsx?$/.test(name) ? [path] : [];
  });
}

test("every audit action the code records has a label in both languages", () => {
  const root = join(import.meta.dir, "../../src/features");
  const actions = new Set<string>();
  for (const file of sources(root)) {
    const text = readFileSync(file, "utf8");
    if (!/recordAudit|auditChange|audit\(/.test(text)) continue;
    for (const m of text.matchAll(
      // Not a quoted key of an object (canned replies' `vars["contact.name"]` are template variables).
      /(?<!\[)"((?:account|announcement|api_key|auth|canned_reply|contact|conversation|department|device|greeting_menu|flow|instance|invitation|member|organization|registration|template|tool|trigger|usage|webhook|workflow)\.[a-z_]+)"/g,
    ))
      actions.add(m[1]!);
  }
  expect(actions.size).toBeGreaterThan(50);
  const missing = [...actions].flatMap((a) => LOCALES.filter((l) => !hasKey(`audit:actions.${a}`, l)).map((l) => `${a} (${l})`));
  expect(missing).toEqual([]);
});
