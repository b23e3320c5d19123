import { jobLoop } from "@/workers/jobs";
import { registerWorker } from "@/workers/registry";
import { knowledgeJobs } from "./knowledge.jobs";
import { KNOWLEDGE_DUE_CHANNEL } from "./knowledge.service";

/** Pending knowledge documents: two at a time per process (extraction is CPU-bound, embeddings wait on the network). */
registerWorker(jobLoop(knowledgeJobs(), () => ({ pollMs: 2000, maxInFlight: 2, drainTimeoutMs: 10_000, channel: KNOWLEDGE_DUE_CHANNEL })));
