import { followUpJobs, replyTurnJobs } from "@/features/automation/automation.service";
import { jobLoop, type LoopSettings } from "./jobs";
import { registerWorker } from "./registry";

/**
 * Debounced workflow answers and follow-ups (jobs.jobLoop): every process polls, SKIP LOCKED splits the
 * work, each thread's lease keeps its turns from overlapping. Turns wait on AI models for seconds, so
 * several run at once (one conversation's one after another). No NOTIFY: a turn falls due seconds after
 * the message that scheduled it (the debounce), so the 0.5 s poll is what wakes it.
 */
const settings: LoopSettings = { pollMs: 500, maxInFlight: 8, drainTimeoutMs: 10_000 };

registerWorker(jobLoop(replyTurnJobs(), () => settings));
registerWorker(jobLoop(followUpJobs(), () => settings));
