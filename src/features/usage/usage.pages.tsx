import { Elysia } from "elysia";
import { z } from "zod";
import { csrfPlugin } from "@/auth/csrf";
import { authPlugin } from "@/auth/plugin";
import type { FieldError } from "@/lib/errors";
import { attemptForm, parseForm } from "@/lib/forms";
import { UsagePage, type UsageFilterValues } from "@views/usage/index";
import { usageQuerySchema } from "./usage.schema";
import { usageInstanceOptions, usageReport, type UsageReport } from "./usage.service";

const looseQuery = z.record(z.string(), z.unknown());

/** `/usage`: charts and a per-day table of the organization's metered counts. */
export const usagePages = new Elysia({ name: "usage-pages" })
  .use(csrfPlugin) // named plugin: deduplicated, here for the csrfToken type
  .use(authPlugin)
  .get(
    "/usage",
    async ({ admin, csrfToken, query, set }) => {
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
      return <UsagePage admin={admin} csrfToken={csrfToken} report={report} values={values} errors={errors} instances={instances} today={today} />;
    },
    { member: "agent", query: looseQuery, detail: { hide: true } },
  );
