import { afterAll, describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { createApp } from "@/app";
import { db } from "@/db/client";
import { instances, messages } from "@/db/schema";
import { createTemplate } from "@/features/templates/template.service";
import { compileTriggerRegex, regexProblemMessage } from "@/features/triggers/trigger.regex";
import { withLocale } from "@/lib/i18n";
import { triggerMatches } from "@/features/triggers/trigger.service";
import { api } from "../helpers/client";
import { setupOrg } from "../helpers/factories";
import { startAppProcess } from "../helpers/processes";
import { waitFor } from "../helpers/wait";
import { systemCaller } from "@/lib/caller";

const app = createApp();

/** The refusals in English, as the test client (Accept-Language: en) reads them. */
const REGEX_MESSAGES = withLocale({ locale: "en" }, () => ({
  backreference: regexProblemMessage({ problem: "backreference" }),
  lookaround: regexProblemMessage({ problem: "lookaround" }),
  tooComplex: regexProblemMessage({ problem: "tooComplex" }),
}));

const regexTrigger = (pattern: string) => ({ match: "regex", pattern, action: "reply_template", templateKey: "welcome" });

async function org() {
  const ctx = await setupOrg(app);
  await createTemplate(systemCaller("test", ctx.organization.id), { key: "welcome", body: "Welcome!", variants: [], variables: [], active: true });
  return ctx;
}

describe("regex triggers match in linear time (RE2)", () => {
  test("JavaScript spellings still work; backreferences, lookaround and oversized programs are refused with a reason", () => {
    expect(triggerMatches({ match: "regex", pattern: "^pedido\\s*#?\\d+$" }, "Pedido #123", false)).toBe(true);
    expect(triggerMatches({ match: "regex", pattern: "caf\\u00e9" }, "um CAFÉ por favor", false)).toBe(true);
    expect(triggerMatches({ match: "regex", pattern: "(?<order>\\d+)" }, "order 42", false)).toBe(true);
    // An escaped backslash followed by a digit is a literal, not a backreference.
    expect(triggerMatches({ match: "regex", pattern: "a\\\\1" }, "a\\1", false)).toBe(true);

    const refusal = (pattern: string) => {
      const compiled = compileTriggerRegex(pattern);
      return compiled.ok ? null : withLocale({ locale: "en" }, () => regexProblemMessage(compiled));
    };
    expect(refusal("(a)\\1")).toBe(REGEX_MESSAGES.backreference);
    expect(refusal("(?<n>a)\\k<n>")).toBe(REGEX_MESSAGES.backreference);
    expect(refusal("price(?=\\d)")).toBe(REGEX_MESSAGES.lookaround);
    expect(refusal("price(?!s)")).toBe(REGEX_MESSAGES.lookaround);
    expect(refusal("(?<=R\\$)\\d+")).toBe(REGEX_MESSAGES.lookaround);
    expect(refusal("(?<!no )thanks")).toBe(REGEX_MESSAGES.lookaround);
    expect(refusal("\\w{900}")).toBe(REGEX_MESSAGES.tooComplex);
    expect(refusal("([")).toStartWith("Not a valid regular expression");
    // Characters that only look like the syntax are fine.
    expect(refusal("[(?=]")).toBeNull();
    // A stored pattern RE2 cannot run (saved before this rule) matches nothing instead of throwing.
    expect(triggerMatches({ match: "regex", pattern: "(a)\\1" }, "aa", false)).toBe(false);
  });

  test("the API and the form refuse unsupported patterns with 422 on the pattern field", async () => {
    const { key, client } = await org();
    for (const [pattern, message] of [
      ["(a)\\1", REGEX_MESSAGES.backreference],
      ["foo(?=bar)", REGEX_MESSAGES.lookaround],
      ["(?<=a)b", REGEX_MESSAGES.lookaround],
      ["(", undefined],
    ] as const) {
      const res = await api(app, "POST", "/v1/triggers", key, regexTrigger(pattern));
      expect(res.status).toBe(422);
      const detail = res.body.error.details.find((d: { path: string }) => d.path === "pattern");
      expect(detail).toBeDefined();
      if (message) expect(detail.message).toBe(message);
    }
    const accepted = await api(app, "POST", "/v1/triggers", key, regexTrigger("(a+)+$"));
    expect(accepted.status).toBe(201);
    const put = await api(app, "PUT", `/v1/triggers/${accepted.body.id}`, key, regexTrigger("(?!x)y"));
    expect(put.status).toBe(422);
    expect(put.body.error.details[0]).toMatchObject({ path: "pattern", message: REGEX_MESSAGES.lookaround });

    const form = await client.postForm(
      "/triggers",
      {
        name: "",
        match: "regex",
        pattern: "(\\w)\\1",
        priority: "0",
        cooldownSeconds: "0",
        action: "reply_template",
        templateKey: "welcome",
        flowId: "",
        workflowId: "",
      },
      { htmx: true },
    );
    expect(form.status).toBe(422);
    // The form re-renders with the reason next to the pattern (HTML-escaped).
    expect(await form.text()).toContain("Backreferences (\\1, \\k&lt;name&gt;) are not supported");
  });
});

describe("a pathological pattern on a real inbound message", () => {
  let stopApp: (() => Promise<void>) | undefined;
  afterAll(async () => {
    await stopApp?.();
  });

  test("is matched while /health keeps answering: the reply arrives in seconds where backtracking would take minutes", async () => {
    const { key, organization } = await org();
    const server = await startAppProcess();
    stopApp = server.stop;
    const call = (method: string, path: string, body?: unknown) =>
      fetch(`${server.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });

    const [instance] = await db
      .insert(instances)
      .values({ organizationId: organization.id, name: "Main", provider: "sandbox", status: "connected", waJid: "5500000000001@s.whatsapp.net" })
      .returning();
    await createTemplate(systemCaller("test", organization.id), { key: "after", body: "checked", variants: [], variables: [], active: true });
    // The catastrophic pattern is evaluated first (priority), then a catch-all replies: its reply proves the match ran.
    expect((await call("POST", "/v1/triggers", { ...regexTrigger("(a+)+$"), priority: 10 })).status).toBe(201);
    expect((await call("POST", "/v1/triggers", { match: "any", action: "reply_template", templateKey: "after" })).status).toBe(201);

    const inbound = (text: string) => call("POST", `/v1/sandbox/instances/${instance!.id}/inbound`, { from: "+5511999990001", text });
    const replies = async () =>
      (
        await db
          .select({ id: messages.id })
          .from(messages)
          .where(and(eq(messages.instanceId, instance!.id), eq(messages.direction, "outbound")))
      ).length;
    // Warm-up: the same path with a harmless text, so what is measured next is the pattern, not first-call compilation.
    expect((await inbound("hello")).status).toBe(201);
    await waitFor(async () => (await replies()) >= 1, { what: "the warm-up reply" });
    for (let i = 0; i < 5; i++) await fetch(`${server.url}/health`);

    // V8's backtracking engine spent ~1.7 s on 26 characters with the event loop blocked, doubling with each
    // one more: on 34 it would block for minutes, far past this test's deadline. So the reply arriving at all
    // proves linear-time matching, with no tight timing to assert on a shared CI machine.
    const pathological = inbound(`${"a".repeat(34)}!`);
    const replied = async () => (await replies()) >= 2;

    const latencies: number[] = [];
    const deadline = Date.now() + 20_000;
    // Two pollers, so a health check is always in flight while the inbound message is matched.
    const poll = async () => {
      while (Date.now() < deadline && !(await replied())) {
        const started = performance.now();
        const res = await fetch(`${server.url}/health`);
        latencies.push(performance.now() - started);
        expect(res.status).toBe(200);
      }
    };
    await Promise.all([poll(), poll()]);
    expect((await pathological).status).toBe(201);
    expect(await replied()).toBe(true);
    expect(latencies.length).toBeGreaterThan(0);
    // Loose on purpose (a GC pause or a busy CI core is not a blocked loop); a backtracking match would hold
    // every one of these checks for minutes.
    expect(Math.max(...latencies)).toBeLessThan(2_000);
  });
});
