import { Elysia } from "elysia";
import { z } from "zod";
import { authPlugin } from "@/auth/plugin";
import { getConversation } from "@/features/conversations/conversation.service";
import { CustomerWindowBadge } from "@views/inbox/_window";
import { customerWindow, formatRemaining } from "./message.window";

/** `GET /inbox/:id/window`: the header's 24-hour window badge (Cloud instances); another org's id is a 404. */
export const messageWindowPages = new Elysia({ name: "message-window-pages" }).use(authPlugin).get(
  "/inbox/:id/window",
  async ({ admin, params }) => {
    const row = await getConversation(admin, params.id);
    const window = await customerWindow(row.instance, row.conversation.id);
    if (!window) return "";
    return <CustomerWindowBadge open={window.open} remaining={formatRemaining(window.remainingMs)} />;
  },
  { member: "agent", params: z.object({ id: z.string() }), detail: { hide: true } },
);
