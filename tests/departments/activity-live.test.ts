// A new activity line reaches open inbox pages drawn: the inbox stream sends an `activity` frame with the
// line's HTML (in the reader's language) for the conversation, so the open timeline shows a resolution or
// a transfer without a reload; an agent is not sent the lines of another department's conversation.
import { expect, test } from "bun:test";
import { createApp } from "@/app";
import { api } from "../helpers/client";
import { createMember, setupOrg, signIn } from "../helpers/factories";
import { connectedSandbox, inbound } from "../conversations/helpers";

type Frame = { event: string; data: string };

test("an agent's inbox stream draws their department's new activity lines and leaves out another department's", async () => {
  const app = createApp();
  const org = await setupOrg(app, { orgName: "Activity live" });
  const agent = await createMember(org.organization.id, "agent");
  const mine = await api(app, "POST", "/v1/departments", org.key, { name: "Suporte", memberIds: [agent.id] });
  const theirs = await api(app, "POST", "/v1/departments", org.key, { name: "Vendas" });
  const instanceId = await connectedSandbox(app, org.key);
  const shown = await inbound(app, org.key, instanceId, { from: "+5511941000001", text: "oi" });
  const hidden = await inbound(app, org.key, instanceId, { from: "+5511941000002", text: "oi" });
  await api(app, "POST", `/v1/conversations/${hidden.conversationId}/transfer`, org.key, { departmentId: theirs.body.id, reason: "fila" });

  const client = await signIn(app, agent.id, org.organization.id);
  const controller = new AbortController();
  const res = await client.get("/inbox/stream", { signal: controller.signal, headers: { "accept-language": "en" } });
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
    // Another department's conversation is resolved first, then the agent's own is transferred into Suporte and resolved.
    expect((await api(app, "POST", `/v1/conversations/${hidden.conversationId}/resolve`, org.key, {})).status).toBe(200);
    await api(app, "POST", `/v1/conversations/${shown.conversationId}/transfer`, org.key, { departmentId: mine.body.id, reason: "é com o suporte" });
    expect((await api(app, "POST", `/v1/conversations/${shown.conversationId}/resolve`, org.key, {})).status).toBe(200);

    const transferred = await until((f) => f.event === "activity" && f.data.includes("activity-transferred"));
    const resolved = await until((f) => f.event === "activity" && f.data.includes("activity-resolved"));
    for (const frame of [transferred, resolved]) expect(JSON.parse(frame.data).conversationId).toBe(shown.conversationId);
    const line = JSON.parse(transferred.data).html as string;
    expect(line).toContain("Suporte");
    expect(line).toContain("é com o suporte");
    expect(JSON.parse(resolved.data).html).toMatch(/id="activity-[0-9a-f-]{36}"/);
    // Frames arrive in order: by the time the later lines are here, the other department's resolution was left out.
    expect(frames.some((f) => f.data.includes(hidden.conversationId))).toBe(false);
  } finally {
    controller.abort();
  }
});
