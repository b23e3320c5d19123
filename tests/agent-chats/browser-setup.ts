import { afterAll } from "bun:test";
import { config } from "@/config";
import { createWorkflow } from "@/features/workflows/workflow.service";
import { createMember, createOwner, memberCaller } from "../helpers/factories";
import { startOpenAiCompatible } from "../workflows/engines/llm-servers";

/**
 * What the agent-chat browser files share: a real OpenAI-compatible server on 127.0.0.1 as the model
 * (restored after the file), and an organization with an active agent ("Assistente interno") on it and
 * a member who chats with it.
 */
export function useAgentModel() {
  const openai = startOpenAiCompatible();
  const saved = { ...config.openai };
  config.openai.baseUrl = openai.baseUrl;
  afterAll(() => {
    openai.stop();
    config.openai = saved;
  });
  return {
    async organizationWithAgent(orgName: string) {
      const { user: owner, organization } = await createOwner({ orgName });
      await createWorkflow(memberCaller(owner.id, organization.id, "owner"), {
        name: "Assistente interno",
        provider: "openai",
        config: { baseUrl: openai.baseUrl, model: "gpt-dm" },
      } as never);
      const member = await createMember(organization.id, "agent");
      return { owner, organization, member };
    },
  };
}
