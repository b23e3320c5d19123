import { Elysia } from "elysia";
import { z } from "zod";
import { csrfPlugin } from "@/auth/csrf";
import { authPlugin } from "@/auth/plugin";
import { getConversation } from "@/features/conversations/conversation.service";
import { type FieldError, validationFailed } from "@/lib/errors";
import { attemptForm, formFields, formText, parseForm, unprocessable } from "@/lib/forms";
import { setFlash, takeFlash } from "@/lib/flash";
import { hxRedirect } from "@/lib/htmx";
import { tText } from "@/lib/i18n";
import { PromiseForm, PromisesIndex } from "@views/collections/index";
import { createPromiseSchema, promiseListQuerySchema, updatePromiseSchema } from "./promise.schema";
import { createPromise, listPromises, promiseJson, updatePromise } from "./promise.service";

const idParams = z.object({ id: z.string() });

/** The promises page: the list by status, recording one (from a conversation: `?conversationId=`), marking paid / broken. */
export const collectionsPages = new Elysia({ name: "collections-pages" })
  .use(csrfPlugin)
  .use(authPlugin)
  .get(
    "/collections/promises",
    async ({ admin, csrfToken, cookie, query }) => {
      const status = promiseListQuerySchema.shape.status.safeParse(query.status);
      const cursor = typeof query.cursor === "string" ? query.cursor : undefined;
      const conversationId = typeof query.conversationId === "string" ? query.conversationId : undefined;
      // From a conversation: it must be one the member sees (404 otherwise).
      const row = conversationId ? await getConversation(admin, conversationId) : null;
      const page = await listPromises(admin, promiseListQuerySchema.parse({ status: status.success ? status.data : undefined, cursor }));
      return PromisesIndex({
        admin,
        csrfToken,
        flash: takeFlash(cookie),
        promises: page.data.map(promiseJson),
        status: status.success ? status.data : undefined,
        nextCursor: page.nextCursor,
        form: {
          values: row ? { conversationId: row.conversation.id } : {},
          contactLabel: row ? (row.contact.name ?? row.contact.phone ?? undefined) : undefined,
        },
      });
    },
    { member: "agent" },
  )
  .post(
    "/collections/promises",
    async ({ admin, body, request, set, cookie }) => {
      const fields = formFields(body);
      const values = {
        conversationId: formText(fields.conversationId),
        phone: formText(fields.phone),
        amountCents: formText(fields.amountCents),
        dueDate: formText(fields.dueDate),
        method: formText(fields.method),
        notes: formText(fields.notes),
      };
      const rerender = (errors: FieldError[]) => unprocessable(set, () => PromiseForm({ values, errors }));
      const parsed = parseForm(createPromiseSchema, values);
      if (!parsed.ok) return rerender(parsed.errors);
      const created = await attemptForm(() => createPromise(admin, parsed.value));
      if (!created.ok) return rerender(created.errors);
      setFlash(cookie, "success", tText("collections:flash.created"));
      return hxRedirect(request, "/collections/promises");
    },
    { member: "agent" },
  )
  .post(
    "/collections/promises/:id",
    async ({ admin, params, body, request, cookie }) => {
      const parsed = parseForm(updatePromiseSchema, { status: formText(formFields(body).status) || undefined });
      if (!parsed.ok) throw validationFailed(parsed.errors);
      await updatePromise(admin, params.id, parsed.value);
      setFlash(cookie, "success", tText("collections:flash.saved"));
      return hxRedirect(request, "/collections/promises");
    },
    { member: "agent", params: idParams },
  );
