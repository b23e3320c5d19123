import { Elysia } from "elysia";
import { z } from "zod";
import { csrfPlugin } from "@/auth/csrf";
import { authPlugin, type AdminContext } from "@/auth/plugin";
import { can } from "@/auth/roles";
import type { Caller } from "@/lib/caller";
import { AppError } from "@/lib/errors";
import { formValues, parseForm, type FormResult } from "@/lib/forms";
import { setFlash, takeFlash } from "@/lib/flash";
import { tText } from "@/lib/i18n";
import { hxRedirect, isHtmx } from "@/lib/htmx";
import { ConnectionPanel } from "@views/instances/_connection";
import { CreateInstanceForm, PairingForm, ProxyForm, RenameForm, SimulatorForm, TestMessageForm, type FormState } from "@views/instances/_forms";
import { InstancesPage } from "@views/instances/index";
import { InstancePage } from "@views/instances/show";
import { createInputFromForm, createInstanceSchema, maskProxyUrl, pairingCodeSchema, proxyUrlSchema, simulateInboundSchema } from "./instance.schema";
import { sendTestMessage } from "./instance.outbound";
import { sandboxActions } from "./instance.sandbox";
import { setInstanceProxy } from "./instance.proxy";
import {
  connectInstance,
  createInstance,
  deleteInstance,
  getInstance,
  getInstanceQr,
  listAllInstances,
  logoutInstance,
  requestPairingCode,
  updateInstance,
} from "./instance.service";
import { isPairing } from "@views/instances/_status";

function echoProxy(value: string): string {
  try {
    return maskProxyUrl(value);
  } catch {
    return value;
  }
}

/** Expected failures a form shows inline (422) instead of an error page. */
const INLINE_CODES = new Set(["validation_failed", "conflict", "provider_error", "quota_exceeded", "rate_limited"]);

/**
 * Runs a form action; expected failures come back as field errors, everything else propagates. Like
 * lib/forms' attemptForm, but provider and quota refusals are inline too, and a refusal whose details
 * name no field (an instance limit) shows its summary.
 */
export async function attempt<T>(fn: () => Promise<T>): Promise<FormResult<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (err) {
    if (err instanceof AppError && INLINE_CODES.has(err.code)) {
      const details = err.code === "validation_failed" && err.details?.length ? err.details : [];
      // Keep the summary message too when details are only general ("(body)").
      const general = details.length === 0 || details.every((d) => d.path === "(body)") ? [{ path: "(body)", message: err.message }] : [];
      return { ok: false, errors: [...details.filter((d) => d.path !== "(body)"), ...general] };
    }
    throw err;
  }
}

function requireManager(admin: AdminContext) {
  if (!can.manageInstances(admin.role)) throw new AppError("forbidden", tText("instances:errors.manageForbidden"));
}

/**
 * The connection panel's data: the instance and, while pairing, a fresh QR code. Shared with /try.
 * A provider failure shows inside the panel rather than breaking the page.
 */
export async function connectionState(caller: Caller, id: string) {
  let instance = await getInstance(caller, id);
  let qr: { code: string; image: string } | undefined;
  let error: string | undefined;
  if (isPairing(instance.status)) {
    const result = await attempt(() => getInstanceQr(caller, id));
    if (result.ok) {
      qr = result.value.qr;
      if (result.value.status !== instance.status) instance = await getInstance(caller, id);
    } else error = result.errors.map((e) => e.message).join(" ");
  }
  return { instance, qr, error };
}

/** Runs a connection action (connect, scan, log out) and answers with the refreshed panel. */
export async function connectionAction(caller: Caller, id: string, action: () => Promise<unknown>) {
  const result = await attempt(action);
  const state = await connectionState(caller, id);
  return { ...state, error: result.ok ? state.error : result.errors.map((e) => e.message).join(" ") };
}

const idParams = z.object({ id: z.string().max(64) });

type PanelContext = { admin: AdminContext; csrfToken: string; params: { id: string }; request: Request; cookie: Parameters<typeof setFlash>[0] };

/** Connect / simulate scan / log out from the instance page: answers with the refreshed panel. */
async function panelAction({ admin, csrfToken, params, request, cookie }: PanelContext, run: (caller: Caller, id: string) => Promise<unknown>) {
  requireManager(admin);
  const { instance, qr, error } = await connectionAction(admin, params.id, () => run(admin, params.id));
  if (!isHtmx(request)) {
    if (error) setFlash(cookie, "error", error);
    return hxRedirect(request, `/instances/${instance.id}`);
  }
  return <ConnectionPanel instance={instance} csrfToken={csrfToken} qr={qr} error={error} base={`/instances/${instance.id}`} canManage />;
}
const hide = { hide: true };

/** Admin pages for instances: list + create, and one page per instance with live connection status. */
export const instancePages = new Elysia({ name: "instance-pages" })
  .use(csrfPlugin)
  .use(authPlugin)
  .get(
    "/instances",
    async ({ admin, csrfToken, cookie }) => {
      const instances = await listAllInstances(admin);
      return (
        <InstancesPage
          admin={admin}
          csrfToken={csrfToken}
          flash={takeFlash(cookie)}
          instances={instances}
          canManage={can.manageInstances(admin.role)}
          maxInstances={admin.organization.maxInstances}
        />
      );
    },
    { member: "agent", detail: hide },
  )
  .post(
    "/instances",
    async ({ admin, csrfToken, body, request, set, cookie }) => {
      requireManager(admin);
      const values = formValues(body);
      const parsed = parseForm(createInstanceSchema, createInputFromForm(values));
      const result = parsed.ok ? await attempt(() => createInstance(admin, parsed.value)) : parsed;
      if (result.ok) {
        setFlash(cookie, "success", tText("instances:flash.created", { name: result.value.name }));
        return hxRedirect(request, `/instances/${result.value.id}`);
      }
      set.status = 422;
      // Secrets typed into the form are never echoed back.
      const form: FormState = {
        values: { name: values.name ?? "", provider: values.provider ?? "sandbox", phoneNumberId: values.phoneNumberId ?? "" },
        errors: result.errors,
      };
      if (isHtmx(request)) return <CreateInstanceForm csrfToken={csrfToken} state={form} />;
      const instances = await listAllInstances(admin);
      return <InstancesPage admin={admin} csrfToken={csrfToken} instances={instances} canManage form={form} maxInstances={admin.organization.maxInstances} />;
    },
    { member: "supervisor", detail: hide },
  )
  .get(
    "/instances/:id",
    async ({ admin, csrfToken, cookie, params }) => {
      const { instance, qr, error } = await connectionState(admin, params.id);
      return (
        <InstancePage
          admin={admin}
          csrfToken={csrfToken}
          flash={takeFlash(cookie)}
          instance={instance}
          canManage={can.manageInstances(admin.role)}
          state={{ qr, connectionError: error }}
        />
      );
    },
    { member: "agent", params: idParams, detail: hide },
  )
  .get(
    "/instances/:id/connection",
    async ({ admin, csrfToken, params }) => {
      const { instance, qr, error } = await connectionState(admin, params.id);
      return (
        <ConnectionPanel
          instance={instance}
          csrfToken={csrfToken}
          qr={qr}
          error={error}
          base={`/instances/${instance.id}`}
          canManage={can.manageInstances(admin.role)}
        />
      );
    },
    { member: "agent", params: idParams, detail: hide },
  )
  .post("/instances/:id/connect", (ctx) => panelAction(ctx, (caller, id) => connectInstance(caller, id)), {
    member: "supervisor",
    params: idParams,
    detail: hide,
  })
  .post("/instances/:id/scan", (ctx) => panelAction(ctx, async (caller, id) => sandboxActions().pair(await getInstance(caller, id))), {
    member: "supervisor",
    params: idParams,
    detail: hide,
  })
  .post("/instances/:id/logout", (ctx) => panelAction(ctx, (caller, id) => logoutInstance(caller, id)), {
    member: "supervisor",
    params: idParams,
    detail: hide,
  })
  .post(
    "/instances/:id/pairing-code",
    async ({ admin, csrfToken, params, request, body, set }) => {
      requireManager(admin);
      const instance = await getInstance(admin, params.id);
      const values = formValues(body);
      const parsed = parseForm(pairingCodeSchema, values);
      const result = parsed.ok ? await attempt(() => requestPairingCode(admin, instance.id, parsed.value.phone)) : parsed;
      const state: FormState & { code?: string } = result.ok ? { values, code: result.value.code } : { values, errors: result.errors };
      if (!result.ok) set.status = 422;
      if (isHtmx(request)) return <PairingForm base={`/instances/${instance.id}`} csrfToken={csrfToken} state={state} code={state.code} />;
      return <InstancePage admin={admin} csrfToken={csrfToken} instance={instance} canManage state={{ pairing: state }} />;
    },
    { member: "supervisor", params: idParams, detail: hide },
  )
  .post(
    "/instances/:id/proxy",
    async ({ admin, csrfToken, params, request, body, set, cookie }) => {
      requireManager(admin);
      const values = formValues(body);
      const remove = values.action === "remove";
      const parsed = remove ? ({ ok: true, value: { url: null } } as const) : parseForm(z.object({ url: proxyUrlSchema }), values);
      const result = parsed.ok ? await attempt(() => setInstanceProxy(admin, params.id, parsed.value.url)) : parsed;
      const notice = tText(remove ? "instances:proxy.removed" : "instances:proxy.saved");
      if (result.ok && !isHtmx(request)) {
        setFlash(cookie, "success", notice);
        return hxRedirect(request, `/instances/${result.value.id}`);
      }
      const instance = result.ok ? result.value : await getInstance(admin, params.id);
      // A refused address comes back without its password.
      const state: FormState = result.ok ? { notice } : { values: { url: echoProxy(values.url ?? "") }, errors: result.errors };
      if (!result.ok) set.status = 422;
      if (isHtmx(request)) return <ProxyForm instance={instance} csrfToken={csrfToken} state={state} />;
      return <InstancePage admin={admin} csrfToken={csrfToken} instance={instance} canManage state={{ proxy: state }} />;
    },
    { member: "supervisor", params: idParams, detail: hide },
  )
  .post(
    "/instances/:id/rename",
    async ({ admin, csrfToken, params, request, body, set, cookie }) => {
      requireManager(admin);
      const values = formValues(body);
      const parsed = parseForm(z.object({ name: createInstanceSchema.shape.name }), values);
      const result = parsed.ok ? await attempt(() => updateInstance(admin, params.id, { name: parsed.value.name })) : parsed;
      if (result.ok && !isHtmx(request)) {
        setFlash(cookie, "success", tText("instances:rename.saved"));
        return hxRedirect(request, `/instances/${result.value.id}`);
      }
      const instance = result.ok ? result.value : await getInstance(admin, params.id);
      const state: FormState = result.ok ? { notice: tText("instances:rename.saved") } : { values, errors: result.errors };
      if (!result.ok) set.status = 422;
      if (isHtmx(request)) return <RenameForm instance={instance} csrfToken={csrfToken} state={state} />;
      return <InstancePage admin={admin} csrfToken={csrfToken} instance={instance} canManage state={{ rename: state }} />;
    },
    { member: "supervisor", params: idParams, detail: hide },
  )
  .post(
    "/instances/:id/test-message",
    async ({ admin, csrfToken, params, request, body, set, cookie }) => {
      requireManager(admin);
      const instance = await getInstance(admin, params.id);
      const values = formValues(body);
      const result = await attempt(() => sendTestMessage(admin, instance.id, values));
      const notice = result.ok ? tText("instances:test.queued", { to: result.value.to }) : undefined;
      if (result.ok && !isHtmx(request)) {
        setFlash(cookie, "success", notice!);
        return hxRedirect(request, `/instances/${instance.id}`);
      }
      const state: FormState = result.ok ? { values: { to: values.to ?? "" }, notice } : { values, errors: result.errors };
      if (!result.ok) set.status = 422;
      if (isHtmx(request)) return <TestMessageForm base={`/instances/${instance.id}`} csrfToken={csrfToken} state={state} />;
      return <InstancePage admin={admin} csrfToken={csrfToken} instance={instance} canManage state={{ test: state }} />;
    },
    { member: "supervisor", params: idParams, detail: hide },
  )
  .post(
    "/instances/:id/simulate-inbound",
    async ({ admin, csrfToken, params, request, body, set, cookie }) => {
      requireManager(admin);
      const instance = await getInstance(admin, params.id);
      const values = formValues(body);
      const parsed = parseForm(simulateInboundSchema, values);
      const result = parsed.ok ? await attempt(() => sandboxActions().inbound(instance, parsed.value)) : parsed;
      const notice = parsed.ok ? tText("instances:simulate.received", { text: parsed.value.text.slice(0, 60), from: parsed.value.from }) : undefined;
      if (result.ok && !isHtmx(request)) {
        setFlash(cookie, "success", notice!);
        return hxRedirect(request, `/instances/${instance.id}`);
      }
      const state: FormState = result.ok ? { values: { from: values.from ?? "", name: values.name ?? "" }, notice } : { values, errors: result.errors };
      if (!result.ok) set.status = 422;
      if (isHtmx(request)) return <SimulatorForm base={`/instances/${instance.id}`} csrfToken={csrfToken} state={state} />;
      return <InstancePage admin={admin} csrfToken={csrfToken} instance={instance} canManage state={{ simulate: state }} />;
    },
    { member: "supervisor", params: idParams, detail: hide },
  )
  .post(
    "/instances/:id/delete",
    async ({ admin, params, request, cookie }) => {
      requireManager(admin);
      // The admin confirmed; a provider that cannot be reached must not keep the instance alive.
      const deleted = await deleteInstance(admin, params.id, { force: true });
      setFlash(cookie, "success", tText("instances:flash.deleted", { name: deleted.name }));
      return hxRedirect(request, "/instances");
    },
    { member: "supervisor", params: idParams, detail: hide },
  );
