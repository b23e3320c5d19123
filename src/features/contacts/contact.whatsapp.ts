import { and, desc, eq, inArray, isNotNull, isNull, lt, or, sql } from "drizzle-orm";
import { db } from "@/db/client";
import { contacts, conversations, instances, type Instance } from "@/db/schema";
import { recordAudit } from "@/features/audit/audit.service";
import { recordEvent } from "@/features/events/event.service";
import { callProvider } from "@/features/instances/instance.service";
import type { Caller } from "@/lib/caller";
import { AppError, conflict } from "@/lib/errors";
import { tText } from "@/lib/i18n";
import { log } from "@/lib/logger";
import { callerTenant, instanceOfTenant, tenantFilter, type Tenant } from "@/lib/tenant";
import { providerFor } from "@/providers";
import type { ProviderName, WhatsAppProvider } from "@/providers/provider";
import { getContact, type Contact } from "./contact.service";

/*
 * A contact as WhatsApp knows it, through one of the tenant's instances: its profile picture and
 * (verified business) name fetched on demand and in the background when stale, and WhatsApp's own
 * block list — distinct from LivChat's `blocked` flag, which only stops LivChat from answering.
 */

/** How long a person's picture is trusted (WhatsApp's picture links also expire) before it is fetched again. */
export const PROFILE_TTL_MS = 24 * 60 * 60 * 1000;
/** After a failed background fetch, the next pass tries this much later. */
const PROFILE_RETRY_MS = 60 * 60 * 1000;
/** The background pass refreshes only people who wrote or were written to recently. */
const PROFILE_ACTIVE_MS = 30 * 24 * 60 * 60 * 1000;

type Feature = "profile" | "block";

function unsupported(provider: ProviderName, feature: Feature): AppError {
  const message = tText("contacts:whatsapp.unsupported", {
    provider: tText(`contacts:whatsapp.providers.${provider}`),
    feature: tText(`contacts:whatsapp.features.${feature}`),
  });
  return new AppError("unsupported_by_provider", message, [{ path: "instanceId", message }]);
}

/**
 * The instance that speaks to the contact: the one asked for (404 if not the tenant's or outside a bound
 * key, 409 if not connected), else the key's bound instance, else the instance of the contact's latest
 * conversation, else the tenant's only connected instance.
 */
async function instanceFor(tenant: Tenant, contact: Contact, opts: { instanceId?: string; boundInstanceId?: string | null }): Promise<Instance> {
  const wanted = opts.instanceId ?? opts.boundInstanceId ?? null;
  let instance: Instance | null = null;
  if (wanted) instance = await instanceOfTenant({ tenant, instanceId: opts.boundInstanceId }, wanted);
  if (!instance) {
    const [latest] = await db
      .select({ instance: instances })
      .from(conversations)
      .innerJoin(instances, eq(instances.id, conversations.instanceId))
      .where(eq(conversations.contactId, contact.id))
      .orderBy(sql`${conversations.lastMessageAt} desc nulls last`)
      .limit(1);
    instance = latest?.instance ?? null;
  }
  if (!instance) {
    const connected = await db
      .select()
      .from(instances)
      .where(and(tenantFilter(tenant, instances.organizationId, instances.createdByDeviceId), eq(instances.status, "connected")))
      .limit(2);
    instance = connected.length === 1 ? connected[0]! : null;
  }
  if (!instance) throw conflict(tText("contacts:whatsapp.noInstance"));
  if (instance.status !== "connected") throw conflict(tText("contacts:whatsapp.notConnected", { name: instance.name }));
  return instance;
}

function phoneOf(contact: Contact): string {
  if (contact.kind !== "person" || !contact.phone)
    throw new AppError("validation_failed", tText("contacts:whatsapp.needsPhone"), [{ path: "id", message: tText("contacts:whatsapp.needsPhone") }]);
  return contact.phone;
}

/** Stores a fetched profile: the picture always (null clears one taken down), the name only where LivChat has none. */
async function storeProfile(contactId: string, profile: { name?: string; pictureUrl: string | null }): Promise<Contact> {
  const [row] = await db
    .update(contacts)
    .set({
      pictureUrl: profile.pictureUrl,
      profileFetchedAt: new Date(),
      updatedAt: new Date(),
      ...(profile.name?.trim() ? { name: sql`coalesce(${contacts.name}, ${profile.name.trim()})` } : {}),
    })
    .where(eq(contacts.id, contactId))
    .returning();
  if (!row) throw new AppError("not_found", tText("contacts:errors.notFound"));
  return row;
}

/** `POST /v1/contacts/:id/refresh` and the contact page's button: fetches the picture and name now. */
export async function refreshContactProfile(caller: Caller, id: string, input: { instanceId?: string } = {}): Promise<Contact> {
  const tenant = callerTenant(caller);
  const contact = await getContact(caller, id);
  const phone = phoneOf(contact);
  const instance = await instanceFor(tenant, contact, { instanceId: input.instanceId, boundInstanceId: caller.boundInstanceId });
  const provider = providerFor(instance);
  if (!provider.contactProfile) throw unsupported(instance.provider, "profile");
  const profile = await callProvider(tText("contacts:whatsapp.fetchingProfile"), () => provider.contactProfile!(instance, phone));
  return storeProfile(contact.id, profile);
}

/**
 * `POST /v1/contacts/:id/whatsapp-block`: blocks or unblocks the contact on WhatsApp itself through the
 * instance, then stores `whatsapp_blocked`, audits and emits `contact.whatsapp_blocked` / `_unblocked`.
 * Asking for the state it already has asks the provider again (the phone may have changed it) but
 * emits nothing.
 */
export async function setContactWhatsAppBlocked(caller: Caller, id: string, input: { blocked: boolean; instanceId?: string }): Promise<Contact> {
  const tenant = callerTenant(caller);
  const contact = await getContact(caller, id);
  const phone = phoneOf(contact);
  const instance = await instanceFor(tenant, contact, { instanceId: input.instanceId, boundInstanceId: caller.boundInstanceId });
  const provider = providerFor(instance);
  if (!provider.setWhatsAppBlocked) throw unsupported(instance.provider, "block");
  await callProvider(tText("contacts:whatsapp.blocking"), () => provider.setWhatsAppBlocked!(instance, phone, input.blocked));
  return db.transaction(async (tx) => {
    const [before] = await tx.select({ whatsappBlocked: contacts.whatsappBlocked }).from(contacts).where(eq(contacts.id, contact.id)).for("update");
    if (!before) throw new AppError("not_found", tText("contacts:errors.notFound"));
    const [row] = await tx.update(contacts).set({ whatsappBlocked: input.blocked, updatedAt: new Date() }).where(eq(contacts.id, contact.id)).returning();
    if (before.whatsappBlocked === input.blocked) return row!;
    const type = input.blocked ? "contact.whatsapp_blocked" : "contact.whatsapp_unblocked";
    await recordEvent(
      {
        organizationId: tenant.organizationId,
        instanceId: instance.id,
        apiKeyId: caller.type === "api_key" ? caller.id : null,
        deviceId: tenant.organizationId ? null : tenant.deviceId,
        type,
        data: { contact: { id: row!.id, phone: row!.phone, name: row!.name }, instanceId: instance.id },
      },
      tx,
    );
    if (tenant.organizationId)
      await recordAudit(
        {
          organizationId: tenant.organizationId,
          actor: { type: caller.type, id: caller.id },
          action: type,
          target: { type: "contact", id: row!.id },
          request: caller.request,
          details: { instanceId: instance.id },
        },
        tx,
      );
    return row!;
  });
}

/** Providers whose adapter can fetch a person's profile (WuzAPI, sandbox; not Cloud). */
function profileProviders(): ProviderName[] {
  return (["sandbox", "wuzapi", "cloud"] as const).filter((provider) => !!(providerFor({ provider }) as WhatsAppProvider).contactProfile);
}

/**
 * One background pass: people with a phone, active in the last 30 days, whose picture is older than a
 * day (or never fetched), through their latest conversation's connected instance. Each is claimed by
 * moving profile_fetched_at (the group refresh's pattern, so two processes never ask twice); a failed
 * fetch is tried again an hour later. Returns how many profiles were stored.
 */
export async function refreshStaleProfiles(limit = 20): Promise<number> {
  const supported = profileProviders();
  if (supported.length === 0) return 0;
  const now = Date.now();
  const stale = or(isNull(contacts.profileFetchedAt), lt(contacts.profileFetchedAt, new Date(now - PROFILE_TTL_MS)));
  // Each contact once, with its latest conversation's instance; the most recently active first.
  const candidates = db
    .selectDistinctOn([contacts.id], {
      contactId: contacts.id,
      phone: contacts.phone,
      lastInteractionAt: contacts.lastInteractionAt,
      instanceId: sql<string>`${instances.id}`.as("instance_id"),
    })
    .from(contacts)
    .innerJoin(conversations, eq(conversations.contactId, contacts.id))
    .innerJoin(instances, eq(instances.id, conversations.instanceId))
    .where(
      and(
        eq(contacts.kind, "person"),
        isNotNull(contacts.phone),
        stale,
        sql`${contacts.lastInteractionAt} > ${new Date(now - PROFILE_ACTIVE_MS).toISOString()}::timestamptz`,
        eq(instances.status, "connected"),
        inArray(instances.provider, supported),
      ),
    )
    .orderBy(contacts.id, desc(conversations.lastMessageAt))
    .as("candidates");
  const picked = await db.select().from(candidates).orderBy(desc(candidates.lastInteractionAt)).limit(limit);
  if (picked.length === 0) return 0;
  const byId = new Map(
    (
      await db
        .select()
        .from(instances)
        .where(inArray(instances.id, [...new Set(picked.map((p) => p.instanceId))]))
    ).map((i) => [i.id, i]),
  );
  const rows = picked.flatMap((p) => {
    const instance = byId.get(p.instanceId);
    return instance && p.phone ? [{ contact: { id: p.contactId, phone: p.phone }, instance }] : [];
  });
  let stored = 0;
  for (const { contact, instance } of rows) {
    const [claimed] = await db
      .update(contacts)
      .set({ profileFetchedAt: new Date(now) })
      .where(and(eq(contacts.id, contact.id), stale))
      .returning({ id: contacts.id });
    if (!claimed) continue;
    try {
      await storeProfile(contact.id, await providerFor(instance).contactProfile!(instance, contact.phone));
      stored++;
    } catch (err) {
      log.warn("contact profile not fetched", { instanceId: instance.id, contactId: contact.id, err });
      await db
        .update(contacts)
        .set({ profileFetchedAt: new Date(now - PROFILE_TTL_MS + PROFILE_RETRY_MS) })
        .where(eq(contacts.id, contact.id));
    }
  }
  return stored;
}
