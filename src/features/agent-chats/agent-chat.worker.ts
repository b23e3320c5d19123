import { jobLoop } from "@/workers/jobs";
import { registerWorker } from "@/workers/registry";
import { AGENT_CHAT_DUE_CHANNEL, agentChatAnswerJobs } from "./agent-chat.service";

/**
 * Agents' answers in members' direct chats: every process polls and wakes on NOTIFY when a member writes;
 * SKIP LOCKED gives each due chat to one worker. A few at a time: each holds a model call.
 */
registerWorker(jobLoop(agentChatAnswerJobs(), () => ({ pollMs: 2000, maxInFlight: 4, drainTimeoutMs: 10_000, channel: AGENT_CHAT_DUE_CHANNEL })));
