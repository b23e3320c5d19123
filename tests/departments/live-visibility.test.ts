// An agent's live inbox stream carries only the conversations they may see: a message in another
// department's conversation is not sent to them, one in their department's is.
import { expect, test } from "bun:test";
import { createApp } from "@/app";
import { api } from "../helpers/client";
import { createMember, setupOrg, signIn } from "../helpers/factories";
import { connectedSandbox, inbound } from "../conversations/helpers";

type Frame = { event: string; data: string };

test("an agent's stream leaves out another department's conversations", async () => {
  const app = createApp();
  const org = await setupOrg(app, { orgName: "Live visibility" });
  const agent = await createMember(org.organization.id, "agent");
  const mine = await api(app, "POST", "/v1/departments", org.key, { name: "Minha", memberIds: [agent.id] });
  const theirs = await api(app, "POST", "/v1/departments", org.key, { name: "Outra" });
  const instanceId = await connectedSandbox(app, org.key);
  const hidden = await inbound(app, org.key, instanceId, { from: "+5511940000001", text: "oi" });
  const shown = await inbound(app, org.key, instanceId, { from: "+5511940000002", text: "oi" });
  await api(app, "POST", `/v1/conversations/${hidden.conversationId}/transfer`, org.key, { departmentId: theirs.body.id, reason: "teste" });
  await api(app, "POST", `/v1/conversations/${shown.conversationId}/transfer`, org.key, { departmentId: mine.body.id, reason: "teste" });

  const client = await signIn(app, agent.id, org.organization.id);
  const controller = new AbortController();
  const res = await client.get("/inbox/stream", { signal: controller.signal });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const frames: Frame[] = [];
  let buffer = "";
  const until = async (match: (f: Frame) => boolean) => {
    for (;;) {
      const found = frames.find(match);
      if (found) return found;
      const { value, done } = await reader.read();
      if (done) throw new Error("stream ended");
      buffer += typeof value === "string" ? value : decoder.decode(value as Uint8Array);
      for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
        const raw = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(raw)?.[1];
        if (event) frames.push({ event, data: [...raw.matchAll(/^data: (.*)$/gm)].map((m) => m[1]).join("\n") });
      }
    }
  };
  try {
    await until((f) => f.event === "ready");
    const secret = await inbound(app, org.key, instanceId, { from: "+5511940000001", text: "mensagem da outra fila" });
    const visible = await inbound(app, org.key, instanceId, { from: "+5511940000002", text: "mensagem da minha fila" });
    await until((f) => f.event === "msg" && f.data.includes(`msg-${visible.messageId}`));
    // Notifications arrive in order: by the time the later message's frame is here, the earlier one was filtered.
    expect(frames.some((f) => f.data.includes(secret.messageId) || f.data.includes(hidden.conversationId))).toBe(false);
  } finally {
    controller.abort();
  }
});
