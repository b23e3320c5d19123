// /try for a Portuguese-speaking visitor (Accept-Language): the page, the sandbox number's name, the
// simulator's notice, the refusals and the error page read in Portuguese.
import { describe, expect, test } from "bun:test";
import { isNull } from "drizzle-orm";
import { createApp } from "@/app";
import { config } from "@/config";
import { db } from "@/db/client";
import { instances } from "@/db/schema";
import { TRY_INSTANCES_PER_IP_PER_HOUR } from "@/features/try/try.service";
import { TestClient } from "../helpers/client";
import { served } from "../helpers/served";

// Over a real socket, loopback trusted as the proxy: each visitor's X-Forwarded-For is its address.
config.trustedProxies = ["loopback"];
const app = served(createApp());
const PT = { "accept-language": "pt-BR,pt;q=0.9,en;q=0.5" };

function visitor(ip = `10.1.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`) {
  const client = new TestClient(app);
  const post = (path: string, data: Record<string, string> = {}, htmx = false) =>
    client.postForm(path, data, { htmx, headers: { "x-forwarded-for": ip, ...PT } });
  return { client, post };
}

describe("/try in Portuguese", () => {
  test("landing page, the new number and its key card", async () => {
    const landing = await (await new TestClient(app).get("/try", { headers: PT })).text();
    expect(landing).toContain('<html lang="pt-BR">');
    expect(landing).toContain("Experimente o LivChat — sem precisar de conta");
    expect(landing).toContain("Criar meu número sandbox");
    expect(landing).toContain("Cadastre-se grátis");

    const { client, post } = visitor();
    const created = await post("/try");
    expect(created.status).toBe(200);
    const html = await created.text();
    expect(html).toContain("Sua chave de API");
    expect(html).toContain("<strong>não será mostrada de novo</strong>");
    expect(html).toContain('data-copied="Copiado"');
    const owned = await db.select({ name: instances.name }).from(instances).where(isNull(instances.organizationId));
    expect(owned.map((i) => i.name)).toEqual(["Meu número sandbox"]);

    const again = await (await client.get("/try", { headers: PT })).text();
    expect(again).toContain("Substituir sua chave? A antiga para de funcionar.");
  });

  test("refusals and the error page in Portuguese, codes unchanged", async () => {
    const ip = "192.0.2.91";
    for (let i = 0; i < TRY_INSTANCES_PER_IP_PER_HOUR; i++) expect((await visitor(ip).post("/try")).status).toBe(200);
    const refused = await visitor(ip).post("/try");
    expect(refused.status).toBe(429);
    expect(await refused.text()).toContain("Números de avaliação demais a partir desta rede");

    const missing = await new TestClient(app).get("/try/connection", { headers: PT });
    expect(missing.status).toBe(404);
    const page = await missing.text();
    expect(page).toContain("404 · não encontrado");
    expect(page).toContain("Comece uma avaliação em /try primeiro");
    expect(page).toContain("Voltar ao painel");
    expect(page).toContain("ID da requisição");
  });
});
