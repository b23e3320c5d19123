import { jobLoop } from "@/workers/jobs";
import { registerWorker } from "@/workers/registry";
import { TRANSCRIPTION_DUE_CHANNEL, transcriptionJobs } from "./transcription.service";

/**
 * Voice notes due for transcription: every process polls (and wakes on NOTIFY when a voice note's
 * audio is stored); SKIP LOCKED splits the work. A few at a time: each is one upload to the endpoint.
 */
registerWorker(jobLoop(transcriptionJobs(), () => ({ pollMs: 1000, maxInFlight: 4, drainTimeoutMs: 10_000, channel: TRANSCRIPTION_DUE_CHANNEL })));
