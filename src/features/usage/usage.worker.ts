import { registerWorker } from "@/workers/registry";
import { startUsageFlusher, stopUsageFlusher } from "./usage.service";

/**
 * Writes the buffered API-call counters. The flush timer also starts by itself on the first metered
 * call (so processes with WORKERS=false still meter); registering here gives graceful shutdown its
 * final flush before the database pool closes.
 */
registerWorker({
  name: "usage-meter",
  start: startUsageFlusher,
  stop: stopUsageFlusher,
});
