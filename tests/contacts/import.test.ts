import { beforeAll, describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { parse } from "csv-parse/sync";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { contactImports, contacts } from "@/db/schema";
import { processDueImports } from "@/features/contacts/contact-import.service";
import { subscribeLive } from "@/lib/live";
import { liveTopics } from "@/lib/live-topics";
import { api } from "../helpers/client";
import { createApiKey } from "@/features/api-keys/api-key.service";
import { setupOrg } from "../helpers/factories";
import { waitFor } from "../helpers/wait";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rmSync } from "node:fs";
import { contactImportChunks } from "@/db/schema";
import { IMPORT_LIMITS } from "@/features/contacts/contact-import.service";
import { generateContactsCsv } from "../bench/contacts-import";

const app = createApp();
let org: Awaited<ReturnType<typeof setupOrg>>;
let other: Awaited<ReturnType<typeof setupOrg>>;

beforeAll(async () => {
  org = await setupOrg(app, { orgName: "Import A" });
  other = await setupOrg(app, { orgName: "Import B" });
});

async function upload(key: string, csv: string, name = "contacts.csv") {
  const form = new FormData();
  form.append("file", new File([csv], name, { type: "text/csv" }));
  const res = await app.handle(
    new Request("http://localhost/v1/contact-imports", { method: "POST", headers: { authorization: `Bearer ${key}`, "accept-language": "en" }, body: form }),
  );
  return { status: res.status, body: (await res.json()) as any };
}

async function text(path: string, key: string) {
  const res = await app.handle(new Request(`http://localhost${path}`, { headers: { authorization: `Bearer ${key}`, "accept-language": "en" } }));
  return { status: res.status, text: await res.text(), type: res.headers.get("content-type") };
}

describe("CSV import", () => {
  test("preview and guessed mapping, then dedupe by phone (any notation) and document, rejects with line and reason, live progress", async () => {
    expect((await api(app, "POST", "/v1/contact-fields", org.key, { key: "plano", label: "Plano", type: "text" })).status).toBe(201);
    expect((await api(app, "POST", "/v1/contact-fields", org.key, { key: "limite", label: "Limite", type: "number" })).status).toBe(201);
    // An existing contact, known by phone; another known by document only.
    const known = await api(app, "POST", "/v1/contacts", org.key, { phone: "+5511977770001", name: "Antigo", tags: ["cliente"] });
    const byDoc = await api(app, "POST", "/v1/contacts", org.key, { phone: "+5511977770099", document: "11.222.333/0001-81" });
    const csv = [
      "Nome;Telefone;CPF/CNPJ;E-mail;Cidade;UF;CEP;Etiquetas;Plano;Limite",
      "Ana;(11) 97777-0001;529.982.247-25;ANA@EXAMPLE.COM;Campinas;sp;13010-000;vip, lead;ouro;1.500,50",
      'Bruno;+55 11 97777-0002;;bruno@example.com;"São Paulo";SP;;;prata;10',
      "Carla;11977770003;111.111.111-11;;;;;;;",
      "Dani;abc;;;;;;;;",
      "Edu;;;;;;;;;",
      "Empresa;5511977770004;11222333000181;;Santos;SP;;;;",
      "Fabi;11977770005;;;;XX;;;;",
      "Gabi;11977770006;;;;;123;;;",
      "Hugo;11977770007;;;;;;;;muito",
      "Bruno de novo;11 97777-0002;;;;;;novo;;",
      "Ivo;11977770008;529.982.247-25;;;;;;;",
    ].join("\n");
    const up = await upload(org.key, csv);
    expect(up.status).toBe(201);
    expect(up.body.headers).toEqual(["Nome", "Telefone", "CPF/CNPJ", "E-mail", "Cidade", "UF", "CEP", "Etiquetas", "Plano", "Limite"]);
    expect(up.body.preview.length).toBe(5);
    expect(up.body.preview[0][0]).toBe("Ana");
    expect(up.body.mapping).toEqual({
      "0": "name",
      "1": "phone",
      "2": "document",
      "3": "email",
      "4": "city",
      "5": "state",
      "6": "zipCode",
      "7": "tags",
      "8": "custom:plano",
      "9": "custom:limite",
    });
    expect(up.body.status).toBe("uploaded");

    // Another organization cannot read or start it; a mapping without a phone is refused.
    expect((await api(app, "GET", `/v1/contact-imports/${up.body.id}`, other.key)).status).toBe(404);
    expect((await api(app, "POST", `/v1/contact-imports/${up.body.id}/start`, other.key, { mapping: up.body.mapping })).status).toBe(404);
    const noPhone = await api(app, "POST", `/v1/contact-imports/${up.body.id}/start`, org.key, { mapping: { "0": "name" } });
    expect(noPhone.status).toBe(422);
    expect(noPhone.body.error.details[0].path).toBe("mapping");
    const dupField = await api(app, "POST", `/v1/contact-imports/${up.body.id}/start`, org.key, { mapping: { "0": "phone", "1": "phone" } });
    expect(dupField.status).toBe(422);

    const updates: any[] = [];
    const unsubscribe = await subscribeLive(liveTopics.contactImport(up.body.id), (data) => {
      updates.push(data);
    });
    const started = await api(app, "POST", `/v1/contact-imports/${up.body.id}/start`, org.key, { mapping: up.body.mapping });
    expect(started.status).toBe(202);
    expect(started.body.status).toBe("queued");
    expect((await api(app, "POST", `/v1/contact-imports/${up.body.id}/start`, org.key, { mapping: up.body.mapping })).status).toBe(409);
    expect(await processDueImports()).toBe(1);
    await waitFor(() => updates.some((u) => u.status === "done"));
    unsubscribe();

    const done = await api(app, "GET", `/v1/contact-imports/${up.body.id}`, org.key);
    expect(done.body).toMatchObject({ status: "done", rowsRead: 11, created: 1, updated: 3, rejected: 7 });
    expect(updates.at(-1)).toMatchObject({ status: "done", rowsRead: 11, created: 1, updated: 3, rejected: 7 });

    const all = await db.select().from(contacts).where(eq(contacts.organizationId, org.organization.id));
    const byPhone = new Map(all.map((c) => [c.phone, c]));
    // The known contact (written "(11) 97777-0001") was updated, its tags kept and added to.
    const ana = byPhone.get("+5511977770001")!;
    expect(ana.id).toBe(known.body.id);
    expect(ana).toMatchObject({ name: "Ana", document: "52998224725", email: "ana@example.com", city: "Campinas", state: "SP", zipCode: "13010000" });
    expect(ana.tags.sort()).toEqual(["cliente", "lead", "vip"]);
    expect(ana.customFields).toEqual({ plano: "ouro", limite: 1500.5 });
    // Bruno twice in the file in two notations: one contact, the later row's tag added.
    const bruno = byPhone.get("+5511977770002")!;
    expect(bruno.name).toBe("Bruno de novo");
    expect(bruno.city).toBe("São Paulo");
    expect(bruno.tags).toEqual(["novo"]);
    // The CNPJ already belonged to a contact: that contact was updated (same person), no new one.
    expect(byPhone.has("+5511977770004")).toBe(false);
    const company = all.find((c) => c.id === byDoc.body.id)!;
    expect(company).toMatchObject({ name: "Empresa", city: "Santos" });
    // Rejected rows wrote nothing: Hugo's bad number, Ivo's document taken by Ana.
    expect(byPhone.has("+5511977770007")).toBe(false);
    expect(byPhone.has("+5511977770008")).toBe(false);

    const report = await text(`/v1/contact-imports/${up.body.id}/rejects`, org.key);
    expect(report.status).toBe(200);
    expect(report.type).toContain("text/csv");
    const rows = parse(report.text, { bom: true }) as string[][];
    expect(rows[0]).toEqual(["line", "reason", "content"]);
    expect(rows.slice(1).map((r) => [r[0], r[1]])).toEqual([
      ["4", "invalid CPF/CNPJ"],
      ["5", "invalid phone"],
      ["6", "no phone"],
      ["8", "invalid UF"],
      ["9", "invalid CEP"],
      ["10", "invalid value for Limite"],
      ["12", "the CPF/CNPJ belongs to another contact"],
    ]);
    expect(rows.length - 1).toBe(done.body.rejected);
    expect((await text(`/v1/contact-imports/${up.body.id}/rejects`, other.key)).status).toBe(404);
  });

  test("a crashed import resumes from its checkpoint without writing a row twice", async () => {
    const lines = ["telefone,nome"];
    for (let i = 0; i < 2500; i++) lines.push(`+55 11 96${String(i).padStart(7, "0")},Pessoa ${i}`);
    const up = await upload(org.key, lines.join("\n"));
    await api(app, "POST", `/v1/contact-imports/${up.body.id}/start`, org.key, { mapping: up.body.mapping });
    // As if a process had committed the first batch and died: the checkpoint says 1000, the lease ran out.
    await processDueImports();
    const [finished] = await db.select().from(contactImports).where(eq(contactImports.id, up.body.id));
    expect(finished).toMatchObject({ status: "done", rowsRead: 2500, created: 2500, rejected: 0 });
    // Replay the tail as a resumed run would: reset to the first checkpoint and run again.
    await db
      .update(contactImports)
      .set({ status: "running", rowsRead: 1000, created: 1000, updated: 0, leaseUntil: null })
      .where(eq(contactImports.id, up.body.id));
    await processDueImports();
    const [again] = await db.select().from(contactImports).where(eq(contactImports.id, up.body.id));
    // Rows 1001..2500 met their contacts: updated, none created twice.
    expect(again).toMatchObject({ status: "done", rowsRead: 2500, created: 1000, updated: 1500 });
    const [{ n }] = (await db.execute(
      `select count(*)::int as n from contacts where organization_id = '${org.organization.id}' and name like 'Pessoa %'`,
    )) as unknown as [{ n: number }];
    expect(n).toBe(2500);
  });

  test("export streams every contact and imports back unchanged; roles and scopes", async () => {
    const exp = await text("/v1/contact-export", org.key);
    expect(exp.status).toBe(200);
    const rows = parse(exp.text, { bom: true, columns: true }) as Record<string, string>[];
    const ana = rows.find((r) => r.phone === "+5511977770001")!;
    expect(ana).toMatchObject({ name: "Ana", document: "529.982.247-25", cep: "13010-000", state: "SP", plano: "ouro", limite: "1500.5" });
    expect(rows.length).toBeGreaterThan(2500);

    // Round trip into another organization: the same contacts come out.
    await api(app, "POST", "/v1/contact-fields", other.key, { key: "plano", label: "Plano", type: "text" });
    await api(app, "POST", "/v1/contact-fields", other.key, { key: "limite", label: "Limite", type: "number" });
    const up = await upload(other.key, exp.text);
    expect(up.body.mapping["0"]).toBe("phone");
    await api(app, "POST", `/v1/contact-imports/${up.body.id}/start`, other.key, { mapping: up.body.mapping });
    await processDueImports();
    const back = parse((await text("/v1/contact-export", other.key)).text, { bom: true, columns: true }) as Record<string, string>[];
    const strip = (r: Record<string, string>): Record<string, string> => ({ ...r, created_at: "", last_interaction_at: "" });
    expect(back.map(strip).sort((a, b) => a.phone!.localeCompare(b.phone!))).toEqual(rows.map(strip).sort((a, b) => a.phone!.localeCompare(b.phone!)));

    const filtered = parse((await text("/v1/contact-export?city=Campinas", org.key)).text, { bom: true, columns: true }) as unknown[];
    expect(filtered.length).toBe(1);

    const { secret } = await createApiKey({ organizationId: org.organization.id, name: "ro", scopes: ["contacts:read"] });
    expect((await upload(secret, "telefone\n+5511977770001")).status).toBe(403);
    const notCsv = await api(app, "POST", "/v1/contact-imports", org.key, { file: "x" });
    expect(notCsv.status).toBe(422);
    expect(notCsv.body.error.details[0].path).toBe("file");
    void and;
  });
});

describe("CSV import at volume", () => {
  test("a 20 000-row file (over the 1 MB JSON body limit) is stored in 1 MiB chunks and written in batches of 1000, with exact counts", async () => {
    const big = await setupOrg(app, { orgName: "Import volume" });
    expect((await api(app, "POST", "/v1/contact-fields", big.key, { key: "plano", label: "Plano", type: "text" })).status).toBe(201);
    const path = join(tmpdir(), `lc-import-${process.pid}.csv`);
    try {
      // Brazilian rows as the bench generates them: five phone notations, valid and invalid CPFs, repeated people.
      const file = await generateContactsCsv(path, 20_000);
      expect(file.bytes).toBeGreaterThan(IMPORT_LIMITS.chunkBytes);
      const form = new FormData();
      form.append("file", Bun.file(path, { type: "text/csv" }), "clientes.csv");
      const res = await app.handle(
        new Request("http://localhost/v1/contact-imports", { method: "POST", headers: { authorization: `Bearer ${big.key}` }, body: form }),
      );
      expect(res.status).toBe(201);
      const up = (await res.json()) as { id: string; sizeBytes: number; mapping: Record<string, string> };
      expect(up.sizeBytes).toBe(file.bytes);
      expect(Object.values(up.mapping).sort()).toEqual(["address", "city", "custom:plano", "document", "email", "name", "phone", "state", "zipCode"]);

      // The file sits in pieces of about 1 MiB (never one row holding it all).
      const chunks = await db
        .select({ seq: contactImportChunks.seq, data: contactImportChunks.data })
        .from(contactImportChunks)
        .where(eq(contactImportChunks.importId, up.id));
      expect(chunks.length).toBe(Math.ceil(file.bytes / IMPORT_LIMITS.chunkBytes));
      expect(chunks.reduce((n, c) => n + c.data.byteLength, 0)).toBe(file.bytes);
      for (const c of chunks) expect(c.data.byteLength).toBeLessThanOrEqual(IMPORT_LIMITS.chunkBytes);

      const updates: { status: string; rowsRead: number }[] = [];
      const unsubscribe = await subscribeLive(liveTopics.contactImport(up.id), (data) => {
        updates.push(data as { status: string; rowsRead: number });
      });
      expect((await api(app, "POST", `/v1/contact-imports/${up.id}/start`, big.key, { mapping: up.mapping })).status).toBe(202);
      expect(await processDueImports()).toBe(1);
      await waitFor(() => updates.some((u) => u.status === "done"), { timeoutMs: 10_000 });
      unsubscribe();

      // One committed checkpoint per batch of 1000 rows: the job holds a batch at a time.
      const running = updates.filter((u) => u.status === "running");
      expect(running.map((u) => u.rowsRead)).toEqual(Array.from({ length: 20 }, (_, i) => (i + 1) * 1000));
      expect(updates.at(-1)).toMatchObject({ status: "done", rowsRead: 20_000 });
      const done = await api(app, "GET", `/v1/contact-imports/${up.id}`, big.key);
      expect(done.body).toMatchObject({ status: "done", rowsRead: 20_000, ...file.expected });
      expect(file.expected.created + file.expected.updated + file.expected.rejected).toBe(20_000);
      expect(file.expected.rejected).toBeGreaterThan(500);
      expect(file.expected.updated).toBeGreaterThan(500);
      const [{ n }] = (await db.execute(`select count(*)::int as n from contacts where organization_id = '${big.organization.id}'`)) as unknown as [
        { n: number },
      ];
      expect(n).toBe(file.expected.created);
      const report = parse((await text(`/v1/contact-imports/${up.id}/rejects`, big.key)).text, { bom: true }) as string[][];
      expect(report.length - 1).toBe(file.expected.rejected);
      expect(new Set(report.slice(1).map((r) => r[1]))).toEqual(new Set(["invalid phone", "no phone", "invalid CPF/CNPJ"]));
    } finally {
      rmSync(path, { force: true });
    }
  }, 180_000);
});
