import { db, type DbOrTx } from "@/db/client";
import { auditLogs } from "@/db/schema";

export type AuditActor = { type: "user" | "api_key" | "device" | "system"; id?: string | null };
export type AuditInput = {
  organizationId: string | null;
  actor: AuditActor;
  /** Dotted verb: "auth.sign_in", "api_key.created", "api_key.revoked", "member.role_changed", "device.revoked"… */
  action: string;
  target?: { type: string; id: string };
  request?: Request;
  details?: Record<string, unknown>;
};

/** The client IP as seen by the app (first X-Forwarded-For hop when behind a proxy). */
export function clientIp(request?: Request): string | null {
  if (!request) return null;
  return request.headers.get("x-forwarded-for")?.split(",")[0]?.trim() || request.headers.get("x-real-ip") || null;
}

/** Appends one audit row; pass the `tx` of the action so both commit together. */
export async function recordAudit(input: AuditInput, tx: DbOrTx = db): Promise<void> {
  await tx.insert(auditLogs).values({
    organizationId: input.organizationId,
    actorType: input.actor.type,
    actorId: input.actor.id ?? null,
    action: input.action,
    targetType: input.target?.type ?? null,
    targetId: input.target?.id ?? null,
    ip: clientIp(input.request),
    userAgent: input.request?.headers.get("user-agent")?.slice(0, 500) ?? null,
    details: input.details ?? {},
  });
}
