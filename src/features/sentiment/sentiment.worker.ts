import { jobLoop } from "@/workers/jobs";
import { registerWorker } from "@/workers/registry";
import { SENTIMENT_DUE_CHANNEL, sentimentJobs } from "./sentiment.service";

/** Conversations due for sentiment classification: a few at a time, each is one small model call. */
registerWorker(jobLoop(sentimentJobs(), () => ({ pollMs: 2000, maxInFlight: 4, drainTimeoutMs: 10_000, channel: SENTIMENT_DUE_CHANNEL })));
