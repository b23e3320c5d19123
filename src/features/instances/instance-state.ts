import { eq } from "drizzle-orm";
import { db } from "@/db/client";
import { withDeadlockRetry } from "@/db/lock-order";
import { instances, type Instance } from "@/db/schema";
import { recordEvent, type EventType } from "@/features/events/event.service";
import { publishLive } from "@/lib/live";
import { liveTopics } from "@/lib/live-topics";
import type { ConnectionState, InstanceStatus } from "@/providers/provider";

const CONNECTION_EVENTS: Partial<Record<InstanceStatus, EventType>> = {
  qr: "instance.qr",
  connected: "instance.connected",
  disconnected: "instance.disconnected",
  logged_out: "instance.logged_out",
};

export type AppliedConnection = { changed: boolean; instance?: Instance };

/**
 * The one write path of an instance's connection state, whoever reports it: a provider's answer to
 * connect/QR/pairing/logout (instance service), a webhook (inbound service), the sandbox's simulated
 * phone. Stores status, number and name, and records the transition's event in the same transaction.
 * Its own module without the provider registry, so the inbound feature can use it without a cycle.
 */
export async function applyConnectionState(instance: Pick<Instance, "id">, state: ConnectionState): Promise<AppliedConnection> {
  return withDeadlockRetry("instance connection", () =>
    db.transaction(async (tx) => {
      // NO KEY UPDATE, not UPDATE: inbound messages of this instance pass their foreign-key checks meanwhile.
      const [current] = await tx.select().from(instances).where(eq(instances.id, instance.id)).for("no key update");
      if (!current) return { changed: false };
      const now = new Date();
      const patch: Partial<typeof instances.$inferInsert> = { status: state.status, updatedAt: now };
      if (state.jid) patch.waJid = state.jid;
      if (state.name) patch.waName = state.name;
      if (state.status === "connected" && current.status !== "connected") patch.lastConnectedAt = now;
      const [updated] = await tx.update(instances).set(patch).where(eq(instances.id, instance.id)).returning();
      // Providers repeat state (WuzAPI sends Connected on every push-name change); only transitions are
      // events — except QR codes, which rotate and are worth re-sending while the status stays "qr".
      const changed = current.status !== state.status || (state.status === "qr" && !!state.qrCode);
      const type = CONNECTION_EVENTS[state.status];
      if (changed && type && updated) {
        await recordEvent(
          {
            organizationId: updated.organizationId,
            instanceId: updated.id,
            deviceId: updated.organizationId ? null : updated.createdByDeviceId,
            type,
            data: {
              instance: {
                id: updated.id,
                name: updated.name,
                provider: updated.provider,
                status: updated.status,
                waJid: updated.waJid,
                waName: updated.waName,
              },
              ...(state.status === "qr" && state.qrCode ? { qrCode: state.qrCode } : {}),
            },
          },
          tx,
        );
      }
      if (current.status !== state.status) await publishLive(liveTopics.instance(instance.id), { status: state.status }, tx);
      else if (state.status === "qr" && state.qrCode) await publishLive(liveTopics.instance(instance.id), { status: state.status, qr: true }, tx);
      return { changed, instance: updated };
    }),
  );
}
