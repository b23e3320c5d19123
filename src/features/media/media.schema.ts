import { z } from "zod";
import { MEDIA_STATUSES } from "@/db/schema";

/** The media answer of `/v1/media` and of `media.status` events. */
export const mediaJsonSchema = z.object({
  id: z.string(),
  direction: z.enum(["inbound", "upload"]),
  status: z.enum(MEDIA_STATUSES),
  mimeType: z.string().nullable(),
  declaredMimeType: z.string().nullable(),
  mimeMismatch: z.boolean(),
  fileName: z.string().nullable(),
  size: z.number().nullable(),
  sha256: z.string().nullable(),
  error: z.string().nullable(),
  messageId: z.string().nullable(),
  url: z.string().nullable(),
  urlExpiresAt: z.string().nullable(),
  createdAt: z.string(),
  storedAt: z.string().nullable(),
});
