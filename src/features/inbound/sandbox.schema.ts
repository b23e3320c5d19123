import { z } from "zod";

export const SANDBOX_LIMITS = { textMax: 4096, captionMax: 1024, nameMax: 100, urlMax: 2048 } as const;

export const sandboxIdParams = z.object({ id: z.string().max(64) });

/** `POST /v1/sandbox/instances/:id/scan`: no body scans the QR; `{code}` enters the pairing code instead. */
export const sandboxScanSchema = z
  .object({
    code: z.string().trim().min(4, "Enter the pairing code").max(16, "At most 16 characters").optional(),
  })
  .optional();

/** `POST /v1/sandbox/instances/:id/inbound`: a contact writing a text or sending a media. */
export const sandboxInboundSchema = z
  .object({
    from: z.string({ message: "Enter the sender's phone number" }).trim().min(1, "Enter the sender's phone number").max(32, "At most 32 characters"),
    name: z.string().trim().max(SANDBOX_LIMITS.nameMax, `At most ${SANDBOX_LIMITS.nameMax} characters`).optional(),
    text: z.string().max(SANDBOX_LIMITS.textMax, `At most ${SANDBOX_LIMITS.textMax} characters`).optional(),
    media: z
      .object({
        url: z.string().url("Enter a valid URL").max(SANDBOX_LIMITS.urlMax),
        caption: z.string().max(SANDBOX_LIMITS.captionMax).optional(),
        mimeType: z.string().max(100).optional(),
        fileName: z.string().max(255).optional(),
        type: z.enum(["image", "audio", "video", "document", "sticker"]).optional(),
      })
      .optional(),
  })
  .refine((v) => (v.text !== undefined && v.text.trim() !== "") || v.media !== undefined, { message: "Send a text or a media", path: ["text"] });
export type SandboxInboundBody = z.infer<typeof sandboxInboundSchema>;
