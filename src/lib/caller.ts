import type { Role } from "@/db/schema";
import { forbidden } from "./errors";

/** The kinds of caller LivChat knows: a signed-in user, an API key, a visitor device, LivChat itself. */
export type CallerType = "user" | "api_key" | "device" | "system";

/**
 * Who is calling a service, in one shape whichever door they came through (admin page, `/v1` key,
 * visitor device, worker): who they are, the organization they act for (null for an unclaimed visitor
 * device), what they may do (a member's role or a key's scopes), the one instance a bound key is
 * limited to, and the request the audit row reads its ip and user agent from. Services take it as
 * their first argument; src/auth/plugin.ts builds it for every route (`admin`, `me` and `caller`
 * are Callers).
 */
export type Caller<T extends CallerType = CallerType> = {
  type: T;
  id: string;
  organizationId?: string | null;
  role?: Role;
  scopes?: readonly string[];
  boundInstanceId?: string | null;
  /** The session a signed-in user calls through: "sign out everywhere else" keeps it. */
  sessionId?: string;
  /** A key's visitor device (try before sign-up), whose rows it reaches while unclaimed. */
  deviceId?: string | null;
  /** A platform admin of the install (the Platform menu: every account, sign-up requests). */
  platformAdmin?: boolean;
  request?: Request;
};

/** The caller behind a `/v1` key: its organization (or visitor device), scopes and bound instance. */
export function keyCaller(
  key: { id: string; organizationId: string | null; deviceId: string | null; instanceId: string | null; scopes: readonly string[] },
  request?: Request,
): Caller<"api_key"> {
  return {
    type: "api_key",
    id: key.id,
    organizationId: key.organizationId,
    deviceId: key.deviceId,
    scopes: key.scopes,
    boundInstanceId: key.instanceId,
    request,
  };
}

/** A visitor device trying LivChat before sign-up (/try): its unclaimed rows are its tenant. */
export function deviceCaller(deviceId: string, request?: Request): Caller<"device"> {
  return { type: "device", id: deviceId, organizationId: null, deviceId, request };
}

/**
 * LivChat acting for an organization by itself (automation, an AI turn, a binding check): `id` names
 * what acts (it is the audit row's actor id).
 */
export function systemCaller(id: string, organizationId: string): Caller<"system"> {
  return { type: "system", id, organizationId };
}

/**
 * The member's role in the organization they act for; a caller without one (a key) is refused. Its
 * organization is `organizationOf(caller)` (src/lib/tenant.ts).
 */
export function roleOf(caller: Pick<Caller, "role">): Role {
  if (!caller.role) throw forbidden();
  return caller.role;
}

/** The audit actor of a caller. */
export function auditActor(caller: Pick<Caller, "type" | "id">): AuditActor {
  return { type: caller.type, id: caller.id };
}

/** The part of a caller a service needs to name the actor of what it records (audit rows, events). */
export type Actor<T extends CallerType = CallerType> = Pick<Caller<T>, "type" | "id" | "request">;

/** An audit row's actor: as Actor, but `system` and removed actors may have no id. */
export type AuditActor = { type: CallerType; id?: string | null };
