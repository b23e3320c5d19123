import { Elysia } from "elysia";
import { csrfPlugin } from "@/auth/csrf";
import { authPlugin } from "@/auth/plugin";
import { can } from "@/auth/roles";
import { forbidden } from "@/lib/errors";
import { parseForm, unprocessable } from "@/lib/forms";
import { tText } from "@/lib/i18n";
import { AuditPage, type AuditFilterValues } from "@views/audit/index";
import { organizationMembers } from "./audit.actors";
import { auditFilterSchema } from "./audit.schema";
import { listAuditActions, listAuditLogs } from "./audit.service";

const str = (v: unknown) => (typeof v === "string" ? v.slice(0, 200) : undefined);

/** `/audit`: who did what in the organization (`can.viewAudit`, admin+). Filters are GET parameters so pages are linkable. */
export const auditPages = new Elysia({ name: "audit-pages" })
  .use(csrfPlugin)
  .use(authPlugin)
  .get(
    "/audit",
    async ({ admin, csrfToken, query, set }) => {
      if (!can.viewAudit(admin.role)) throw forbidden();
      const values: AuditFilterValues = {
        action: str(query.action),
        actor: str(query.actor),
        from: str(query.from),
        to: str(query.to),
        cursor: str(query.cursor),
      };
      const [actions, members] = await Promise.all([listAuditActions(admin.organization.id), organizationMembers(admin.organization.id)]);
      const actors = [
        ...members.map((m) => ({ value: m.userId, label: m.name ? `${m.name} <${m.email}>` : m.email })),
        { value: "type:api_key", label: tText("audit:filters.anyApiKey") },
        { value: "type:device", label: tText("audit:filters.anyDevice") },
        { value: "type:system", label: tText("audit:filters.system") },
      ];
      const parsed = parseForm(auditFilterSchema, values);
      if (!parsed.ok)
        return unprocessable(set, () => AuditPage({ admin, csrfToken, entries: [], nextCursor: null, values, errors: parsed.errors, actions, actors }));
      const { entries, nextCursor } = await listAuditLogs(admin.organization.id, parsed.value);
      return AuditPage({ admin, csrfToken, entries, nextCursor, values, actions, actors });
    },
    { member: "agent" },
  );
