import { expect } from "bun:test";
import { eq } from "drizzle-orm";
import { createSession, SESSION_COOKIE } from "@/auth/session";
import { db } from "@/db/client";
import { type Role, users } from "@/db/schema";
import { createApiKey } from "@/features/api-keys/api-key.service";
import { createUser } from "@/features/auth/auth.service";
import { addMember, createOrganization } from "@/features/organizations/organization.service";
import type { Caller } from "@/lib/caller";
import { TestClient } from "./client";
import type { App } from "@/app";

let seq = 0;
export const uniqueEmail = (prefix = "user") => `${prefix}-${Date.now().toString(36)}-${++seq}@example.test`;

/** A user with an organization they own. */
export async function createOwner(opts: { email?: string; orgName?: string; password?: string } = {}) {
  const user = await createUser({ email: opts.email ?? uniqueEmail(), password: opts.password ?? "correct horse battery", name: "Test Owner" });
  const organization = await createOrganization(user.id, opts.orgName ?? `Org ${seq}`);
  return { user, organization };
}

/** A member with `role` in an existing organization. */
export async function createMember(organizationId: string, role: Role) {
  const user = await createUser({ email: uniqueEmail(role), password: "correct horse battery", name: `Test ${role}` });
  await addMember(organizationId, user.id, role);
  return user;
}

/** A member of `organizationId` with `role`, as the Caller services take (what an admin page passes them). */
export function memberCaller(userId: string, organizationId: string, role: Role): Caller<"user"> {
  return { type: "user", id: userId, organizationId, role };
}

/** A TestClient signed in as `userId` with `organizationId` active. */
export async function signIn(app: App, userId: string, organizationId?: string) {
  const client = new TestClient(app);
  const { token } = await createSession(userId, { activeOrganizationId: organizationId ?? null });
  client.cookies.set(SESSION_COOKIE, token);
  return client;
}

/** Owner + organization + signed-in client + an all-scopes API key: the usual test starting point. */
export async function setupOrg(app: App, opts: { scopes?: string[]; orgName?: string } = {}) {
  const { user, organization } = await createOwner({ orgName: opts.orgName });
  const client = await signIn(app, user.id, organization.id);
  const { key, secret } = await createApiKey({ organizationId: organization.id, name: "test", scopes: opts.scopes ?? ["*"] });
  return { user, organization, client, apiKey: key, key: secret };
}

/** setupOrg whose owner reads Brazilian Portuguese in the organization's zone (America/Sao_Paulo). */
export async function portugueseOrg(app: App) {
  const org = await setupOrg(app);
  expect(org.organization.timeZone).toBe("America/Sao_Paulo");
  await db.update(users).set({ language: "pt-BR", timeZone: org.organization.timeZone }).where(eq(users.id, org.user.id));
  return org;
}
