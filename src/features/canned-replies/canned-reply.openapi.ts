import { z } from "zod";
import { cannedReplies } from "@/db/schema";
import { rowJson } from "@/lib/openapi";

/** The JSON `/v1/canned-replies` answers (cannedReplyJson), documented in /openapi.json. */
export const cannedReplyJsonSchema = rowJson(cannedReplies, ["id", "shortcut", "title", "body", "departmentId", "mediaId", "createdAt", "updatedAt"]);

export const cannedReplyListSchema = z.object({
  data: z.array(cannedReplyJsonSchema),
  nextCursor: z.null().describe("Always null: every matching canned reply is listed"),
});
