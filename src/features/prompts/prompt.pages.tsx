import { Elysia } from "elysia";
import { z } from "zod";
import { csrfPlugin } from "@/auth/csrf";
import { authPlugin, type AdminContext } from "@/auth/plugin";
import type { FieldError } from "@/lib/errors";
import { setFlash, takeFlash } from "@/lib/flash";
import { attemptForm, formFields, formText, parseForm, unprocessable } from "@/lib/forms";
import { hxRedirect, isHtmx } from "@/lib/htmx";
import { tText } from "@/lib/i18n";
import { DraftStatus, PromptDiff } from "@views/prompts/_instructions";
import { InstructionsPage, PromptDiffPage, PromptVersionPage } from "@views/prompts/pages";
import { diffQuerySchema, publishSchema, saveDraftSchema, versionParams } from "./prompt.schema";
import {
  diffPromptVersions,
  discardPromptDraft,
  getPromptVersion,
  instructionsOverview,
  publishFromEditor,
  rollbackPromptVersion,
  savePromptDraft,
} from "./prompt.service";

const idParams = z.object({ id: z.string().uuid() });
const tab = (id: string) => `/workflows/${id}#instructions`;

/** A form's textarea posts CRLF line ends; versions keep LF so an untouched text compares equal. */
const instructionsOf = (body: Record<string, unknown>) => formText(body.instructions).replace(/\r\n?/g, "\n");

async function renderPage(admin: AdminContext, csrfToken: string, id: string, extra: { errors?: FieldError[]; flash?: ReturnType<typeof takeFlash> } = {}) {
  return InstructionsPage({ admin, csrfToken, overview: await instructionsOverview(admin, id), ...extra });
}

/**
 * The Instructions tab's actions (the tab itself is part of the workflow page, and a page of its own
 * at /workflows/:id/instructions): autosave and save the draft, discard it, publish, roll back, diff.
 * Roles: every member reads; supervisors and above write (checked by the service).
 */
export const promptsPages = new Elysia({ name: "prompts-pages" })
  .use(csrfPlugin)
  .use(authPlugin)
  .get("/workflows/:id/instructions", async ({ admin, csrfToken, params, cookie }) => renderPage(admin, csrfToken, params.id, { flash: takeFlash(cookie) }), {
    member: "agent",
    params: idParams,
  })
  .post(
    "/workflows/:id/instructions/draft",
    async ({ admin, csrfToken, params, body, request, set, cookie }) => {
      const parsed = parseForm(saveDraftSchema, { instructions: instructionsOf(formFields(body)) });
      const saved = parsed.ok ? await attemptForm(() => savePromptDraft(admin, params.id, parsed.value)) : parsed;
      // The editor's autosave: only the status line changes.
      if (isHtmx(request)) {
        if (!saved.ok) return unprocessable(set, () => DraftStatus({ error: saved.errors[0]?.message }));
        return DraftStatus({ savedAt: saved.value.lastEditedAt });
      }
      if (!saved.ok) return unprocessable(set, () => renderPage(admin, csrfToken, params.id, { errors: saved.errors }));
      setFlash(cookie, "success", tText("prompts:flash.draftSaved"));
      return hxRedirect(request, tab(params.id));
    },
    { member: "agent", params: idParams },
  )
  .post(
    "/workflows/:id/instructions/draft/delete",
    async ({ admin, params, request, cookie }) => {
      await discardPromptDraft(admin, params.id);
      setFlash(cookie, "success", tText("prompts:flash.draftDiscarded"));
      return hxRedirect(request, tab(params.id));
    },
    { member: "agent", params: idParams },
  )
  .post(
    "/workflows/:id/instructions/publish",
    async ({ admin, csrfToken, params, body, request, set, cookie }) => {
      const b = formFields(body);
      const parsed = parseForm(publishSchema, { instructions: instructionsOf(b), changelog: formText(b.changelog) });
      const published = parsed.ok ? await attemptForm(() => publishFromEditor(admin, params.id, parsed.value, "editor")) : parsed;
      if (!published.ok) {
        // What was typed is kept as the draft, so the page shown again has it.
        await attemptForm(() => savePromptDraft(admin, params.id, { instructions: instructionsOf(b) }));
        return unprocessable(set, () => renderPage(admin, csrfToken, params.id, { errors: published.errors }));
      }
      setFlash(cookie, "success", tText("prompts:flash.published", { version: published.value.version }));
      return hxRedirect(request, tab(params.id));
    },
    { member: "agent", params: idParams },
  )
  .post(
    "/workflows/:id/instructions/versions/:version/rollback",
    async ({ admin, params, request, cookie }) => {
      const v = await rollbackPromptVersion(admin, params.id, params.version);
      setFlash(cookie, "success", tText("prompts:flash.rolledBack", { from: v.rolledBackFrom ?? params.version, version: v.version }));
      return hxRedirect(request, tab(params.id));
    },
    { member: "agent", params: versionParams },
  )
  .get(
    "/workflows/:id/instructions/versions/:version",
    async ({ admin, csrfToken, params }) => {
      const overview = await instructionsOverview(admin, params.id);
      const version = await getPromptVersion(admin, params.id, params.version);
      return PromptVersionPage({ admin, csrfToken, workflow: overview.workflow, version });
    },
    { member: "agent", params: versionParams },
  )
  .get(
    "/workflows/:id/instructions/diff",
    async ({ admin, csrfToken, params, query, request }) => {
      const diff = await diffPromptVersions(admin, params.id, query.from, query.to);
      if (isHtmx(request)) return PromptDiff(diff);
      const overview = await instructionsOverview(admin, params.id);
      return PromptDiffPage({ admin, csrfToken, workflow: overview.workflow, diff });
    },
    { member: "agent", params: idParams, query: diffQuerySchema },
  );
