import { describe, expect, test } from "bun:test";
import { createTemplate } from "@/features/templates/template.service";
import { createTrigger, triggerMatches } from "@/features/triggers/trigger.service";
import { triggerSchema } from "@/features/triggers/trigger.schema";
import { createOwner } from "../helpers/factories";
import { botTexts, connectedInstance, contactWrites } from "./helpers";
import { systemCaller } from "@/lib/caller";

const t = (input: Record<string, unknown>) => triggerSchema.parse(input);

describe("trigger matching", () => {
  test("every match type", () => {
    expect(triggerMatches({ match: "equals", pattern: "Oi" }, "  oi ", false)).toBe(true);
    expect(triggerMatches({ match: "equals", pattern: "oi" }, "oi tudo bem", false)).toBe(false);
    expect(triggerMatches({ match: "contains", pattern: "preço" }, "Qual o PREÇO?", false)).toBe(true);
    expect(triggerMatches({ match: "contains", pattern: "preço" }, "olá", false)).toBe(false);
    expect(triggerMatches({ match: "regex", pattern: "^pedido\\s*#?\\d+$" }, "Pedido #123", false)).toBe(true);
    expect(triggerMatches({ match: "regex", pattern: "^pedido\\d+$" }, "pedido x", false)).toBe(false);
    expect(triggerMatches({ match: "number", pattern: "" }, " 42 ", false)).toBe(true);
    expect(triggerMatches({ match: "number", pattern: "2" }, "02", false)).toBe(true);
    expect(triggerMatches({ match: "number", pattern: "2" }, "3", false)).toBe(false);
    expect(triggerMatches({ match: "number", pattern: "" }, "dois", false)).toBe(false);
    expect(triggerMatches({ match: "any", pattern: "" }, "whatever", false)).toBe(true);
    expect(triggerMatches({ match: "first_message", pattern: "" }, "hi", true)).toBe(true);
    expect(triggerMatches({ match: "first_message", pattern: "" }, "hi", false)).toBe(false);
  });

  test("invalid definitions are refused with the field named", () => {
    const bad = triggerSchema.safeParse({ match: "regex", pattern: "([", action: "reply_template" });
    expect(bad.success).toBe(false);
    const paths = bad.error!.issues.map((i) => i.path.join("."));
    expect(paths).toContain("pattern");
    expect(paths).toContain("templateKey");
  });
});

describe("triggers on inbound messages", () => {
  test("highest priority wins, instance scoping, cooldown per contact", async () => {
    const { organization } = await createOwner();
    const org = organization.id;
    const instance = await connectedInstance(org);
    const other = await connectedInstance(org);
    await createTemplate(systemCaller("test", org), { key: "low", body: "low priority", variants: [], variables: [], active: true });
    await createTemplate(systemCaller("test", org), { key: "high", body: "Oi {{phone}}, high priority", variants: [], variables: [], active: true });
    await createTemplate(systemCaller("test", org), { key: "only-other", body: "other instance", variants: [], variables: [], active: true });
    await createTemplate(systemCaller("test", org), { key: "first", body: "welcome!", variants: [], variables: [], active: true });
    await createTrigger(systemCaller("test", org), t({ match: "contains", pattern: "oi", priority: 1, action: "reply_template", templateKey: "low" }));
    await createTrigger(
      systemCaller("test", org),
      t({ match: "equals", pattern: "oi", priority: 10, cooldownSeconds: 3600, action: "reply_template", templateKey: "high" }),
    );
    await createTrigger(
      systemCaller("test", org),
      t({ match: "any", priority: 100, instanceIds: [other.id], action: "reply_template", templateKey: "only-other" }),
    );

    await contactWrites(instance, "+5511999990001", "oi");
    const first = await botTexts(instance.id);
    expect(first).toHaveLength(1);
    expect(first[0]).toContain("high priority");

    // Same contact within the cooldown: the high-priority trigger is skipped, the next one fires.
    await contactWrites(instance, "+5511999990001", "oi");
    expect((await botTexts(instance.id)).at(-1)).toBe("low priority");
    // Another contact is not cooling down.
    await contactWrites(instance, "+5511999990002", "oi");
    expect((await botTexts(instance.id)).at(-1)).toContain("high priority");

    // The instance-scoped trigger only fires on its instance.
    await contactWrites(other, "+5511999990003", "anything");
    expect(await botTexts(other.id)).toEqual(["other instance"]);
  });

  test("first_message fires once per conversation", async () => {
    const { organization } = await createOwner();
    const instance = await connectedInstance(organization.id);
    await createTemplate(systemCaller("test", organization.id), { key: "first", body: "welcome!", variants: [], variables: [], active: true });
    await createTrigger(systemCaller("test", organization.id), t({ match: "first_message", action: "reply_template", templateKey: "first" }));
    await contactWrites(instance, "+5511999990010", "hello");
    await contactWrites(instance, "+5511999990010", "hello again");
    expect(await botTexts(instance.id)).toEqual(["welcome!"]);
  });
});
