import { Elysia } from "elysia";
import { z } from "zod";
import { csrfPlugin } from "@/auth/csrf";
import { authPlugin, type AdminContext } from "@/auth/plugin";
import { can } from "@/auth/roles";
import { diffText } from "@/features/prompts/prompt.service";
import { getSentimentSettings, saveSentimentSettings, sentimentWorkflowOptions } from "@/features/sentiment/sentiment.service";
import { sentimentSettingsFormSchema } from "@/features/sentiment/sentiment.schema";
import { AppError, type FieldError } from "@/lib/errors";
import { attemptForm, formFields, formText, parseForm, unprocessable } from "@/lib/forms";
import { setFlash, takeFlash } from "@/lib/flash";
import { hxRedirect, isHtmx } from "@/lib/htmx";
import { tText } from "@/lib/i18n";
import { DraftEditForm, DraftPanel } from "@views/suggestions/_draft";
import { GenerateForm, HitlSettingsPage, LearningPage, PromptSuggestionPage } from "@views/suggestions/index";
import {
  applyPromptSuggestion,
  generatePromptSuggestion,
  getPromptSuggestion,
  listPromptSuggestions,
  rejectPromptSuggestion,
} from "./prompt-suggestion.service";
import {
  applyPromptSuggestionSchema,
  discardSuggestionSchema,
  generatePromptSuggestionSchema,
  rejectPromptSuggestionSchema,
  replyModeSchema,
  sendSuggestionSchema,
} from "./suggestion.schema";
import {
  discardSuggestion,
  getSuggestion,
  listDepartmentModes,
  listLearningEvents,
  pendingSuggestion,
  sendSuggestion,
  setDepartmentReplyMode,
  setReplyMode,
  type SuggestedResponse,
} from "./suggestion.service";

const convParams = z.object({ id: z.string().max(64) });
const draftParams = z.object({ id: z.string().max(64), sid: z.string().max(64) });
const idParams = z.object({ id: z.string().max(64) });

/** Failures a draft action shows in the panel instead of an error page (a send refused by the instance…). */
const DRAFT_CODES = ["conflict", "quota_exceeded", "rate_limited", "provider_error", "outside_customer_window", "unsupported_by_provider"] as const;

/** The draft of this conversation (another conversation's draft id reads as 404). */
async function draftOf(admin: AdminContext, conversationId: string, id: string): Promise<SuggestedResponse> {
  const suggestion = await getSuggestion(admin, id);
  if (suggestion.conversationId !== conversationId) throw new AppError("not_found", tText("suggestions:errors.notFound"));
  return suggestion;
}

async function panel(admin: AdminContext, conversationId: string, errors?: FieldError[]) {
  const { conversation, suggestion } = await pendingSuggestion(admin, conversationId);
  return <DraftPanel conversation={conversation} suggestion={suggestion} errors={errors} />;
}

async function aiWorkflowOptions(admin: AdminContext) {
  return sentimentWorkflowOptions(admin.organization.id);
}

async function settingsPage(admin: AdminContext, csrfToken: string, flash?: ReturnType<typeof takeFlash>, errors?: FieldError[]) {
  const [departments, sentiment, workflows] = await Promise.all([
    listDepartmentModes(admin),
    getSentimentSettings(admin.organization.id),
    aiWorkflowOptions(admin),
  ]);
  return HitlSettingsPage({ admin, csrfToken, flash, departments, sentiment, workflows, errors });
}

async function suggestionPage(admin: AdminContext, csrfToken: string, id: string, flash?: ReturnType<typeof takeFlash>, errors?: FieldError[]) {
  const suggestion = await getPromptSuggestion(admin, id);
  return PromptSuggestionPage({
    admin,
    csrfToken,
    flash,
    suggestion,
    diff: diffText(suggestion.currentPrompt, suggestion.suggestedPrompt),
    canReview: can.manageAutomation(admin.role),
    errors,
  });
}

/**
 * Human in the loop pages: the AI's draft in the inbox (send, edit, discard; the conversation's AI
 * mode) for agents, and the learning page (prompt suggestions and their review, learning events,
 * hybrid mode per department, sentiment settings) for supervisors and above.
 */
export const suggestionsPages = new Elysia({ name: "suggestions-pages" })
  .use(csrfPlugin)
  .use(authPlugin)
  .get("/inbox/:id/suggestion", ({ admin, params }) => panel(admin, params.id), { member: "agent", params: convParams, detail: { hide: true } })
  .get(
    "/inbox/:id/suggestion/:sid/edit",
    async ({ admin, params, request }) => {
      const suggestion = await draftOf(admin, params.id, params.sid);
      if (!isHtmx(request)) return hxRedirect(request, `/inbox/${params.id}`);
      const { conversation } = await pendingSuggestion(admin, params.id);
      if (suggestion.status !== "pending") return panel(admin, params.id, [{ path: "(body)", message: tText("suggestions:errors.notPending") }]);
      return <DraftEditForm conversation={conversation} suggestion={suggestion} />;
    },
    { member: "agent", params: draftParams, detail: { hide: true } },
  )
  .post(
    "/inbox/:id/suggestion/:sid/send",
    async ({ admin, params, body, request, set, cookie }) => {
      const suggestion = await draftOf(admin, params.id, params.sid);
      const fields = formFields(body);
      const edited = typeof fields.text === "string";
      const parsed = parseForm(sendSuggestionSchema, edited ? { text: formText(fields.text) } : {});
      const rerender = async (errors: FieldError[]) => {
        if (!edited) return unprocessable(set, () => panel(admin, params.id, errors));
        const { conversation } = await pendingSuggestion(admin, params.id);
        return unprocessable(set, () => <DraftEditForm conversation={conversation} suggestion={suggestion} text={formText(fields.text)} errors={errors} />);
      };
      if (!parsed.ok) return rerender(parsed.errors);
      const sent = await attemptForm(() => sendSuggestion(admin, suggestion.id, parsed.value), { codes: DRAFT_CODES });
      if (!sent.ok) return rerender(sent.errors);
      if (!isHtmx(request)) {
        setFlash(cookie, "success", tText("suggestions:draft.sent"));
        return hxRedirect(request, `/inbox/${params.id}`);
      }
      return panel(admin, params.id);
    },
    { member: "agent", params: draftParams, detail: { hide: true } },
  )
  .post(
    "/inbox/:id/suggestion/:sid/discard",
    async ({ admin, params, body, request, set, cookie }) => {
      const suggestion = await draftOf(admin, params.id, params.sid);
      const parsed = parseForm(discardSuggestionSchema, { note: formText(formFields(body).note) || undefined });
      if (!parsed.ok) return unprocessable(set, () => panel(admin, params.id, parsed.errors));
      const done = await attemptForm(() => discardSuggestion(admin, suggestion.id, parsed.value), { codes: ["conflict"] });
      if (!done.ok) return unprocessable(set, () => panel(admin, params.id, done.errors));
      if (!isHtmx(request)) {
        setFlash(cookie, "success", tText("suggestions:draft.discarded"));
        return hxRedirect(request, `/inbox/${params.id}`);
      }
      return panel(admin, params.id);
    },
    { member: "agent", params: draftParams, detail: { hide: true } },
  )
  .post(
    "/inbox/:id/reply-mode",
    async ({ admin, params, body, request, set }) => {
      const parsed = parseForm(replyModeSchema, { mode: formText(formFields(body).mode) });
      if (!parsed.ok) return unprocessable(set, () => panel(admin, params.id, parsed.errors));
      await setReplyMode(admin, params.id, parsed.value.mode);
      if (!isHtmx(request)) return hxRedirect(request, `/inbox/${params.id}`);
      return panel(admin, params.id);
    },
    { member: "agent", params: convParams, detail: { hide: true } },
  )
  .get(
    "/learning",
    async ({ admin, csrfToken, cookie }) => {
      const [suggestions, events, workflows] = await Promise.all([listPromptSuggestions(admin), listLearningEvents(admin), aiWorkflowOptions(admin)]);
      return LearningPage({ admin, csrfToken, flash: takeFlash(cookie), suggestions, events, workflows });
    },
    { member: "supervisor", detail: { hide: true } },
  )
  .post(
    "/learning/suggestions",
    async ({ admin, body, request, set, cookie }) => {
      const rerender = async (errors: FieldError[]) => {
        const workflows = await aiWorkflowOptions(admin);
        return unprocessable(set, () => GenerateForm({ workflows, errors }));
      };
      const parsed = parseForm(generatePromptSuggestionSchema, { workflowId: formText(formFields(body).workflowId) });
      if (!parsed.ok) return rerender(parsed.errors);
      const created = await attemptForm(() => generatePromptSuggestion(admin, parsed.value.workflowId), {
        codes: ["conflict", "quota_exceeded", "provider_error"],
      });
      if (!created.ok) return rerender(created.errors);
      setFlash(cookie, "success", tText("suggestions:prompt.generated"));
      return hxRedirect(request, `/learning/suggestions/${created.value.id}`);
    },
    { member: "supervisor", detail: { hide: true } },
  )
  .get("/learning/suggestions/:id", ({ admin, csrfToken, cookie, params }) => suggestionPage(admin, csrfToken, params.id, takeFlash(cookie)), {
    member: "supervisor",
    params: idParams,
    detail: { hide: true },
  })
  .post(
    "/learning/suggestions/:id/apply",
    async ({ admin, csrfToken, params, body, request, set, cookie }) => {
      const changelog = formText(formFields(body).changelog).trim();
      const parsed = parseForm(applyPromptSuggestionSchema, changelog ? { changelog } : {});
      if (!parsed.ok) return unprocessable(set, () => suggestionPage(admin, csrfToken, params.id, undefined, parsed.errors));
      const applied = await attemptForm(() => applyPromptSuggestion(admin, params.id, parsed.value), { codes: ["conflict"] });
      if (!applied.ok) return unprocessable(set, () => suggestionPage(admin, csrfToken, params.id, undefined, applied.errors));
      setFlash(cookie, "success", tText("suggestions:prompt.applied", { version: applied.value.appliedVersion ?? 0 }));
      return hxRedirect(request, `/learning/suggestions/${params.id}`);
    },
    { member: "supervisor", params: idParams, detail: { hide: true } },
  )
  .post(
    "/learning/suggestions/:id/reject",
    async ({ admin, csrfToken, params, body, request, set, cookie }) => {
      const parsed = parseForm(rejectPromptSuggestionSchema, { note: formText(formFields(body).note) });
      if (!parsed.ok) return unprocessable(set, () => suggestionPage(admin, csrfToken, params.id, undefined, parsed.errors));
      const rejected = await attemptForm(() => rejectPromptSuggestion(admin, params.id, parsed.value), { codes: ["conflict"] });
      if (!rejected.ok) return unprocessable(set, () => suggestionPage(admin, csrfToken, params.id, undefined, rejected.errors));
      setFlash(cookie, "success", tText("suggestions:prompt.rejected"));
      return hxRedirect(request, `/learning/suggestions/${params.id}`);
    },
    { member: "supervisor", params: idParams, detail: { hide: true } },
  )
  .get("/learning/settings", ({ admin, csrfToken, cookie }) => settingsPage(admin, csrfToken, takeFlash(cookie)), {
    member: "supervisor",
    detail: { hide: true },
  })
  .post(
    "/learning/departments/:id",
    async ({ admin, params, body, request, cookie }) => {
      const draft = formFields(body).draftReplies;
      await setDepartmentReplyMode(admin, params.id, draft === "on" || draft === "true" || draft === "1");
      setFlash(cookie, "success", tText("suggestions:settings.departmentSaved"));
      return hxRedirect(request, "/learning/settings");
    },
    { member: "supervisor", params: idParams, detail: { hide: true } },
  )
  .post(
    "/learning/sentiment",
    async ({ admin, csrfToken, body, request, set, cookie }) => {
      const parsed = parseForm(sentimentSettingsFormSchema, formFields(body));
      if (!parsed.ok) return unprocessable(set, () => settingsPage(admin, csrfToken, undefined, parsed.errors));
      const saved = await attemptForm(() => saveSentimentSettings(admin, parsed.value));
      if (!saved.ok) return unprocessable(set, () => settingsPage(admin, csrfToken, undefined, saved.errors));
      setFlash(cookie, "success", tText("suggestions:sentiment.settings.saved"));
      return hxRedirect(request, "/learning/settings");
    },
    { member: "supervisor", detail: { hide: true } },
  );
