import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { adminOf, resolveAdmin, resolveSignedIn, type AdminContext, type Me } from "@/auth/plugin";
import { createSession } from "@/auth/session";
import { createUser } from "@/features/auth/auth.service";
import { deviceCaller, keyCaller, systemCaller, type Caller } from "@/lib/caller";
import { callerTenant, instanceAccess } from "@/lib/tenant";
import { createOwner, uniqueEmail } from "../helpers/factories";

/**
 * One caller type (issue 15 item 3): whoever calls a service — an admin page's member, a signed-in
 * user on their account pages, a `/v1` key — arrives as src/lib/caller.ts's Caller. The auth plugin
 * builds it; services take it first.
 */
const SRC = resolve(import.meta.dir, "../../src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

function filesMatching(pattern: RegExp): string[] {
  return sourceFiles(SRC)
    .filter((file) => pattern.test(readFileSync(file, "utf8")))
    .map((file) => relative(SRC, file))
    .sort();
}

// Compile-time: the page contexts are Callers, so a route hands `admin` or `me` to a service as is.
const asCaller = (context: AdminContext | Me): Caller<"user"> => context;

describe("one caller type", () => {
  test("the caller shapes it replaced stay gone", () => {
    expect(filesMatching(/\btype (MemberActor|AccountActor|KeyActor|DeviceViewer|InstanceScope|SendContext|ConversationActor|ConversationAccess)\b/)).toEqual(
      [],
    );
    // A caller written out as a scope object (tenant + bound instance + actor) instead of a Caller.
    expect(filesMatching(/\b(keyScope|adminScope|visitorScope|accessOf)\(/)).toEqual([]);
    // A feature's own actor alias (contacts had one): services take the Caller itself.
    expect(filesMatching(/export type Actor = /)).toEqual([]);
    // An actor and its request passed beside a tenant (and a bound instance) instead of the Caller.
    expect(filesMatching(/AuditBy\["actor"\]/)).toEqual([]);
    // The audit actor written out apart from the Caller (`organizationId, …, who: AuditBy = bySystem`):
    // services take the Caller first and auditChange reads the actor and request from it.
    expect(filesMatching(/\bAuditBy\b/)).toEqual([]);
    expect(filesMatching(/\b(bySystem|byUser|byApiKey)\b/)).toEqual([]);
    expect(filesMatching(/\bwho: [A-Za-z]/)).toEqual([]);
    // A feature's own alias for the audit actor (webhooks had WebhookActor): only caller.ts names actors.
    expect(filesMatching(/export type \w*Actor = /)).toEqual(["lib/caller.ts"]);
    // A read given a tenant and a bound key's instance id beside it instead of the Caller (contacts had
    // getContact/listContacts so). The inbound sandbox still does: convert it and empty this list.
    expect(filesMatching(/export async function \w+\(tenant: Tenant[^{]*boundInstanceId\?: string \| null/)).toEqual(["features/inbound/sandbox.service.ts"]);
    // A member written out as { userId, role } instead of a Caller.
    expect(filesMatching(/actor: \{ userId: /)).toEqual([]);
  });

  test("routes read `me` and `admin` as typed by the auth plugin, without casts", () => {
    expect(filesMatching(/\bas (Me|AdminContext)\b/)).toEqual([]);
  });

  test("an admin page's context is the member as a Caller: user, organization, role, session and request", async () => {
    const { user, organization } = await createOwner();
    const { token, session } = await createSession(user.id, { activeOrganizationId: organization.id });
    const request = new Request("http://localhost/settings");
    const admin = await resolveAdmin(token, "admin", "/settings", request);
    expect(asCaller(admin)).toMatchObject({
      type: "user",
      id: user.id,
      organizationId: organization.id,
      role: "owner",
      sessionId: session.id,
      platformAdmin: user.isPlatformAdmin,
    });
    expect(admin.request).toBe(request);
    expect(admin.organization.id).toBe(organization.id);
    await expect(resolveAdmin("not-a-session", "agent", "/settings")).rejects.toMatchObject({ code: "unauthorized" });
  });

  test("a signed-in user without an organization is a Caller with none, and gets no admin shell", async () => {
    const user = await createUser({ email: uniqueEmail("loner"), password: "correct horse battery" });
    const { token } = await createSession(user.id, {});
    const me = await resolveSignedIn(token);
    expect(asCaller(me)).toMatchObject({ type: "user", id: user.id, organizationId: null });
    expect(me.role).toBeUndefined();
    expect(adminOf(me)).toBeUndefined();
  });

  test("a /v1 key is a Caller with its organization (or visitor device), scopes and bound instance", () => {
    const request = new Request("http://localhost/v1/devices");
    const key = { id: "k1", organizationId: null, deviceId: "d1", instanceId: "i1", scopes: ["messages:write"] };
    expect(keyCaller(key, request)).toEqual({
      type: "api_key",
      id: "k1",
      organizationId: null,
      deviceId: "d1",
      scopes: ["messages:write"],
      boundInstanceId: "i1",
      request,
    });
  });

  test("a visitor device and LivChat itself are Callers too; the tenant and the instances reached follow from a Caller", () => {
    const key = keyCaller({ id: "k1", organizationId: "o1", deviceId: null, instanceId: "i1", scopes: [] });
    expect(instanceAccess(key)).toEqual({ tenant: { organizationId: "o1", deviceId: null }, instanceId: "i1" });
    const visitor = deviceCaller("d1");
    expect(visitor).toEqual({ type: "device", id: "d1", organizationId: null, deviceId: "d1", request: undefined });
    expect(callerTenant(visitor)).toEqual({ organizationId: null, deviceId: "d1" });
    expect(instanceAccess(visitor)).toEqual({ tenant: { organizationId: null, deviceId: "d1" }, instanceId: null });
    const system = systemCaller("automation:bot", "o2");
    expect(system).toEqual({ type: "system", id: "automation:bot", organizationId: "o2" });
    expect(callerTenant(system)).toEqual({ organizationId: "o2", deviceId: null });
  });
});
