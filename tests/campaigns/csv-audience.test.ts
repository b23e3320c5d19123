import { expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { and, asc, eq } from "drizzle-orm";
import { db } from "@/db/client";
import { campaignTargets, contactImports, contacts } from "@/db/schema";
import { processDueImports } from "@/features/contacts/contact-import.service";
import { generateContactsCsv } from "../bench/contacts-import";
import { api } from "../helpers/client";
import { setupOrg } from "../helpers/factories";
import { app, baseCampaign, sendingNumber } from "./helpers";

async function uploadFile(key: string, path: string) {
  const form = new FormData();
  form.append("file", Bun.file(path, { type: "text/csv" }), "clientes.csv");
  const res = await app.handle(new Request("http://localhost/v1/contact-imports", { method: "POST", headers: { authorization: `Bearer ${key}` }, body: form }));
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; mapping: Record<string, string>; status: string };
}

async function targetsOf(campaignId: string) {
  return db
    .select({ contactId: campaignTargets.contactId, position: campaignTargets.position, variables: campaignTargets.variables, phone: contacts.phone })
    .from(campaignTargets)
    .innerJoin(contacts, eq(contacts.id, campaignTargets.contactId))
    .where(eq(campaignTargets.campaignId, campaignId))
    .orderBy(asc(campaignTargets.position));
}

test("an inline CSV audience goes through the contacts import: deduplicated by identity, variables kept, rejected lines are a 422 and no campaign", async () => {
  const org = await setupOrg(app);
  const number = await sendingNumber(org.organization.id, 30, new Date());
  const known = await api(app, "POST", "/v1/contacts", org.key, { phone: "+5511977001001", name: "Já cliente" });
  const csv = [
    "Telefone;Nome;Plano",
    "(11) 97700-1001;Ana;Ouro",
    "+55 11 97700-1002;Bruno;Prata",
    "11977001002;Bruno de novo;Bronze",
    "5511977001003;Carla;Ouro",
  ].join("\n");
  const created = await api(app, "POST", "/v1/campaigns", org.key, baseCampaign([number.id], csv));
  expect(created.status).toBe(201);
  expect(created.body.audienceSource).toBe("csv");
  const importId = created.body.audienceImportId as string;
  expect(importId).toBeTruthy();
  // The import is an ordinary one of the organization: counted, audited, its report reachable.
  const imp = await api(app, "GET", `/v1/contact-imports/${importId}`, org.key);
  expect(imp.body).toMatchObject({ status: "done", rowsRead: 4, created: 2, updated: 2, rejected: 0 });
  expect(imp.body.mapping).toEqual({ "0": "phone", "1": "name" });

  const targets = await targetsOf(created.body.id);
  // One target per person; the first row of a phone gives its variables (lower-cased headers, the phone's left out).
  expect(targets.map((t) => t.phone)).toEqual(["+5511977001001", "+5511977001002", "+5511977001003"]);
  expect(targets[0]!.contactId).toBe(known.body.id);
  expect(targets.map((t) => t.variables)).toEqual([
    { nome: "Ana", plano: "Ouro" },
    { nome: "Bruno", plano: "Prata" },
    { nome: "Carla", plano: "Ouro" },
  ]);
  const preview = await api(app, "GET", `/v1/campaigns/${created.body.id}/preview?limit=3`, org.key);
  expect(preview.body.data.map((p: { body: string }) => p.body)).toEqual(["Oi Ana, A Ouro", "Olá Bruno, B Prata", "E aí Carla, C Ouro"]);

  // A line the import rejects fails the audience, naming the line and the reason, and creates no campaign.
  const before = (await api(app, "GET", "/v1/campaigns", org.key)).body.data.length;
  const bad = await api(app, "POST", "/v1/campaigns", org.key, baseCampaign([number.id], "telefone,nome\n+5511977001004,Davi\n123,Eva\n,Fábio\n"));
  expect(bad.status).toBe(422);
  expect(bad.body.error.details).toEqual([{ path: "audience.csv", message: "Rejected lines: 3 (invalid phone), 4 (no phone)" }]);
  expect((await api(app, "GET", "/v1/campaigns", org.key)).body.data.length).toBe(before);
  const noPhone = await api(app, "POST", "/v1/campaigns", org.key, baseCampaign([number.id], "nome,plano\nAna,Ouro\n"));
  expect(noPhone.status).toBe(422);
  expect(noPhone.body.error.details[0]).toMatchObject({ path: "audience.csv", message: "The CSV needs a phone, telefone, celular or whatsapp column" });
  const pt = await api(app, "POST", "/v1/campaigns", org.key, baseCampaign([number.id], "telefone\n"), { "accept-language": "pt-BR" });
  expect(pt.status).toBe(422);
  expect(pt.body.error.details[0]).toMatchObject({ path: "audience", message: "O público está vazio" });
});

test("an import audience: a finished /v1/contact-imports upload of any size becomes the targets, a batch at a time, in file order", async () => {
  const org = await setupOrg(app);
  const other = await setupOrg(app);
  const number = await sendingNumber(org.organization.id, 30, new Date());
  expect((await api(app, "POST", "/v1/contact-fields", org.key, { key: "plano", label: "Plano", type: "text" })).status).toBe(201);
  const path = join(tmpdir(), `lc-csv-audience-${process.pid}.csv`);
  try {
    // 12 000 rows: 12 batches, people repeated across batches, rejected rows (bad phones, bad CPFs).
    const file = await generateContactsCsv(path, 12_000, 7);
    const up = await uploadFile(org.key, path);
    const body = (importId: string) => ({
      ...baseCampaign([number.id], ""),
      audience: { source: "import", importId },
      message: { body: "Oi {{nome}}, seu plano {{plano}} em {{cidade}}", variants: [], rotation: "sequential" },
    });

    // Not finished yet, another organization's, not an id: 422 on the field, in the caller's language.
    const early = await api(app, "POST", "/v1/campaigns", org.key, body(up.id));
    expect(early.status).toBe(422);
    expect(early.body.error.details).toEqual([
      { path: "audience.importId", message: "The import has not finished (waiting for the mapping); use it once it is done" },
    ]);
    expect((await api(app, "POST", `/v1/contact-imports/${up.id}/start`, org.key, { mapping: up.mapping })).status).toBe(202);
    expect(await processDueImports()).toBe(1);
    const otherNumber = await sendingNumber(other.organization.id, 30, new Date());
    const foreign = await api(app, "POST", "/v1/campaigns", other.key, { ...body(up.id), instanceIds: [otherNumber.id] }, { "accept-language": "pt-BR" });
    expect(foreign.status).toBe(422);
    expect(foreign.body.error.details).toEqual([{ path: "audience.importId", message: "Importação de contatos não encontrada" }]);
    const notId = await api(app, "POST", "/v1/campaigns", org.key, body("nope"));
    expect(notId.status).toBe(422);
    expect(notId.body.error.details[0].path).toBe("audience.importId");

    const created = await api(app, "POST", "/v1/campaigns", org.key, body(up.id));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ audienceSource: "import", audienceImportId: up.id, status: "draft" });
    // Exactly the people the file accepted: repeated ones once, rejected rows never.
    expect((await api(app, "GET", `/v1/campaigns/${created.body.id}/progress`, org.key)).body).toMatchObject({
      total: file.expected.created,
      states: { pending: file.expected.created },
    });
    const targets = await targetsOf(created.body.id);
    expect(new Set(targets.map((t) => t.contactId)).size).toBe(file.expected.created);
    const inBook = await db.select({ id: contacts.id }).from(contacts).where(eq(contacts.organizationId, org.organization.id));
    expect(new Set(inBook.map((c) => c.id))).toEqual(new Set(targets.map((t) => t.contactId)));
    // File order, each with its row's columns as variables (the first row of a repeated person).
    expect(new Set(targets.map((t) => t.position)).size).toBe(targets.length);
    expect(Object.keys(targets[0]!.variables).sort()).toEqual(
      ["cep", "cidade", "cpf", "e-mail", "endereço", "nome", "plano", "uf"].filter((k) => k in targets[0]!.variables),
    );
    expect(targets.every((t) => !("telefone" in t.variables) && typeof t.variables.nome === "string" && typeof t.variables.cidade === "string")).toBe(true);
    const [first] = targets;
    const preview = await api(app, "GET", `/v1/campaigns/${created.body.id}/preview?limit=1`, org.key);
    expect(preview.body.data[0].body).toBe(`Oi ${first!.variables.nome}, seu plano ${first!.variables.plano} em ${first!.variables.cidade}`);

    // The import stays the report of the rows left out.
    const [imp] = await db
      .select()
      .from(contactImports)
      .where(and(eq(contactImports.id, up.id), eq(contactImports.organizationId, org.organization.id)));
    expect(imp).toMatchObject({ status: "done", rejected: file.expected.rejected, created: file.expected.created });
  } finally {
    rmSync(path, { force: true });
  }
}, 180_000);

test("an import row whose phone is new but whose CPF is a contact's targets that contact (found as the import found it)", async () => {
  const org = await setupOrg(app);
  const number = await sendingNumber(org.organization.id, 30, new Date());
  const byDocument = await api(app, "POST", "/v1/contacts", org.key, { phone: "+5511977002001", document: "529.982.247-25", name: "Dona" });
  expect(byDocument.status).toBe(201);
  const path = join(tmpdir(), `lc-csv-audience-doc-${process.pid}.csv`);
  try {
    await Bun.write(path, "telefone,cpf,nome\n+5511977002999,52998224725,Dona Nova\n+5511977002002,,Zé\n");
    const up = await uploadFile(org.key, path);
    await api(app, "POST", `/v1/contact-imports/${up.id}/start`, org.key, { mapping: up.mapping });
    await processDueImports();
    const created = await api(app, "POST", "/v1/campaigns", org.key, { ...baseCampaign([number.id], ""), audience: { source: "import", importId: up.id } });
    expect(created.status).toBe(201);
    const targets = await targetsOf(created.body.id);
    expect(targets.map((t) => t.contactId)[0]).toBe(byDocument.body.id);
    expect(targets.map((t) => t.phone)).toEqual(["+5511977002001", "+5511977002002"]);
    expect(targets[0]!.variables).toEqual({ cpf: "52998224725", nome: "Dona Nova" });
  } finally {
    rmSync(path, { force: true });
  }
});
