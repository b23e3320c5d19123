import { describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { db } from "@/db/client";
import { conversations, threads } from "@/db/schema";
import { draftFor, createFlow, publishFlow, saveStep, getSteps, validateFlow } from "@/features/flows/flow.service";
import { flowStepSchema } from "@/features/flows/flow.schema";
import { createTemplate } from "@/features/templates/template.service";
import { createTrigger } from "@/features/triggers/trigger.service";
import { triggerSchema } from "@/features/triggers/trigger.schema";
import { withLocale } from "@/lib/i18n";
import { createOwner } from "../helpers/factories";
import { botTexts, connectedInstance, contactWrites } from "./helpers";
import { systemCaller } from "@/lib/caller";

const step = (s: Record<string, unknown>) => flowStepSchema.parse(s);

async function menuFlow(org: string) {
  await createTemplate(systemCaller("test", org), { key: "menu", body: "Hi! 1) sales 2) support", variants: [], variables: [], active: true });
  const flow = await createFlow(systemCaller("test", org), { name: "Menu" });
  await saveStep(
    systemCaller("test", org),
    flow.id,
    step({ key: "menu", type: "send_template", templateKey: "menu", waitForInput: true, transitions: { "1": "sales", "2": "ask_name" }, order: 0 }),
  );
  await saveStep(
    systemCaller("test", org),
    flow.id,
    step({ key: "sales", type: "send_text", text: "Sales will call you.", order: 1, transitions: { "*": "bye" } }),
  );
  await saveStep(
    systemCaller("test", org),
    flow.id,
    step({ key: "ask_name", type: "collect_input", text: "Your name?", config: { variable: "customer" }, order: 2 }),
  );
  await saveStep(systemCaller("test", org), flow.id, step({ key: "thanks", type: "send_text", text: "Thanks {{customer}}!", order: 3 }));
  await saveStep(systemCaller("test", org), flow.id, step({ key: "bye", type: "end", text: "Bye.", order: 4 }));
  return flow;
}

describe("flows", () => {
  test("validation: missing targets, unreachable steps, missing template", async () => {
    const { organization } = await createOwner();
    const flow = await createFlow(systemCaller("test", organization.id), { name: "Broken" });
    await saveStep(
      systemCaller("test", organization.id),
      flow.id,
      step({ key: "a", type: "send_template", templateKey: "nope", transitions: { "*": "ghost" }, order: 0 }),
    );
    await saveStep(systemCaller("test", organization.id), flow.id, step({ key: "b", type: "end", order: 1 }));
    // Called outside a request, so the language is chosen here (pt-BR by default).
    const steps = await getSteps(flow.id);
    const errors = await withLocale({ locale: "en" }, () => validateFlow(organization.id, steps));
    const messages = errors.map((e) => e.message).join(" | ");
    expect(messages).toContain('missing step "ghost"');
    expect(messages).toContain('"b" is unreachable');
    expect(messages).toContain('Template "nope" does not exist');
    await expect(withLocale({ locale: "en" }, () => publishFlow(systemCaller("test", organization.id), flow.id))).rejects.toThrow("problems");
  });

  test("a trigger starts the published flow; input drives transitions and variables", async () => {
    const { organization } = await createOwner();
    const org = organization.id;
    const instance = await connectedInstance(org);
    const flow = await menuFlow(org);
    await publishFlow(systemCaller("test", org), flow.id);
    await createTrigger(systemCaller("test", org), triggerSchema.parse({ match: "equals", pattern: "menu", action: "start_flow", flowId: flow.id }));

    await contactWrites(instance, "+5511999990020", "menu");
    expect(await botTexts(instance.id)).toEqual(["Hi! 1) sales 2) support"]);
    await contactWrites(instance, "+5511999990020", "2");
    expect((await botTexts(instance.id)).at(-1)).toBe("Your name?");
    await contactWrites(instance, "+5511999990020", "Ana");
    expect((await botTexts(instance.id)).slice(-2)).toEqual(["Thanks Ana!", "Bye."]);
    const [thread] = await db.select().from(threads).where(eq(threads.organizationId, org));
    expect(thread!.status).toBe("archived");
    expect((thread!.state as any).variables).toEqual({ customer: "Ana" });
  });

  test("versioning: publishing a new version leaves running threads on theirs", async () => {
    const { organization } = await createOwner();
    const org = organization.id;
    const instance = await connectedInstance(org);
    const v1 = await menuFlow(org);
    await publishFlow(systemCaller("test", org), v1.id);
    await createTrigger(systemCaller("test", org), triggerSchema.parse({ match: "equals", pattern: "menu", action: "start_flow", flowId: v1.id }));
    await contactWrites(instance, "+5511999990030", "menu"); // runs v1, waiting at the menu

    const draft = await draftFor(systemCaller("test", org), v1.id);
    expect(draft.version).toBe(2);
    await saveStep(
      systemCaller("test", org),
      draft.id,
      step({ key: "sales", type: "send_text", text: "Sales v2.", order: 1, transitions: { "*": "bye" } }),
      "sales",
    );
    const v2 = await publishFlow(systemCaller("test", org), draft.id);
    expect(v2.status).toBe("published");

    await contactWrites(instance, "+5511999990030", "1");
    expect((await botTexts(instance.id)).slice(-2)).toEqual(["Sales will call you.", "Bye."]);
    // A new run (another contact) gets version 2 even though the trigger names version 1.
    await contactWrites(instance, "+5511999990031", "menu");
    await contactWrites(instance, "+5511999990031", "1");
    expect((await botTexts(instance.id)).slice(-2)).toEqual(["Sales v2.", "Bye."]);
  });

  test("two inbound messages at once never run the same step twice", async () => {
    const { organization } = await createOwner();
    const org = organization.id;
    const instance = await connectedInstance(org);
    const flow = await menuFlow(org);
    await publishFlow(systemCaller("test", org), flow.id);
    await createTrigger(systemCaller("test", org), triggerSchema.parse({ match: "equals", pattern: "menu", action: "start_flow", flowId: flow.id }));
    await contactWrites(instance, "+5511999990040", "menu");
    await Promise.all([contactWrites(instance, "+5511999990040", "1"), contactWrites(instance, "+5511999990040", "1")]);
    const texts = await botTexts(instance.id);
    expect(texts.filter((t) => t === "Sales will call you.")).toHaveLength(1);
    expect(texts.filter((t) => t === "Bye.")).toHaveLength(1);
  });

  test("a hand-off step stops all automation until the conversation is resolved", async () => {
    const { organization } = await createOwner();
    const org = organization.id;
    const instance = await connectedInstance(org);
    const flow = await createFlow(systemCaller("test", org), { name: "Human" });
    await saveStep(systemCaller("test", org), flow.id, step({ key: "h", type: "handoff", text: "A person will answer.", order: 0 }));
    await publishFlow(systemCaller("test", org), flow.id);
    await createTemplate(systemCaller("test", org), { key: "echo", body: "bot here", variants: [], variables: [], active: true });
    await createTrigger(
      systemCaller("test", org),
      triggerSchema.parse({ match: "equals", pattern: "human", priority: 10, action: "start_flow", flowId: flow.id }),
    );
    await createTrigger(systemCaller("test", org), triggerSchema.parse({ match: "any", action: "reply_template", templateKey: "echo" }));
    await contactWrites(instance, "+5511999990050", "human");
    await contactWrites(instance, "+5511999990050", "hello?");
    expect(await botTexts(instance.id)).toEqual(["A person will answer."]);
    const [conv] = await db
      .select()
      .from(conversations)
      .where(and(eq(conversations.instanceId, instance.id)));
    expect(conv!.handledBy).toBe("human");
    // Resolving hands the conversation back; the next message is automated again.
    await db.update(conversations).set({ status: "resolved", resolvedAt: new Date() }).where(eq(conversations.id, conv!.id));
    await contactWrites(instance, "+5511999990050", "back");
    expect((await botTexts(instance.id)).at(-1)).toBe("bot here");
  });
});
