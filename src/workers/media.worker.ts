import { sql } from "drizzle-orm";
import { loadClaimedMedia, MEDIA_QUEUED_CHANNEL, processMedia, sweepExpiredMedia, sweepOrphanedMedia, type ClaimedMedia } from "@/features/media/media.service";
import { withLocale } from "@/lib/i18n";
import { claimDue, jobLoop, releaseLeases, runJobsOnce, type JobKind, type JobQueue } from "./jobs";
import { registerPeriodicWorker, registerWorker } from "./registry";

/** Pending media whose next attempt is due (the partial index media_due_idx serves it). */
const queue: JobQueue = {
  table: "media",
  lease: "lease_until",
  due: (row, now) => sql`${row}.status = 'pending' and (${row}.next_attempt_at is null or ${row}.next_attempt_at <= ${now})`,
  order: (row) => [sql`${row}.next_attempt_at`],
};

/** A download (fetch, cap, hash, sniff, store) is ours this long; a crashed process's is claimed again after it. */
const LEASE_MS = 120_000;

const mediaJobs: JobKind<ClaimedMedia> = {
  name: "media",
  async claim(limit) {
    const claimed = await claimDue(queue, { limit, leaseMs: LEASE_MS });
    return loadClaimedMedia(claimed.map((c) => c.id));
  },
  // Failure reasons are stored and shown: written in the organization's language.
  run: (job) => withLocale({ locale: job.locale ?? undefined, timeZone: job.timeZone ?? undefined }, () => processMedia(job)),
  release: async (jobs) => {
    await releaseLeases(
      queue,
      jobs.map((j) => ({ id: j.row.id, leaseUntil: j.row.leaseUntil })),
      { where: sql`u.status = 'pending'` },
    );
  },
  idOf: (job) => job.row.id,
};

/** One pass of due downloads (tests drive the worker with this). */
export function runMediaOnce(limit = 20) {
  return runJobsOnce(mediaJobs, limit);
}

registerWorker(jobLoop(mediaJobs, () => ({ pollMs: 1000, maxInFlight: 4, drainTimeoutMs: 10_000, channel: MEDIA_QUEUED_CHANNEL })));

/** The retention sweeper, hourly: every organization's media older than its `mediaRetentionDays`, and files of deleted organizations. */
registerPeriodicWorker({
  name: "media-retention",
  firstRunMs: 0,
  intervalMs: () => 60 * 60 * 1000,
  async run() {
    // A full batch means there may be more: sweep again until one comes back short.
    const batch = 500;
    while ((await sweepExpiredMedia(new Date(), batch)) === batch) {}
    while ((await sweepOrphanedMedia(batch)) === batch) {}
  },
});
