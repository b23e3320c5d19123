import { listen } from "@/db/client";
import { DELIVERIES_QUEUED_CHANNEL } from "@/features/events/event.service";
import { claimDueDeliveries, deliverySettings, releaseLease, type ClaimedDelivery } from "@/features/webhooks/delivery.queue";
import { processClaim } from "@/features/webhooks/delivery.send";
import { log } from "@/lib/logger";
import { registerWorker } from "./registry";

export { runDeliveriesOnce, drainDueDeliveries } from "@/features/webhooks/delivery.send";
export { deliveryClock } from "@/features/webhooks/delivery.queue";

type Job = { claim: ClaimedDelivery; controller: AbortController; done: Promise<void> };

/**
 * The webhook delivery loop every process runs. It wakes on NOTIFY `livchat_deliveries_queued`
 * (recordEvent sends it on commit), on a 1 s poll (retries falling due, leases of crashed workers
 * expiring) and whenever one of its own requests finishes; each wake claims up to the free part of
 * `maxInFlight` and sends those requests concurrently.
 */
export class DeliveryWorker {
  private readonly jobs = new Map<string, Job>();
  private stopping = false;
  private running = false;
  private tickPromise: Promise<void> | null = null;
  private wakeAgain = false;
  private poll: ReturnType<typeof setInterval> | undefined;
  private unlisten: (() => Promise<void>) | undefined;

  get inFlight(): number {
    return this.jobs.size;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.stopping = false;
    this.unlisten = await listen(DELIVERIES_QUEUED_CHANNEL, () => this.wake());
    this.poll = setInterval(() => this.wake(), deliverySettings.pollMs);
    this.wake();
  }

  /** Coalesces wake-ups: at most one claim runs at a time, and a wake during it triggers one more. */
  wake(): void {
    if (this.stopping || !this.running) return;
    if (this.tickPromise) {
      this.wakeAgain = true;
      return;
    }
    this.tickPromise = this.tick().finally(() => {
      this.tickPromise = null;
      if (this.wakeAgain && !this.stopping) {
        this.wakeAgain = false;
        this.wake();
      }
    });
  }

  private async tick(): Promise<void> {
    try {
      const budget = deliverySettings.maxInFlight - this.jobs.size;
      if (budget <= 0) return;
      const claims = await claimDueDeliveries(budget);
      for (const claim of claims) this.launch(claim);
      // A full batch suggests more is due; claim again right away instead of waiting for the poll.
      if (claims.length === budget) this.wakeAgain = true;
    } catch (err) {
      log.error("delivery claim failed", { err });
    }
  }

  private launch(claim: ClaimedDelivery): void {
    const controller = new AbortController();
    const done = processClaim(claim, controller.signal)
      .then(async (outcome) => {
        if (outcome === "aborted") await releaseLease(claim);
      })
      .catch((err) => {
        log.error("delivery failed unexpectedly", { deliveryId: claim.id, err });
      })
      .finally(() => {
        this.jobs.delete(claim.id);
        this.wake();
      });
    this.jobs.set(claim.id, { claim, controller, done });
  }

  /**
   * Graceful stop: no new claims; requests in flight get up to `drainTimeoutMs` to finish and be
   * recorded; whatever is still running then is aborted and its lease released, so another process
   * picks it up at once instead of after the lease expires.
   */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.stopping = true;
    clearInterval(this.poll);
    await this.unlisten?.().catch(() => {});
    await this.tickPromise;
    const pending = [...this.jobs.values()];
    if (pending.length > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.allSettled(pending.map((j) => j.done)),
        new Promise((resolve) => (timer = setTimeout(resolve, deliverySettings.drainTimeoutMs))),
      ]);
      clearTimeout(timer);
      const left = [...this.jobs.values()];
      if (left.length > 0) {
        log.warn("releasing unfinished webhook deliveries", { count: left.length });
        for (const job of left) job.controller.abort();
        await Promise.allSettled(left.map((j) => j.done));
      }
    }
    this.running = false;
  }
}

export const deliveryWorker = new DeliveryWorker();

registerWorker({ name: "webhook-deliveries", start: () => deliveryWorker.start(), stop: () => deliveryWorker.stop() });
