import { describe, expect, test } from "bun:test";
import { z } from "zod";
import { createApp } from "@/app";
import { parseFollowUpLines } from "@/features/workflows/workflow.schema";
import { AppError, validationFailed } from "@/lib/errors";
import { attemptForm, checkbox, fieldErrors, formErrors, formFields, formLines, formList, formValues, parseForm } from "@/lib/forms";
import { withLocale } from "@/lib/i18n";
import { api } from "../helpers/client";
import { setupOrg } from "../helpers/factories";

const app = createApp();
const en = <T>(fn: () => T) => withLocale({ locale: "en", timeZone: "UTC" }, fn);

describe("lib/forms", () => {
  test("reads urlencoded bodies: fields, lines, checkboxes, lists, values to show back", () => {
    expect(formFields(null)).toEqual({});
    expect(formFields(["a"])).toEqual({});
    expect(formLines(" a \r\n\r\nb\rc\n")).toEqual(["a", "b", "c"]);
    expect(formLines(undefined)).toEqual([]);
    expect([checkbox("true"), checkbox("on"), checkbox(undefined), checkbox("false")]).toEqual([true, true, false, false]);
    expect(formList("x")).toEqual(["x"]);
    expect(formList(["x", "", 3, "y"])).toEqual(["x", "y"]);
    expect(formList(undefined)).toEqual([]);
    expect(formValues({ _csrf: "t", name: "n", list: ["a"] })).toEqual({ name: "n" });
    expect(
      fieldErrors(
        [
          { path: "transitions", message: "a" },
          { path: "transitions.yes", message: "b" },
          { path: "transitionsX", message: "c" },
        ],
        "transitions",
      ).map((e) => e.message),
    ).toEqual(["a", "b"]);
  });

  test("validation failures become field errors; anything else is rethrown", async () => {
    const zodError = z.object({ name: z.string().min(3) }).safeParse({ name: "a" }).error!;
    expect(formErrors(zodError)?.map((e) => e.path)).toEqual(["name"]);
    expect(formErrors(validationFailed([{ path: "key", message: "taken" }]))).toEqual([{ path: "key", message: "taken" }]);
    expect(formErrors(new AppError("validation_failed", "Nope"))).toEqual([{ path: "(body)", message: "Nope" }]);
    expect(formErrors(new AppError("conflict", "Exists"))).toBeUndefined();
    expect(formErrors(new AppError("conflict", "Exists"), { codes: ["conflict"], path: "phone" })).toEqual([{ path: "phone", message: "Exists" }]);
    expect(formErrors(new AppError("not_found", "Gone"), { codes: ["conflict"] })).toBeUndefined();
    expect(formErrors(new Error("boom"))).toBeUndefined();

    expect(await attemptForm(async () => 1)).toEqual({ ok: true, value: 1 });
    expect(
      await attemptForm(async () => {
        throw validationFailed([{ path: "a", message: "b" }]);
      }),
    ).toEqual({ ok: false, errors: [{ path: "a", message: "b" }] });
    await expect(
      attemptForm(async () => {
        throw new AppError("not_found", "Gone");
      }),
    ).rejects.toThrow("Gone");

    const schema = z.object({ n: z.number() });
    expect(parseForm(schema, { n: 1 })).toEqual({ ok: true, value: { n: 1 } });
    const withExtra = parseForm(schema, { n: 1 }, [{ path: "lines", message: "bad line" }]);
    expect(withExtra).toEqual({ ok: false, errors: [{ path: "lines", message: "bad line" }] });
  });

  test("follow-up lines: one parser for flows and workflows", () => {
    en(() => {
      expect(parseFollowUpLines("60 a\r\n120 b; 3600 c\n\n", "followUps")).toEqual({
        stages: [
          { delaySeconds: 60, templateKey: "a" },
          { delaySeconds: 120, templateKey: "b" },
          { delaySeconds: 3600, templateKey: "c" },
        ],
        errors: [],
      });
      const bad = parseFollowUpLines("soon a\n60\n60 a b\n1.5 a", "followUps");
      expect(bad.stages).toEqual([]);
      expect(bad.errors.map((e) => e.path)).toEqual(["followUps", "followUps", "followUps", "followUps"]);
      expect(bad.errors[0]!.message).toBe('"soon a" must be "<seconds> <template_key>"');
    });
  });

  test("flows and workflows read the same follow-up text the same way", async () => {
    const { client, key } = await setupOrg(app);
    const flow = await client.postForm("/flows", { name: "Nudges" }, { htmx: true });
    const flowPath = flow.headers.get("hx-redirect")!;
    const flowRes = await client.postForm(`${flowPath}/settings`, { name: "Nudges", followUps: "60 a; soon b" }, { htmx: true });
    expect(flowRes.status).toBe(422);
    const workflowRes = await client.postForm(
      "/workflows",
      { name: "Bot", provider: "openai", "config.model": "m", followUps: "60 a; soon b" },
      { htmx: true },
    );
    expect(workflowRes.status).toBe(422);
    const message = "&quot;soon b&quot; must be";
    for (const html of [await flowRes.text(), await workflowRes.text()]) expect(html.replaceAll('"', "&quot;")).toContain(message);
    expect((await api(app, "GET", `/v1${flowPath}`, key)).body.followUps).toEqual([]);
  });
});
