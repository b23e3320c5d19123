import type { Role } from "@/db/schema";

/** The kinds of caller LivChat knows: a signed-in user, an API key, a visitor device, LivChat itself. */
export type CallerType = "user" | "api_key" | "device" | "system";

/**
 * Who is calling a service, in one shape whichever door they came through (admin page, `/v1` key,
 * visitor device, worker): who they are, the organization they act for (null for an unclaimed visitor
 * device), what they may do (a member's role or a key's scopes), the one instance a bound key is
 * limited to, and the request the audit row reads its ip and user agent from.
 */
export type Caller<T extends CallerType = CallerType> = {
  type: T;
  id: string;
  organizationId?: string | null;
  role?: Role;
  scopes?: readonly string[];
  boundInstanceId?: string | null;
  request?: Request;
};

/** The part of a caller a service needs to name the actor of what it records (audit rows, events). */
export type Actor<T extends CallerType = CallerType> = Pick<Caller<T>, "type" | "id" | "request">;

/** An audit row's actor: as Actor, but `system` and removed actors may have no id. */
export type AuditActor = { type: CallerType; id?: string | null };

/** Who made a change, and the request it came with (the audit row's ip and user agent). */
export type AuditBy = { actor: AuditActor; request?: Request };
