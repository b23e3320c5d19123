import { Elysia } from "elysia";
import { csrfPlugin } from "@/auth/csrf";
import { config } from "@/config";
import { ensureVisitorDevice, readDeviceId } from "@/features/devices/device.cookie";
import { findVisitorDevice } from "@/features/devices/device.service";
import { simulateInboundSchema } from "@/features/instances/instance.schema";
import { attempt, connectionAction, connectionState } from "@/features/instances/instance.pages";
import { connectInstance, getInstance } from "@/features/instances/instance.service";
import { deviceCaller, type Caller } from "@/lib/caller";
import { AppError } from "@/lib/errors";
import { formValues, parseForm } from "@/lib/forms";
import { setFlash, takeFlash } from "@/lib/flash";
import { hxRedirect, isHtmx } from "@/lib/htmx";
import { tText } from "@/lib/i18n";
import { sandboxInbound, sandboxPair } from "@/features/inbound/sandbox.service";
import { ConnectionPanel } from "@views/instances/_connection";
import { SimulatorForm, type FormState } from "@views/instances/_forms";
import { TryKey, TryPage } from "@views/try/index";
import { findTryInstance, rotateTryKey, startTry } from "./try.service";

type Jar = Parameters<typeof readDeviceId>[0];

/** The visitor's device and sandbox instance from the cookie, without creating anything. */
async function currentTry(cookie: Jar) {
  const deviceId = readDeviceId(cookie);
  const device = deviceId ? await findVisitorDevice(deviceId) : null;
  const instance = device ? await findTryInstance(device.id) : null;
  return { device, instance };
}

/** The visitor's instance, or 404 for a browser that has not started a trial (or already signed up). */
async function requireTry(cookie: Jar) {
  const { device, instance } = await currentTry(cookie);
  if (!device || !instance) throw new AppError("not_found", tText("try:errors.startFirst"));
  return { device, instance, visitor: deviceCaller(device.id) };
}

const hide = { hide: true };

/** `/try`: try before sign-up — one sandbox number per visitor device, its QR, a key and a curl example. */
export const tryPages = new Elysia({ name: "try-pages" })
  .use(csrfPlugin)
  .get(
    "/try",
    async ({ cookie, csrfToken, set }) => {
      set.headers["cache-control"] = "no-store";
      const { device, instance } = await currentTry(cookie);
      if (!device || !instance) return <TryPage csrfToken={csrfToken} flash={takeFlash(cookie)} appUrl={config.appUrl} />;
      const state = await connectionState(deviceCaller(device.id), instance.id);
      return (
        <TryPage csrfToken={csrfToken} flash={takeFlash(cookie)} appUrl={config.appUrl} instance={state.instance} qr={state.qr} connectionError={state.error} />
      );
    },
    { detail: hide },
  )
  .post(
    "/try",
    async ({ cookie, csrfToken, request, set }) => {
      const device = await ensureVisitorDevice(cookie, request);
      const result = await attempt(() => startTry(device, request));
      if (!result.ok) {
        set.status = 429;
        return <TryPage csrfToken={csrfToken} appUrl={config.appUrl} error={result.errors.map((e) => e.message).join(" ")} />;
      }
      // A second submit (refresh, double click) shows the existing number; the key was shown the first time.
      if (!result.value.created) return hxRedirect(request, "/try");
      // The response holds the only copy of the key: no cache, no back-button copy.
      set.headers["cache-control"] = "no-store";
      const state = await connectionState(deviceCaller(device.id), result.value.instance.id);
      return (
        <TryPage
          csrfToken={csrfToken}
          appUrl={config.appUrl}
          instance={state.instance}
          qr={state.qr}
          connectionError={state.error}
          secret={result.value.secret}
        />
      );
    },
    { detail: hide },
  )
  .get(
    "/try/connection",
    async ({ cookie, csrfToken }) => {
      const { instance, visitor } = await requireTry(cookie);
      const state = await connectionState(visitor, instance.id);
      return <ConnectionPanel instance={state.instance} csrfToken={csrfToken} qr={state.qr} error={state.error} base="/try" canManage showLogout={false} />;
    },
    { detail: hide },
  )
  .post(
    "/try/key",
    async ({ cookie, csrfToken, request, set }) => {
      const { device, instance, visitor } = await requireTry(cookie);
      const secret = await rotateTryKey(device.id, instance.id);
      set.headers["cache-control"] = "no-store";
      if (isHtmx(request)) return <TryKey csrfToken={csrfToken} secret={secret} appUrl={config.appUrl} />;
      const state = await connectionState(visitor, instance.id);
      return <TryPage csrfToken={csrfToken} appUrl={config.appUrl} instance={state.instance} qr={state.qr} secret={secret} />;
    },
    { detail: hide },
  )
  .post(
    "/try/simulate-inbound",
    async ({ cookie, csrfToken, request, set, body }) => {
      const { instance } = await requireTry(cookie);
      const values = formValues(body);
      const parsed = parseForm(simulateInboundSchema, values);
      const result = parsed.ok ? await attempt(() => sandboxInbound(instance, parsed.value)) : parsed;
      const notice = tText("try:received");
      const state: FormState = result.ok ? { values: { from: values.from ?? "" }, notice } : { values, errors: result.errors };
      if (result.ok && !isHtmx(request)) {
        setFlash(cookie, "success", notice);
        return hxRedirect(request, "/try");
      }
      if (!result.ok) set.status = 422;
      if (isHtmx(request)) return <SimulatorForm base="/try" csrfToken={csrfToken} state={state} />;
      return <TryPage csrfToken={csrfToken} appUrl={config.appUrl} instance={instance} simulate={state} />;
    },
    { detail: hide },
  )
  .post("/try/connect", ({ cookie, csrfToken, request }) => panelAction(cookie, csrfToken, request, (visitor, id) => connectInstance(visitor, id)), {
    detail: hide,
  })
  .post(
    "/try/scan",
    ({ cookie, csrfToken, request }) => panelAction(cookie, csrfToken, request, async (visitor, id) => sandboxPair(await getInstance(visitor, id))),
    {
      detail: hide,
    },
  );

/** Connect / simulate scan for the visitor's number: answers with the refreshed connection panel. */
async function panelAction(cookie: Jar, csrfToken: string, request: Request, run: (visitor: Caller, id: string) => Promise<unknown>) {
  const { instance, visitor } = await requireTry(cookie);
  const state = await connectionAction(visitor, instance.id, () => run(visitor, instance.id));
  if (!isHtmx(request)) {
    if (state.error) setFlash(cookie, "error", state.error);
    return hxRedirect(request, "/try");
  }
  return <ConnectionPanel instance={state.instance} csrfToken={csrfToken} qr={state.qr} error={state.error} base="/try" canManage showLogout={false} />;
}
