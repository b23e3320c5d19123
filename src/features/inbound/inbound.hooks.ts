import { Elysia } from "elysia";
import { z } from "zod";
import { AppError } from "@/lib/errors";
import { log } from "@/lib/logger";
import { config } from "@/config";
import { payloadTooLarge } from "@/lib/request-guard";
import { ingestEvents, recordUnparsed } from "./inbound.service";
import { OVERSIZED_HOOK_FACTOR, readOversizedWuzapiBody, type OversizedBody } from "./oversized";
import { verifyCloudSignature, verifyWuzapiSignature, findWuzapiInstance, findCloudInstance } from "./inbound.webhooks";
import { mapWuzapiPayload, parseWuzapiBody, wuzapiUserIdOf } from "@/providers/wuzapi.inbound";
import { readCloudConfig } from "@/providers/cloud";
import { mapCloudPayload } from "@/providers/cloud.inbound";
import { payloadExcerpt } from "@/providers/provider";
import { safeEqual } from "@/lib/crypto";

const unauthorized = () => new AppError("unauthorized", "Invalid or missing webhook signature");

type WuzapiBody = { kind: "raw"; raw: string } | ({ kind: "oversized" } & Extract<OversizedBody, { ok: true }>);

/**
 * The body of a WuzAPI webhook: read whole up to HOOKS_MAX_BODY_BYTES; past that, streamed through the
 * signature and shrunk (see oversized.ts) so the message is kept with its media refused; past the
 * ceiling, a 413.
 */
async function readWuzapiBody(request: Request): Promise<WuzapiBody> {
  const reader = request.body?.getReader();
  if (!reader) return { kind: "raw", raw: "" };
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
    if (size > config.hooksMaxBodyBytes) {
      const body = await readOversizedWuzapiBody({
        prefix: chunks,
        reader,
        contentType: request.headers.get("content-type"),
        hmacKey: config.wuzapi.hmacKey ?? "",
        signature: config.wuzapi.hmacKey ? request.headers.get("x-hmac-signature") : null,
        ceiling: config.hooksMaxBodyBytes * OVERSIZED_HOOK_FACTOR,
      });
      if (!body.ok) throw payloadTooLarge(config.hooksMaxBodyBytes * OVERSIZED_HOOK_FACTOR);
      return { kind: "oversized", ...body };
    }
  }
  return { kind: "raw", raw: Buffer.concat(chunks).toString("utf8") };
}

/** A signed body over the limit: its message is stored, its inline media refused as too large (recorded on the message). */
async function ingestOversizedWuzapi(body: Extract<WuzapiBody, { kind: "oversized" }>, contentType: string | null) {
  const parsed = body.form
    ? parseWuzapiBody(
        new URLSearchParams({ jsonData: body.form.get("jsonData") ?? "", userID: body.form.get("userID") ?? "" }).toString(),
        "application/x-www-form-urlencoded",
      )
    : parseWuzapiBody(body.text, contentType);
  const instance = parsed?.userID ? await findWuzapiInstance(parsed.userID) : undefined;
  if (!parsed || !instance) {
    await recordUnparsed(instance ?? NO_INSTANCE, {
      kind: "unparsed",
      reason: `WuzAPI body over the webhook limit (${body.size} bytes) that names no known instance or does not parse`,
      excerpt: payloadExcerpt(body.form ? Object.fromEntries(body.form) : body.text),
    });
    return { ok: true, ignored: true, unparsed: true };
  }
  const refused = { reason: "too_large" as const, size: body.size };
  const events = mapWuzapiPayload(parsed.payload).map((event) =>
    event.kind === "message" && event.attachment && body.cut ? { ...event, attachment: { ...event.attachment, source: undefined, refused } } : event,
  );
  const { counts } = await ingestEvents(instance, events);
  return { ok: true, ...counts };
}

/** Where an unreadable WuzAPI body naming no known instance is recorded: the platform's event log, no organization. */
const NO_INSTANCE = { id: null, organizationId: null, createdByDeviceId: null, provider: "wuzapi" } as const;

/**
 * Provider webhooks (`/hooks/*`): authenticated by the provider's signature over the RAW body (hence
 * `parse: "none"`), never by cookies or API keys. A bad signature is a 401 and nothing is stored.
 */
export const inboundHooks = new Elysia({ name: "inbound-hooks", prefix: "/hooks" })
  .post(
    "/wuzapi",
    async ({ request }) => {
      const contentType = request.headers.get("content-type");
      const body = await readWuzapiBody(request);
      if (body.kind === "oversized") {
        if (!body.signed) {
          log.warn("wuzapi webhook refused: bad signature", { ip: request.headers.get("x-forwarded-for") ?? undefined, size: body.size });
          throw unauthorized();
        }
        return ingestOversizedWuzapi(body, contentType);
      }
      const raw = body.raw;
      if (!verifyWuzapiSignature(raw, request.headers.get("x-hmac-signature"))) {
        log.warn("wuzapi webhook refused: bad signature", { ip: request.headers.get("x-forwarded-for") ?? undefined });
        throw unauthorized();
      }
      const parsed = parseWuzapiBody(raw, contentType);
      if (!parsed?.userID) {
        // Signed, so it is WuzAPI's: acknowledged (a non-2xx is retried) and recorded, on its instance when the body names one.
        const userID = parsed ? undefined : wuzapiUserIdOf(raw, contentType);
        const owner = userID ? await findWuzapiInstance(userID) : undefined;
        await recordUnparsed(owner ?? NO_INSTANCE, {
          kind: "unparsed",
          reason: parsed ? "WuzAPI payload without userID" : "WuzAPI body is not JSON or form data with jsonData",
          excerpt: payloadExcerpt(raw),
        });
        return { ok: true, ignored: true, unparsed: true };
      }
      const instance = await findWuzapiInstance(parsed.userID);
      if (!instance) {
        // A deleted instance: acknowledge so WuzAPI does not retry forever.
        log.warn("wuzapi webhook for an unknown user ignored", { userID: parsed.userID });
        return { ok: true, ignored: true };
      }
      const events = mapWuzapiPayload(parsed.payload);
      // Receipts kept pending for a late message settle after the answer: providers want a fast 200.
      const { counts } = await ingestEvents(instance, events);
      return { ok: true, ...counts };
    },
    { parse: "none", detail: { hide: true } },
  )
  .get(
    "/cloud/:instanceId",
    async ({ params, query, set }) => {
      const instance = await findCloudInstance(params.instanceId);
      let verifyToken: string | undefined;
      try {
        verifyToken = instance ? readCloudConfig(instance).verifyToken : undefined;
      } catch {
        verifyToken = undefined; // incomplete credentials cannot verify anything
      }
      const presented = query["hub.verify_token"] ?? "";
      if (!instance || query["hub.mode"] !== "subscribe" || !verifyToken || !safeEqual(presented, verifyToken)) {
        throw new AppError("forbidden", "Verification failed");
      }
      set.headers["content-type"] = "text/plain; charset=utf-8";
      return query["hub.challenge"] ?? "";
    },
    {
      query: z.object({
        "hub.mode": z.string().max(50).optional(),
        "hub.verify_token": z.string().max(500).optional(),
        "hub.challenge": z.string().max(500).optional(),
      }),
      detail: { hide: true },
    },
  )
  .post(
    "/cloud/:instanceId",
    async ({ params, request }) => {
      const instance = await findCloudInstance(params.instanceId);
      if (!instance) throw new AppError("not_found", "Instance not found");
      const raw = await request.text();
      const cloud = readCloudConfig(instance);
      if (!verifyCloudSignature(raw, request.headers.get("x-hub-signature-256"), cloud.appSecret)) {
        log.warn("cloud webhook refused: bad signature", { instanceId: instance.id });
        throw unauthorized();
      }
      let payload: unknown;
      try {
        payload = JSON.parse(raw);
      } catch {
        // Correctly signed but unreadable: Meta retries non-2xx for days, so acknowledge and record it.
        await recordUnparsed(instance, { kind: "unparsed", reason: "Cloud webhook body is not JSON", excerpt: payloadExcerpt(raw) });
        return { ok: true, unparsed: true };
      }
      const { counts } = await ingestEvents(instance, mapCloudPayload(payload, cloud.phoneNumberId));
      return { ok: true, ...counts };
    },
    { parse: "none", detail: { hide: true } },
  );
