import { beforeAll, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { contacts, users } from "@/db/schema";
import { formatDateTime, withLocale } from "@/lib/i18n";
import { api } from "../helpers/client";
import { setupOrg } from "../helpers/factories";

const app = createApp();
let org: Awaited<ReturnType<typeof setupOrg>>;
let contactId: string;

const brazilianTime = (at: Date) => withLocale({ locale: "pt-BR", timeZone: "America/Sao_Paulo" }, () => formatDateTime(at));
const pt = { "accept-language": "pt-BR" };

beforeAll(async () => {
  org = await setupOrg(app, { orgName: "Contatos BR" });
  const created = await api(app, "POST", "/v1/contacts", org.key, { phone: "+5511944443333", name: "João", tags: ["vip"] });
  expect(created.status).toBe(201);
  contactId = created.body.id;
  await db.update(users).set({ language: "pt-BR", timeZone: "America/Sao_Paulo" }).where(eq(users.id, org.user.id));
});

describe("contacts in Brazilian Portuguese", () => {
  test("the list and the contact page read in Portuguese, with times in São Paulo's zone", async () => {
    const list = await (await org.client.get("/contacts")).text();
    for (const text of [
      "Contatos",
      "Cadastrar contato",
      "Telefone",
      "Etiquetas",
      "Última interação",
      "Buscar por nome ou telefone",
      "Todas as etiquetas",
      "Bloquear",
      "ativo",
    ]) {
      expect(list).toContain(text);
    }
    const res = await org.client.get(`/contacts/${contactId}`);
    expect(res.status).toBe(200);
    const page = await res.text();
    for (const text of [
      "← Contatos",
      "Cadastrado em",
      "Mensagens recentes",
      "Nenhuma conversa com este contato ainda.",
      "Salvar",
      "Excluir contato",
      'data-confirm="Excluir este contato e as conversas dele?"',
    ]) {
      expect(page).toContain(text);
    }
    const [row] = await db.select().from(contacts).where(eq(contacts.id, contactId));
    const shown = brazilianTime(row!.createdAt);
    expect(shown).toMatch(/BRT|GMT-3/);
    expect(page).toContain(shown);
  });

  test("the add form answers an invalid or taken phone in Portuguese; the flash after saving too", async () => {
    const invalid = await org.client.postForm("/contacts", { phone: "abc" }, { htmx: true });
    expect(invalid.status).toBe(422);
    expect(await invalid.text()).toContain("Telefone inválido (use o formato internacional, por exemplo +5511999990001)");
    const taken = await org.client.postForm("/contacts", { phone: "+5511944443333" }, { htmx: true });
    expect(taken.status).toBe(422);
    expect(await taken.text()).toContain("Já existe um contato com o telefone +5511944443333");
    const saved = await org.client.postForm(`/contacts/${contactId}`, { name: "João Silva", tags: "vip" });
    expect(saved.status).toBe(303);
    expect(await (await org.client.get(`/contacts/${contactId}`)).text()).toContain("Contato salvo");
  });

  test("/v1/contacts answers validation and 404 in the Accept-Language", async () => {
    const res = await api(app, "POST", "/v1/contacts", org.key, { phone: "", tags: ["no/slash"] }, pt);
    expect(res.status).toBe(422);
    expect(res.body.error.details).toContainEqual({ path: "phone", message: "Informe o telefone" });
    expect(res.body.error.details).toContainEqual({ path: "tags.0", message: "Etiquetas podem ter letras, números, espaços e - _ : ." });
    const missing = await api(app, "GET", `/v1/contacts/${crypto.randomUUID()}`, org.key, undefined, pt);
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toBe("Contato não encontrado");
  });
});
