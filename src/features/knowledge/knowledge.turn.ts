import { tool, type ToolSet } from "ai";
import { z } from "zod";
import { log } from "@/lib/logger";
import { KNOWLEDGE_LIMITS, knowledgeCollectionIdsSchema } from "./knowledge.schema";
import { passageJson, recordRetrieval, retrieve, type Passage, type Retrieval } from "./knowledge.search";

/** Where an AI turn happens (the workflow's thread, and its conversation when it answers a contact). */
export type KnowledgeTurnContext = { organizationId: string; workflowId: string; threadId: string | null; conversationId: string | null };

/** What a turn adds to the model's call: instructions carrying the passages found, and the `search_knowledge` tool. */
export type KnowledgeTurn = { instructions: string; tools: ToolSet; retrieval: Retrieval };

/** Characters of passage text the instructions carry at most (the model's context is not ours to fill). */
const CONTEXT_CHARS = 6000;

/** The passages as the model reads them: a numbered source label on its own line, then the text. */
export function contextBlock(passages: Passage[]): string {
  let used = 0;
  const blocks: string[] = [];
  for (const [i, p] of passages.entries()) {
    const text = p.content.slice(0, Math.max(0, CONTEXT_CHARS - used));
    if (!text) break;
    used += text.length;
    blocks.push(`${passageJson(p, i).label}\n${text}`);
  }
  return blocks.join("\n\n");
}

/**
 * Written for the model, not for people (so not through t()): models follow English instructions
 * whatever language the conversation is in, and are told to answer in the customer's.
 */
function instructionsFor(retrieval: Retrieval): string {
  if (retrieval.passages.length === 0) {
    return [
      "KNOWLEDGE BASE: nothing in the business's knowledge base matches the customer's latest message.",
      "Do not make up facts about the business (prices, policies, deadlines). If you cannot answer from the conversation, say so and offer to hand over to a person.",
      "You may call the search_knowledge tool with other words to look again.",
    ].join("\n");
  }
  return [
    "KNOWLEDGE BASE: the passages below come from the business's own documents, found for the customer's latest message.",
    'Answer from them and cite each one you use with its label exactly as given, for example "[1] prices.pdf". Do not cite passages you did not use.',
    "If they do not answer the question, say you don't know rather than guessing. Answer in the customer's language.",
    "",
    contextBlock(retrieval.passages),
  ].join("\n");
}

/** The workflow's attached collections, as stored in its config (anything malformed reads as none). */
export function attachedCollections(config: unknown): string[] {
  const ids = (config as { knowledgeCollectionIds?: unknown } | null)?.knowledgeCollectionIds;
  const parsed = knowledgeCollectionIdsSchema.safeParse(ids ?? []);
  return parsed.success ? parsed.data : [];
}

/**
 * The knowledge a workflow's turn answers from: retrieval for the customer's latest message in the
 * workflow's collections (recorded as a `workflow` retrieval), and a `search_knowledge` tool for the
 * model to look again (each call recorded as `tool`). Null when the workflow attaches no collection.
 * A retrieval error leaves the turn without knowledge (logged) rather than failing it.
 */
export async function knowledgeForTurn(ctx: KnowledgeTurnContext, workflowConfig: unknown, text: string, signal?: AbortSignal): Promise<KnowledgeTurn | null> {
  const collectionIds = attachedCollections(workflowConfig);
  if (collectionIds.length === 0) return null;
  const record = (origin: "workflow" | "tool", query: string, retrieval: Retrieval) =>
    recordRetrieval(ctx.organizationId, { origin, query, retrieval, workflowId: ctx.workflowId, threadId: ctx.threadId, conversationId: ctx.conversationId });
  let retrieval: Retrieval;
  try {
    retrieval = await retrieve(ctx.organizationId, { query: text, collectionIds }, signal);
    await record("workflow", text, retrieval);
  } catch (err) {
    log.warn("knowledge: retrieval for a turn failed", { workflowId: ctx.workflowId, error: String((err as Error)?.message ?? err).slice(0, 300) });
    return null;
  }
  const searchKnowledge = tool({
    description:
      "Search the business's knowledge base (its FAQ, price lists, policies) for passages about a question. Returns numbered passages with their source label; cite the label of each passage you use.",
    inputSchema: z.object({ query: z.string().min(1).max(KNOWLEDGE_LIMITS.query).describe("What to look for, in the customer's words") }),
    execute: async ({ query }) => {
      const found = await retrieve(ctx.organizationId, { query, collectionIds });
      await record("tool", query, found);
      if (found.passages.length === 0) return { results: [], note: "Nothing found: do not guess." };
      return { results: found.passages.map((p, i) => ({ label: passageJson(p, i).label, content: p.content })) };
    },
  });
  return { instructions: instructionsFor(retrieval), tools: { search_knowledge: searchKnowledge }, retrieval };
}

/** The system prompt with the turn's knowledge instructions after it (unchanged without knowledge). */
export function withKnowledgeInstructions(systemPrompt: string | undefined, knowledge: KnowledgeTurn | null): string | undefined {
  if (!knowledge) return systemPrompt;
  return [systemPrompt, knowledge.instructions].filter(Boolean).join("\n\n");
}

/** The turn's tools plus `search_knowledge` (the workflow's own tools keep their failure tracking). */
export function withKnowledgeTools<T extends { tools: ToolSet; failure: () => string | undefined }>(
  tools: T | undefined,
  knowledge: KnowledgeTurn | null,
): T | { tools: ToolSet; failure: () => string | undefined } | undefined {
  if (!knowledge) return tools;
  return { ...(tools ?? { failure: () => undefined }), tools: { ...tools?.tools, ...knowledge.tools } };
}
