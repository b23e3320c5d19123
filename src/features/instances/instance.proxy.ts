import { eq, sql } from "drizzle-orm";
import { db } from "@/db/client";
import { instances, type Instance } from "@/db/schema";
import { recordAudit } from "@/features/audit/audit.service";
import { auditActor, type Caller } from "@/lib/caller";
import { encryptSecret } from "@/lib/crypto";
import { AppError, conflict, notFound } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { providerFor } from "@/providers";
import { maskProxyUrl } from "./instance.schema";
import { callProvider, getInstance } from "./instance.service";

/**
 * A per-instance WhatsApp connection proxy (WuzAPI `POST /session/proxy`; the sandbox accepts it; the
 * Cloud API has none: 422 unsupported_by_provider). The whole URL is stored encrypted (`proxyUrlEnc`)
 * beside a masked copy to show (`proxyMasked`, password as ****). WuzAPI refuses a change while the
 * session is up, so LivChat asks for a logout first (409) instead of relaying that as a provider error.
 */
export async function setInstanceProxy(caller: Caller, id: string, url: string | null): Promise<Instance> {
  const instance = await getInstance(caller, id);
  const provider = providerFor(instance);
  if (!provider.setProxy) {
    const message = tText("instances:proxy.unsupported", { provider: tText(`instances:providers.${instance.provider}`) });
    throw new AppError("unsupported_by_provider", message, [{ path: "url", message }]);
  }
  if (instance.status === "connected" || instance.status === "qr" || instance.status === "connecting") throw conflict(tText("instances:proxy.connected"));
  await callProvider(tText("instances:proxy.setting"), () => provider.setProxy!(instance, url));
  const masked = url ? maskProxyUrl(url) : null;
  const config = url
    ? sql`${instances.providerConfig} || ${JSON.stringify({ proxyUrlEnc: encryptSecret(url), proxyMasked: masked })}::jsonb`
    : sql`${instances.providerConfig} - 'proxyUrlEnc'::text - 'proxyMasked'::text`;
  return db.transaction(async (tx) => {
    const [updated] = await tx.update(instances).set({ providerConfig: config, updatedAt: new Date() }).where(eq(instances.id, instance.id)).returning();
    // Deleted meanwhile.
    if (!updated) throw notFound();
    await recordAudit(
      {
        organizationId: instance.organizationId,
        actor: auditActor(caller),
        action: "instance.proxy_changed",
        target: { type: "instance", id: instance.id },
        request: caller.request,
        details: { proxy: masked },
      },
      tx,
    );
    return updated;
  });
}
