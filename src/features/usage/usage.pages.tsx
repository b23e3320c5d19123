import { Elysia } from "elysia";
import { z } from "zod";
import { csrfPlugin } from "@/auth/csrf";
import { authPlugin } from "@/auth/plugin";
import { can } from "@/auth/roles";
import { AppError, type FieldError } from "@/lib/errors";
import { setFlash, takeFlash } from "@/lib/flash";
import { attemptForm, formFields, parseForm, unprocessable } from "@/lib/forms";
import { hxRedirect } from "@/lib/htmx";
import { tText } from "@/lib/i18n";
import { AiTokenLimitForm, UsagePage, type UsageFilterValues } from "@views/usage/index";
import { aiTokenLimitSchema, usageQuerySchema } from "./usage.schema";
import { aiTokenBudget, setAiTokenLimit, usageInstanceOptions, usageReport, type UsageReport } from "./usage.service";

const looseQuery = z.record(z.string(), z.unknown());

/** `/usage`: charts and a per-day table of the organization's metered counts. */
export const usagePages = new Elysia({ name: "usage-pages" })
  .use(csrfPlugin) // named plugin: deduplicated, here for the csrfToken type
  .use(authPlugin)
  .get(
    "/usage",
    async ({ admin, csrfToken, query, set, cookie }) => {
      const organizationId = admin.organization.id;
      const pick = (k: string) => (typeof query[k] === "string" && query[k] ? (query[k] as string) : undefined);
      const values: UsageFilterValues = { from: pick("from"), to: pick("to"), instanceId: pick("instanceId") };
      const instances = await usageInstanceOptions(organizationId);
      const today = new Date().toISOString().slice(0, 10);
      let report: UsageReport | null = null;
      let errors: FieldError[] | undefined;
      const parsed = parseForm(usageQuerySchema, query);
      if (!parsed.ok) errors = parsed.errors;
      else {
        // Another organization's instance id stays a 404 (thrown on); a bad range re-renders with field errors.
        const result = await attemptForm(() => usageReport(organizationId, parsed.value));
        if (result.ok) report = result.value;
        else errors = result.errors;
      }
      if (errors) set.status = 422;
      const budget = await aiTokenBudget(organizationId);
      return (
        <UsagePage
          admin={admin}
          csrfToken={csrfToken}
          report={report}
          values={values}
          errors={errors}
          instances={instances}
          today={today}
          budget={budget}
          canSetLimit={can.manageOrganization(admin.role)}
          flash={takeFlash(cookie)}
        />
      );
    },
    { member: "agent", query: looseQuery, detail: { hide: true } },
  )
  .post(
    "/usage/ai-token-limit",
    async ({ admin, body, request, set, cookie }) => {
      if (!can.manageOrganization(admin.role)) throw new AppError("forbidden", tText("usage:errors.limitForbidden"));
      const b = formFields(body);
      const parsed = parseForm(aiTokenLimitSchema, { aiTokensPerMonth: b.aiTokensPerMonth });
      if (!parsed.ok) {
        const budget = await aiTokenBudget(admin.organization.id);
        return unprocessable(set, () =>
          AiTokenLimitForm({ budget, value: typeof b.aiTokensPerMonth === "string" ? b.aiTokensPerMonth : "", errors: parsed.errors, canSetLimit: true }),
        );
      }
      await setAiTokenLimit(admin, parsed.value.aiTokensPerMonth);
      setFlash(cookie, "success", tText("usage:limitSaved"));
      return hxRedirect(request, "/usage");
    },
    { member: "agent", detail: { hide: true } },
  );
