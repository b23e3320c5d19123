import { DELIVERIES_QUEUED_CHANNEL } from "@/features/events/event.service";
import { DELIVERY_RETRIES_CHANNEL, deliverySettings } from "@/features/webhooks/delivery.queue";
import { activeEndpointIds, cursorJobs, newEventSignals } from "@/features/webhooks/delivery.cursor";
import { deliveryJobs } from "@/features/webhooks/delivery.send";
import { closeSinkConnections } from "@/features/webhooks/sink.transport";
import { jobLoop } from "./jobs";
import { registerWorker } from "./registry";

export { runDeliveriesOnce, drainDueDeliveries } from "@/features/webhooks/delivery.send";
export { deliveryClock } from "@/features/webhooks/delivery.queue";

/**
 * The webhook delivery loops every process runs (jobs.jobLoop): each wakes on its NOTIFY channel
 * (the cursors on `livchat_deliveries_queued`, which recordEvent sends on commit; the retries on
 * `livchat_delivery_retries`), on the WEBHOOK_POLL_MS poll (retries
 * falling due, leases of crashed workers running out) and whenever one of its own requests finishes;
 * each wake claims up to the free part of WEBHOOK_MAX_IN_FLIGHT and sends those requests concurrently.
 * On stop, requests in flight get WEBHOOK_DRAIN_TIMEOUT_MS to finish and be recorded; the rest are
 * aborted and their leases released, so another process picks them up at once.
 */
const settings = (channel: string, onNotify?: (payload: string) => void) => () => ({
  pollMs: deliverySettings.pollMs,
  maxInFlight: deliverySettings.maxInFlight,
  drainTimeoutMs: deliverySettings.drainTimeoutMs,
  channel,
  onNotify,
});
/** Retry rows: failed deliveries falling due, manual retries, recoveries, `webhook.test`. */
const retries = jobLoop(deliveryJobs, settings(DELIVERY_RETRIES_CHANNEL));
/**
 * Endpoint cursors over the event log (delivery.cursor.ts): one job per endpoint with events waiting,
 * each sending up to WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT requests at a time. A cursor that caught up
 * lingers for its organization's next events (WEBHOOK_CURSOR_LINGER_MS), woken by the same NOTIFY.
 */
const cursorSettings = settings(DELIVERIES_QUEUED_CHANNEL, (organizationId) => newEventSignals.notify(organizationId));
const cursors = jobLoop(cursorJobs, () => ({
  ...cursorSettings(),
  // An organization whose active endpoints all have their cursor running here: those were just told
  // (onNotify), and a claim would find nothing. Under steady traffic that is every notification, each
  // of which used to cost a claim that came back empty.
  claimOnNotify: async (organizationId: string): Promise<boolean> => (await activeEndpointIds(organizationId)).some((id) => !cursors.isRunning(id)),
}));

/** Both loops, and on stop the event sinks' broker connections closed once nothing is in flight. */
export const deliveryWorker = {
  name: "webhook-deliveries",
  async start() {
    newEventSignals.start();
    await Promise.all([retries.start(), cursors.start()]);
  },
  async stop() {
    // Lingering cursors give their leases back first, so the drain waits only for requests in flight.
    newEventSignals.stop();
    await Promise.all([retries.stop(), cursors.stop()]);
    await closeSinkConnections();
  },
};

registerWorker(deliveryWorker);
