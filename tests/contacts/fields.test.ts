import { beforeAll, describe, expect, test } from "bun:test";
import { createApp } from "@/app";
import { formatDocument, parseDocument, coerceCustomValue } from "@/features/contacts/contact-fields";
import { api } from "../helpers/client";
import { createMember, setupOrg, signIn } from "../helpers/factories";

const app = createApp();
let org: Awaited<ReturnType<typeof setupOrg>>;
let other: Awaited<ReturnType<typeof setupOrg>>;

beforeAll(async () => {
  org = await setupOrg(app, { orgName: "Fields A" });
  other = await setupOrg(app, { orgName: "Fields B" });
});

describe("CPF/CNPJ", () => {
  test("valid ones with or without the mask are stored as digits with their type", () => {
    expect(parseDocument("529.982.247-25")).toEqual({ document: "52998224725", documentType: "cpf" });
    expect(parseDocument("52998224725")).toEqual({ document: "52998224725", documentType: "cpf" });
    expect(parseDocument("11.222.333/0001-81")).toEqual({ document: "11222333000181", documentType: "cnpj" });
    expect(formatDocument("52998224725")).toBe("529.982.247-25");
    expect(formatDocument("11222333000181")).toBe("11.222.333/0001-81");
  });
  test("wrong check digits, repeated digits, wrong lengths and letters are refused", () => {
    expect(parseDocument("529.982.247-26")).toBeNull();
    expect(parseDocument("111.111.111-11")).toBeNull();
    expect(parseDocument("11.222.333/0001-82")).toBeNull();
    expect(parseDocument("1234567")).toBeNull();
    expect(parseDocument("5299822472X")).toBeNull();
  });
  test("custom values are coerced by type", () => {
    expect(coerceCustomValue("number", "1.234,50")).toBe(1234.5);
    expect(coerceCustomValue("number", "abc")).toBeUndefined();
    expect(coerceCustomValue("date", "31/12/2026")).toBe("2026-12-31");
    expect(coerceCustomValue("date", "2026-02-31")).toBeUndefined();
    expect(coerceCustomValue("boolean", "sim")).toBe(true);
    expect(coerceCustomValue("boolean", "talvez")).toBeUndefined();
  });
});

describe("/v1 contact fields", () => {
  test("create, read, update and clear every field; documents unique per organization", async () => {
    const created = await api(app, "POST", "/v1/contacts", org.key, {
      phone: "+5511988880001",
      name: "Rita",
      document: "529.982.247-25",
      email: " Rita@Example.COM ",
      address: "Av. Paulista, 1000",
      city: "São Paulo",
      state: "sp",
      zipCode: "01310-100",
      notes: "Prefere WhatsApp",
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      document: "52998224725",
      documentType: "cpf",
      documentFormatted: "529.982.247-25",
      email: "rita@example.com",
      city: "São Paulo",
      state: "SP",
      zipCode: "01310100",
      notes: "Prefere WhatsApp",
    });
    const dup = await api(app, "POST", "/v1/contacts", org.key, { phone: "+5511988880002", document: "52998224725" });
    expect(dup.status).toBe(409);
    expect(dup.body.error.details[0].path).toBe("document");
    // Another organization may hold the same person's document.
    expect((await api(app, "POST", "/v1/contacts", other.key, { phone: "+5511988880002", document: "52998224725" })).status).toBe(201);

    const patched = await api(app, "PATCH", `/v1/contacts/${created.body.id}`, org.key, { document: "11.222.333/0001-81", email: "", state: "" });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ document: "11222333000181", documentType: "cnpj", email: null, state: null, city: "São Paulo" });
  });

  test("422 names the field for a bad document, email, UF or CEP", async () => {
    for (const [field, value] of [
      ["document", "529.982.247-26"],
      ["email", "not-an-email"],
      ["state", "XX"],
      ["zipCode", "1234"],
    ] as const) {
      const res = await api(app, "POST", "/v1/contacts", org.key, { phone: "+5511988880009", [field]: value });
      expect(res.status).toBe(422);
      expect(res.body.error.details.map((d: any) => d.path)).toContain(field);
    }
  });

  test("custom field definitions: values validated by type, filterable, deleted with the definition", async () => {
    const plan = await api(app, "POST", "/v1/contact-fields", org.key, { key: "plano", label: "Plano", type: "text" });
    expect(plan.status).toBe(201);
    const due = await api(app, "POST", "/v1/contact-fields", org.key, { key: "vencimento", label: "Vencimento", type: "date" });
    expect(due.status).toBe(201);
    expect((await api(app, "POST", "/v1/contact-fields", org.key, { key: "plano", label: "x", type: "text" })).status).toBe(409);
    expect((await api(app, "POST", "/v1/contact-fields", org.key, { key: "Bad Key", label: "x", type: "text" })).status).toBe(422);
    expect((await api(app, "POST", "/v1/contact-fields", org.key, { key: "x", label: "x", type: "color" })).status).toBe(422);

    const c = await api(app, "POST", "/v1/contacts", org.key, { phone: "+5511988880010", customFields: { plano: "ouro", vencimento: "10/01/2027" } });
    expect(c.status).toBe(201);
    expect(c.body.customFields).toEqual({ plano: "ouro", vencimento: "2027-01-10" });
    const badType = await api(app, "PATCH", `/v1/contacts/${c.body.id}`, org.key, { customFields: { vencimento: "amanhã" } });
    expect(badType.status).toBe(422);
    expect(badType.body.error.details[0].path).toBe("customFields.vencimento");
    const unknown = await api(app, "PATCH", `/v1/contacts/${c.body.id}`, org.key, { customFields: { cor: "azul" } });
    expect(unknown.status).toBe(422);
    // Another organization's definitions do not exist for this one.
    expect((await api(app, "POST", "/v1/contacts", other.key, { phone: "+5511988880010", customFields: { plano: "ouro" } })).status).toBe(422);

    const list = await api(app, "GET", "/v1/contacts?custom=plano:ouro&city=", org.key);
    expect(list.status).toBe(200);
    expect(list.body.data.map((x: any) => x.id)).toEqual([c.body.id]);
    const byCity = await api(app, "GET", "/v1/contacts?city=s%C3%A3o%20paulo", org.key);
    expect(byCity.body.data.length).toBe(1);
    const byDoc = await api(app, "GET", "/v1/contacts?document=11.222.333%2F0001-81", org.key);
    expect(byDoc.body.data.length).toBe(1);

    expect((await api(app, "DELETE", `/v1/contact-fields/${plan.body.id}`, other.key)).status).toBe(404);
    expect((await api(app, "DELETE", `/v1/contact-fields/${plan.body.id}`, org.key)).status).toBe(204);
    const after = await api(app, "GET", `/v1/contacts/${c.body.id}`, org.key);
    expect(after.body.customFields).toEqual({ vencimento: "2027-01-10" });
    const defs = await api(app, "GET", "/v1/contact-fields", org.key);
    expect(defs.body.data.map((d: any) => d.key)).toEqual(["vencimento"]);
  });
});

describe("contact page", () => {
  test("edits the fields, shows the document formatted and a wrong CEP on its field; agents cannot define fields", async () => {
    await api(app, "POST", "/v1/contact-fields", org.key, { key: "vip_desde", label: "VIP desde", type: "date" });
    const c = await api(app, "POST", "/v1/contacts", org.key, { phone: "+5511988880020", name: "Page" });
    let res = await org.client.postForm(
      `/contacts/${c.body.id}`,
      { name: "Page", tags: "", document: "52998224725", zipCode: "123", state: "RJ", "customFields.vip_desde": "2026-01-02" },
      { htmx: true },
    );
    expect(res.status).toBe(422);
    expect(await res.text()).toContain("8 digits");
    res = await org.client.postForm(`/contacts/${c.body.id}`, {
      name: "Page",
      tags: "",
      document: "",
      zipCode: "20040-020",
      city: "Rio de Janeiro",
      state: "RJ",
      email: "p@example.com",
      "customFields.vip_desde": "2026-01-02",
    });
    expect(res.status).toBeLessThan(400);
    const page = await (await org.client.get(`/contacts/${c.body.id}`)).text();
    expect(page).toContain("20040-020");
    expect(page).toContain("2026-01-02");
    expect(page).toContain("Rio de Janeiro");

    const agent = await createMember(org.organization.id, "agent");
    const agentClient = await signIn(app, agent.id, org.organization.id);
    expect((await agentClient.postForm("/contacts/fields", { key: "x", label: "X", type: "text" })).status).toBe(403);
    // Agents still edit the values.
    res = await agentClient.postForm(`/contacts/${c.body.id}`, { name: "Page", tags: "", city: "Niterói", state: "RJ" });
    expect(res.status).toBeLessThan(400);
  });
});
