import { Elysia } from "elysia";
import { z } from "zod";
import { csrfPlugin } from "@/auth/csrf";
import { authPlugin, type AdminContext } from "@/auth/plugin";
import { AppError } from "@/lib/errors";
import { attemptForm, formFields, formList, parseForm, type FormResult } from "@/lib/forms";
import { setFlash, setReveal, takeFlash, takeReveal } from "@/lib/flash";
import { hxRedirect } from "@/lib/htmx";
import { formatDateTime, tText, zonedWallTimeToDate } from "@/lib/i18n";
import { DeliveryPage } from "@views/webhooks/delivery";
import { WebhookFormPage, type WebhookFormValues } from "@views/webhooks/_form";
import { SecretPage, WebhooksPage } from "@views/webhooks/index";
import { DeliveryRows, WebhookShowPage, type DeliveryFilters } from "@views/webhooks/show";
import { getDelivery, listDeliveriesForWebhook, recoverDeliveries, retryDelivery } from "./delivery.log";
import { createWebhookSchema, headerLines, listDeliveriesQuery, parseHeaderLines, recoverSchema, updateWebhookSchema } from "./webhook.schema";
import {
  createWebhook,
  deleteWebhook,
  getWebhook,
  listInstanceChoices,
  listWebhooks,
  maskedHeaders,
  rotateWebhookSecret,
  sendTestEvent,
  updateWebhook,
  webhookStats,
  type Webhook,
} from "./webhook.service";

const idParams = z.object({ id: z.string().max(64) });
const deliveryParams = z.object({ id: z.string().max(64), deliveryId: z.string().max(64) });

function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

/** The posted form as the view re-renders it. */
function formValues(body: unknown): WebhookFormValues {
  const b = formFields(body);
  return {
    kind: str(b.kind),
    url: str(b.url),
    exchange: str(b.exchange),
    stream: str(b.stream),
    name: str(b.name),
    eventTypes: formList(b.eventTypes),
    instanceIds: formList(b.instanceIds),
    headers: str(b.headers),
  };
}

/** An empty sink field means the default (null); a field the form did not show is left out. */
const optionalName = (v: string | undefined) => (v === undefined ? undefined : v.trim() || null);

/** Form values → the API's input shape (unchecked groups mean "all"), validated by the same zod schema. */
function parseWebhookForm<T extends typeof createWebhookSchema | typeof updateWebhookSchema>(schema: T, values: WebhookFormValues): FormResult<z.infer<T>> {
  const headers = parseHeaderLines(values.headers ?? "");
  const input = {
    ...(schema === createWebhookSchema ? { kind: values.kind || undefined } : {}),
    exchange: optionalName(values.exchange),
    stream: optionalName(values.stream),
    url: values.url ?? "",
    name: values.name ?? "",
    eventTypes: values.eventTypes?.length ? values.eventTypes : null,
    instanceIds: values.instanceIds?.length ? values.instanceIds : null,
    headers: headers.headers,
  };
  return parseForm(
    schema,
    input,
    headers.errors.map((message) => ({ path: "headers", message })),
  ) as FormResult<z.infer<T>>;
}

function toFormValues(w: Webhook): WebhookFormValues {
  return {
    kind: w.kind,
    url: w.url,
    exchange: w.sinkOptions?.exchange,
    stream: w.sinkOptions?.stream,
    name: w.name,
    eventTypes: w.eventTypes ?? [],
    instanceIds: w.instanceIds ?? [],
    headers: headerLines(maskedHeaders(w.headersEnc)),
  };
}

/** A `datetime-local` value has no zone; the form names the reader's, so it is read on their clock. */
function zonedInput(value: unknown): string {
  const s = str(value)?.trim() ?? "";
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(s) ? zonedWallTimeToDate(s).toISOString() : s;
}

const deliveryNotFound = () => new AppError("not_found", tText("webhooks:errors.deliveryNotFound"));
const editTitle = (webhook: Webhook) => tText("webhooks:form.editTitle", { name: webhook.name || tText("webhooks:form.endpointFallback") });

async function showPage(admin: AdminContext, webhook: Webhook, query: Record<string, unknown>) {
  const parsed = listDeliveriesQuery.safeParse({ ...query, status: str(query.status) || undefined, eventType: str(query.eventType) || undefined, limit: 50 });
  const filters: DeliveryFilters = parsed.success ? { status: parsed.data.status, eventType: parsed.data.eventType } : {};
  const [page, stats] = await Promise.all([
    listDeliveriesForWebhook(admin.organization.id, webhook.id, parsed.success ? parsed.data : { limit: 50 }),
    webhookStats(admin.organization.id, [webhook.id]),
  ]);
  return { deliveries: page.data, nextCursor: page.nextCursor, filters, stats: stats.get(webhook.id), cursor: parsed.success ? parsed.data.cursor : undefined };
}

/** Admin pages for webhook endpoints (admins and owners): list, create, edit, log, retry, recover. */
export const webhookPages = new Elysia({ name: "webhook-pages" })
  .use(csrfPlugin)
  .use(authPlugin)
  .get(
    "/webhooks",
    async ({ admin, csrfToken, cookie }) => {
      const { data: hooks } = await listWebhooks(admin.organization.id, { limit: 100 });
      const stats = await webhookStats(
        admin.organization.id,
        hooks.map((h) => h.id),
      );
      return <WebhooksPage admin={admin} csrfToken={csrfToken} flash={takeFlash(cookie)} hooks={hooks} stats={stats} />;
    },
    { member: "admin", detail: { hide: true } },
  )
  .get(
    "/webhooks/new",
    async ({ admin, csrfToken }) => (
      <WebhookFormPage
        admin={admin}
        csrfToken={csrfToken}
        title={tText("webhooks:form.newTitle")}
        action="/webhooks"
        values={{}}
        instances={await listInstanceChoices(admin.organization.id)}
        submitLabel={tText("webhooks:form.create")}
        backHref="/webhooks"
      />
    ),
    { member: "admin", detail: { hide: true } },
  )
  .post(
    "/webhooks",
    async ({ admin, csrfToken, body, request, set, cookie }) => {
      const values = formValues(body);
      const parsed = parseWebhookForm(createWebhookSchema, values);
      const result = parsed.ok ? await attemptForm(() => createWebhook(admin, parsed.value)) : parsed;
      if (!result.ok) {
        set.status = 422;
        return (
          <WebhookFormPage
            admin={admin}
            csrfToken={csrfToken}
            title={tText("webhooks:form.newTitle")}
            action="/webhooks"
            values={values}
            errors={result.errors}
            instances={await listInstanceChoices(admin.organization.id)}
            submitLabel={tText("webhooks:form.create")}
            backHref="/webhooks"
          />
        );
      }
      // Post → redirect → get: a refresh or a second click cannot create another endpoint; the secret rides along once.
      setReveal(cookie, `webhook:${result.value.webhook.id}`, { secret: result.value.secret, title: tText("webhooks:secret.created") });
      return hxRedirect(request, `/webhooks/${result.value.webhook.id}`);
    },
    { member: "admin", detail: { hide: true } },
  )
  .get(
    "/webhooks/:id",
    async ({ admin, csrfToken, cookie, params, query }) => {
      const webhook = await getWebhook(admin.organization.id, params.id);
      // Right after create or rotate, the new secret is shown this once (the response is no-store like every page).
      const reveal = takeReveal(cookie, `webhook:${webhook.id}`);
      if (reveal?.secret)
        return (
          <SecretPage
            admin={admin}
            csrfToken={csrfToken}
            webhook={webhook}
            secret={reveal.secret}
            title={reveal.title ?? tText("webhooks:secret.title")}
            note={reveal.note}
          />
        );
      const data = await showPage(admin, webhook, query as Record<string, unknown>);
      return <WebhookShowPage admin={admin} csrfToken={csrfToken} flash={takeFlash(cookie)} webhook={webhook} {...data} />;
    },
    { member: "admin", params: idParams, detail: { hide: true } },
  )
  .get(
    "/webhooks/:id/log",
    async ({ admin, params, query }) => {
      const webhook = await getWebhook(admin.organization.id, params.id);
      const parsed = listDeliveriesQuery.safeParse({ status: str(query.status) || undefined, eventType: str(query.eventType) || undefined, limit: 50 });
      const filters: DeliveryFilters = parsed.success ? { status: parsed.data.status, eventType: parsed.data.eventType } : {};
      const page = await listDeliveriesForWebhook(admin.organization.id, webhook.id, parsed.success ? parsed.data : { limit: 50 });
      return <DeliveryRows webhook={webhook} deliveries={page.data} nextCursor={page.nextCursor} filters={filters} />;
    },
    { member: "admin", params: idParams, detail: { hide: true } },
  )
  .get(
    "/webhooks/:id/edit",
    async ({ admin, csrfToken, params }) => {
      const webhook = await getWebhook(admin.organization.id, params.id);
      return (
        <WebhookFormPage
          admin={admin}
          csrfToken={csrfToken}
          title={editTitle(webhook)}
          action={`/webhooks/${webhook.id}`}
          values={toFormValues(webhook)}
          instances={await listInstanceChoices(admin.organization.id)}
          submitLabel={tText("common:actions.save")}
          backHref={`/webhooks/${webhook.id}`}
          kindLocked
        />
      );
    },
    { member: "admin", params: idParams, detail: { hide: true } },
  )
  .post(
    "/webhooks/:id",
    async ({ admin, csrfToken, body, params, request, set, cookie }) => {
      const webhook = await getWebhook(admin.organization.id, params.id);
      const values = formValues(body);
      const parsed = parseWebhookForm(updateWebhookSchema, values);
      const result = parsed.ok ? await attemptForm(() => updateWebhook(admin, webhook.id, parsed.value)) : parsed;
      if (!result.ok) {
        set.status = 422;
        return (
          <WebhookFormPage
            admin={admin}
            csrfToken={csrfToken}
            title={editTitle(webhook)}
            action={`/webhooks/${webhook.id}`}
            values={{ ...values, kind: webhook.kind }}
            errors={result.errors}
            instances={await listInstanceChoices(admin.organization.id)}
            submitLabel={tText("common:actions.save")}
            backHref={`/webhooks/${webhook.id}`}
            kindLocked
          />
        );
      }
      setFlash(cookie, "success", tText("webhooks:flash.saved"));
      return hxRedirect(request, `/webhooks/${webhook.id}`);
    },
    { member: "admin", params: idParams, detail: { hide: true } },
  )
  .post(
    "/webhooks/:id/enable",
    async ({ admin, params, request, cookie }) => {
      const webhook = await updateWebhook(admin, params.id, { active: true });
      setFlash(cookie, "success", tText("webhooks:flash.enabled"));
      return hxRedirect(request, `/webhooks/${webhook.id}`);
    },
    { member: "admin", params: idParams, detail: { hide: true } },
  )
  .post(
    "/webhooks/:id/disable",
    async ({ admin, params, request, cookie }) => {
      const webhook = await updateWebhook(admin, params.id, { active: false });
      setFlash(cookie, "info", tText("webhooks:flash.disabled"));
      return hxRedirect(request, `/webhooks/${webhook.id}`);
    },
    { member: "admin", params: idParams, detail: { hide: true } },
  )
  .post(
    "/webhooks/:id/delete",
    async ({ admin, params, request, cookie }) => {
      await deleteWebhook(admin, params.id);
      setFlash(cookie, "success", tText("webhooks:flash.deleted"));
      return hxRedirect(request, "/webhooks");
    },
    { member: "admin", params: idParams, detail: { hide: true } },
  )
  .post(
    "/webhooks/:id/rotate",
    async ({ admin, params, request, cookie }) => {
      const { webhook, secret, previousSecretExpiresAt } = await rotateWebhookSecret(admin, params.id);
      setReveal(cookie, `webhook:${webhook.id}`, {
        secret,
        title: tText("webhooks:secret.rotated"),
        note: tText("webhooks:secret.rotatedNote", { at: formatDateTime(previousSecretExpiresAt) }),
      });
      return hxRedirect(request, `/webhooks/${webhook.id}`);
    },
    { member: "admin", params: idParams, detail: { hide: true } },
  )
  .post(
    "/webhooks/:id/test",
    async ({ admin, params, request, cookie }) => {
      await sendTestEvent(admin, params.id);
      setFlash(cookie, "success", tText("webhooks:flash.testQueued"));
      return hxRedirect(request, `/webhooks/${params.id}`);
    },
    { member: "admin", params: idParams, detail: { hide: true } },
  )
  .post(
    "/webhooks/:id/recover",
    async ({ admin, csrfToken, params, body, request, set, cookie }) => {
      const webhook = await getWebhook(admin.organization.id, params.id);
      const raw = formFields(body);
      const parsed = parseForm(recoverSchema, { since: zonedInput(raw.since) || undefined });
      if (!parsed.ok) {
        set.status = 422;
        const data = await showPage(admin, webhook, {});
        return <WebhookShowPage admin={admin} csrfToken={csrfToken} webhook={webhook} {...data} recoverErrors={parsed.errors} recoverSince={str(raw.since)} />;
      }
      const count = await recoverDeliveries(admin.organization.id, webhook.id, parsed.value.since);
      setFlash(cookie, "success", tText("webhooks:flash.recovered", { count }));
      return hxRedirect(request, `/webhooks/${webhook.id}`);
    },
    { member: "admin", params: idParams, detail: { hide: true } },
  )
  .get(
    "/webhooks/:id/deliveries/:deliveryId",
    async ({ admin, csrfToken, cookie, params }) => {
      const webhook = await getWebhook(admin.organization.id, params.id);
      const { delivery, attempts } = await getDelivery(admin.organization.id, params.deliveryId);
      if (delivery.webhookId !== webhook.id) throw deliveryNotFound();
      return <DeliveryPage admin={admin} csrfToken={csrfToken} flash={takeFlash(cookie)} webhook={webhook} delivery={delivery} attempts={attempts} />;
    },
    { member: "admin", params: deliveryParams, detail: { hide: true } },
  )
  .post(
    "/webhooks/:id/deliveries/:deliveryId/retry",
    async ({ admin, params, request, cookie }) => {
      const delivery = await retryDelivery(admin.organization.id, params.deliveryId, params.id);
      setFlash(cookie, "success", tText("webhooks:flash.retryQueued"));
      return hxRedirect(request, `/webhooks/${delivery.webhookId}/deliveries/${delivery.id}`);
    },
    { member: "admin", params: deliveryParams, detail: { hide: true } },
  );
