import { describe, expect, test } from "bun:test";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { instances } from "@/db/schema";
import { fillTemplate } from "@/features/templates/template.render";
import { templateContext } from "@/features/templates/template.service";
import { api } from "../helpers/client";
import { setupOrg } from "../helpers/factories";

const app = createApp();

// Names every plain object inherits: none of them is a variable anyone provided.
const INHERITED = ["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf"];

describe("template variables resolve own properties only", () => {
  test("inherited names render empty in flow texts", () => {
    const vars = templateContext({ name: "Ana Souza", phone: "+5511999990001" });
    for (const name of INHERITED) expect(fillTemplate(`Hi {{${name}}}!`, vars)).toBe("Hi !");
    expect(fillTemplate("Hi {{first_name}} ({{phone}})", vars)).toBe("Hi Ana (+5511999990001)");
  });

  test("preview and send answer 422 naming {{constructor}} and {{__proto__}} as missing variables", async () => {
    const { key, organization } = await setupOrg(app);
    const created = await api(app, "POST", "/v1/templates", key, { key: "proto", body: "Hi {{constructor}} {{__proto__}} {{toString}}" });
    expect(created.status).toBe(201);

    const preview = await api(app, "POST", `/v1/templates/${created.body.id}/preview`, key, { variables: {} });
    expect(preview.status).toBe(422);
    expect(preview.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual([
      "template.variables.__proto__",
      "template.variables.constructor",
      "template.variables.toString",
    ]);

    await db.insert(instances).values({ organizationId: organization.id, name: "Main", provider: "sandbox", status: "connected" });
    const send = await api(app, "POST", "/v1/messages", key, { to: "+5511999990001", type: "template", template: { key: "proto", variables: {} } });
    expect(send.status).toBe(422);
    expect(send.body.error.message).toContain('"constructor"');

    // Provided as real keys, they render like any other variable.
    const given = await api(app, "POST", `/v1/templates/${created.body.id}/preview`, key, {
      variables: { constructor: "a", toString: "c", ["__proto__"]: "b" },
    });
    // JSON's "__proto__" key cannot become an own property of the validated object, so it stays missing.
    expect(given.status).toBe(422);
    expect(given.body.error.details.map((d: { path: string }) => d.path)).toEqual(["template.variables.__proto__"]);
  });
});
