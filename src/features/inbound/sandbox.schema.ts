import { z } from "zod";
import { tText } from "@/lib/i18n";

export const SANDBOX_LIMITS = { textMax: 4096, captionMax: 1024, nameMax: 100, urlMax: 2048 } as const;

const atMost = (count: number) => ({ error: () => tText("instances:schema.atMost", { count }) });

export const sandboxIdParams = z.object({ id: z.string().max(64) });

/** `POST /v1/sandbox/instances/:id/scan`: no body scans the QR; `{code}` enters the pairing code instead. */
export const sandboxScanSchema = z
  .object({
    code: z
      .string()
      .trim()
      .min(4, { error: () => tText("instances:sandbox.pairingCode") })
      .max(16, atMost(16))
      .optional(),
  })
  .optional();

/** `POST /v1/sandbox/instances/:id/inbound`: a contact writing a text or sending a media. */
export const sandboxInboundSchema = z
  .object({
    from: z
      .string({ error: () => tText("instances:sandbox.senderPhone") })
      .trim()
      .min(1, { error: () => tText("instances:sandbox.senderPhone") })
      .max(32, atMost(32)),
    name: z.string().trim().max(SANDBOX_LIMITS.nameMax, atMost(SANDBOX_LIMITS.nameMax)).optional(),
    text: z.string().max(SANDBOX_LIMITS.textMax, atMost(SANDBOX_LIMITS.textMax)).optional(),
    media: z
      .object({
        url: z
          .string()
          .url({ error: () => tText("instances:sandbox.validUrl") })
          .max(SANDBOX_LIMITS.urlMax),
        caption: z.string().max(SANDBOX_LIMITS.captionMax).optional(),
        mimeType: z.string().max(100).optional(),
        fileName: z.string().max(255).optional(),
        type: z.enum(["image", "audio", "video", "document", "sticker"]).optional(),
      })
      .optional(),
    /** A button (or list row) the contact taps: its payload id, and the text they saw. */
    button: z
      .object({
        id: z
          .string()
          .trim()
          .min(1, { error: () => tText("instances:sandbox.buttonId") })
          .max(256, atMost(256)),
        title: z.string().trim().max(SANDBOX_LIMITS.nameMax, atMost(SANDBOX_LIMITS.nameMax)).optional(),
      })
      .optional(),
    /** The provider id of the message this one replies to (a quote). */
    replyTo: z.string().trim().max(128, atMost(128)).optional(),
  })
  .refine((v) => (v.text !== undefined && v.text.trim() !== "") || v.media !== undefined || v.button !== undefined, {
    error: () => tText("instances:sandbox.textOrMedia"),
    path: ["text"],
  });
export type SandboxInboundBody = z.infer<typeof sandboxInboundSchema>;
