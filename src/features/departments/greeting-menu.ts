import { and, asc, eq, inArray } from "drizzle-orm";
import { db, type DbOrTx } from "@/db/client";
import { orgCached } from "@/db/org-cache";
import { conversations, departments, greetingMenuOptions, greetingMenus, instances, organizations } from "@/db/schema";
import { auditChange, inTransaction } from "@/features/audit/audit.service";
import { claimMenuTurn, routeFromMenu } from "@/features/conversations/routing";
import type { InboundMessageContext } from "@/features/inbound/inbound.service";
import { queueOutboundMessage } from "@/features/messages/message.service";
import { systemCaller, type Caller } from "@/lib/caller";
import { validationFailed } from "@/lib/errors";
import { tText, withLocale } from "@/lib/i18n";
import { log } from "@/lib/logger";
import { instanceOfTenant, organizationOf } from "@/lib/tenant";
import { NUMBER_ANSWER } from "@/providers/features";
import { assertManager } from "./department.service";
import type { GreetingMenuInput } from "./department.schema";

export type MenuOption = { departmentId: string; name: string; color: string; position: number };
export type GreetingMenu = {
  instanceId: string;
  enabled: boolean;
  greeting: string;
  maxAttempts: number;
  fallbackDepartmentId: string | null;
  /** Active departments only, in menu order (option n = the n-th). */
  options: MenuOption[];
};

/** A list row's id carries the department: a native list reply routes by it. */
const ROW_PREFIX = "dept:";
const LIST_TITLE_MAX = 24;

export function greetingMenuJson(m: GreetingMenu) {
  return {
    instanceId: m.instanceId,
    enabled: m.enabled,
    greeting: m.greeting,
    maxAttempts: m.maxAttempts,
    fallbackDepartmentId: m.fallbackDepartmentId,
    options: m.options.map((o) => ({ departmentId: o.departmentId, name: o.name, position: o.position })),
  };
}

async function organizationInstance(organizationId: string, instanceId: string, tx: DbOrTx) {
  return instanceOfTenant({ tenant: { organizationId } }, instanceId, { tx });
}

/** The menu of an instance (a default, disabled one when none was saved); options skip inactive departments. */
async function loadMenu(organizationId: string, instanceId: string, tx: DbOrTx = db): Promise<GreetingMenu> {
  const [menu] = await tx
    .select()
    .from(greetingMenus)
    .where(and(eq(greetingMenus.instanceId, instanceId), eq(greetingMenus.organizationId, organizationId)))
    .limit(1);
  const options = await tx
    .select({ departmentId: departments.id, name: departments.name, color: departments.color, position: greetingMenuOptions.position })
    .from(greetingMenuOptions)
    .innerJoin(departments, eq(departments.id, greetingMenuOptions.departmentId))
    .where(and(eq(greetingMenuOptions.instanceId, instanceId), eq(departments.active, true)))
    .orderBy(asc(greetingMenuOptions.position), asc(departments.name));
  return {
    instanceId,
    enabled: menu?.enabled ?? false,
    greeting: menu?.greeting ?? "",
    maxAttempts: menu?.maxAttempts ?? 3,
    fallbackDepartmentId: menu?.fallbackDepartmentId ?? null,
    options: options.map((o, i) => ({ ...o, position: i + 1 })),
  };
}

/**
 * The organization's menus that are on (with at least one option), by instance: what every inbound
 * message asks first, cached per organization (src/db/org-cache.ts; evicted when a menu, its options or
 * a department change). Most organizations have none, and their messages cost no query here.
 */
const enabledMenus = orgCached({
  tables: ["greeting_menus", "greeting_menu_options", "departments"],
  load: async (organizationId): Promise<ReadonlyMap<string, GreetingMenu>> => {
    const rows = await db
      .select({ instanceId: greetingMenus.instanceId })
      .from(greetingMenus)
      .where(and(eq(greetingMenus.organizationId, organizationId), eq(greetingMenus.enabled, true)));
    const menus = new Map<string, GreetingMenu>();
    for (const { instanceId } of rows) {
      const menu = await loadMenu(organizationId, instanceId);
      if (menu.enabled && menu.options.length > 0) menus.set(instanceId, menu);
    }
    return menus;
  },
});

export async function getGreetingMenu(caller: Caller, instanceId: string, tx: DbOrTx = db): Promise<GreetingMenu> {
  const organizationId = organizationOf(caller);
  await organizationInstance(organizationId, instanceId, tx);
  return loadMenu(organizationId, instanceId, tx);
}

/** Every instance of the organization with its menu (the departments page lists them). */
export async function listGreetingMenus(caller: Caller, tx: DbOrTx = db): Promise<(GreetingMenu & { instanceName: string })[]> {
  const organizationId = organizationOf(caller);
  const rows = await tx
    .select({ id: instances.id, name: instances.name })
    .from(instances)
    .where(eq(instances.organizationId, organizationId))
    .orderBy(asc(instances.name));
  return Promise.all(rows.map(async (r) => ({ ...(await loadMenu(organizationId, r.id, tx)), instanceName: r.name })));
}

/**
 * Saves an instance's menu (admins): options must be active departments of the organization, in the order
 * given; the fallback too. An enabled menu needs at least one option.
 */
export async function saveGreetingMenu(caller: Caller, instanceId: string, input: GreetingMenuInput, tx?: DbOrTx): Promise<GreetingMenu> {
  assertManager(caller);
  const organizationId = organizationOf(caller);
  return inTransaction(tx, async (tx) => {
    await organizationInstance(organizationId, instanceId, tx);
    const options = [...new Set(input.options)];
    const wanted = [...options, ...(input.fallbackDepartmentId ? [input.fallbackDepartmentId] : [])];
    const found = wanted.length
      ? await tx
          .select({ id: departments.id })
          .from(departments)
          .where(and(eq(departments.organizationId, organizationId), eq(departments.active, true), inArray(departments.id, wanted)))
      : [];
    const known = new Set(found.map((d) => d.id));
    if (options.some((id) => !known.has(id)) || (input.enabled && options.length === 0)) {
      throw validationFailed([{ path: "options", message: tText("departments:errors.options", { max: 10 }) }]);
    }
    if (input.fallbackDepartmentId && !known.has(input.fallbackDepartmentId)) {
      throw validationFailed([{ path: "fallbackDepartmentId", message: tText("departments:errors.fallback") }]);
    }
    const values = { enabled: input.enabled, greeting: input.greeting, maxAttempts: input.maxAttempts, fallbackDepartmentId: input.fallbackDepartmentId };
    await tx
      .insert(greetingMenus)
      .values({ instanceId, organizationId, ...values })
      .onConflictDoUpdate({ target: greetingMenus.instanceId, set: { ...values, updatedAt: new Date() } });
    await tx.delete(greetingMenuOptions).where(eq(greetingMenuOptions.instanceId, instanceId));
    if (options.length) await tx.insert(greetingMenuOptions).values(options.map((departmentId, i) => ({ instanceId, departmentId, position: i + 1 })));
    await auditChange(tx, organizationId, caller, "greeting_menu.updated", { type: "instance", id: instanceId }, { ...values, options });
    return loadMenu(organizationId, instanceId, tx);
  });
}

/** Lowercase without accents or extra spaces: "Finanças " matches "financas". */
const normalize = (s: string) => s.normalize("NFD").replace(/\p{M}/gu, "").trim().replace(/\s+/g, " ").toLowerCase();

/** The option a contact's answer names: a list reply's id, the option's number, or its name (any case, accents aside). */
export function menuChoice(
  options: MenuOption[],
  message: { body: string | null; context: { interactive?: { id?: string; title?: string } } | null },
): MenuOption | undefined {
  const id = message.context?.interactive?.id;
  if (id?.startsWith(ROW_PREFIX)) {
    const byId = options.find((o) => o.departmentId === id.slice(ROW_PREFIX.length));
    if (byId) return byId;
  }
  const text = message.context?.interactive?.title ?? message.body ?? "";
  const number = NUMBER_ANSWER.exec(text);
  if (number) return options[Number(number[1]) - 1];
  const said = normalize(text);
  return said ? options.find((o) => normalize(o.name) === said) : undefined;
}

/** The menu as a list message (numbered text where the organization or provider sends lists as text). */
function menuMessage(menu: GreetingMenu, prefix?: string) {
  const greeting = menu.greeting || tText("departments:menu.greetingPlaceholder");
  return {
    body: (prefix ? `${prefix}\n\n${greeting}` : greeting).slice(0, 1024),
    list: {
      button: tText("departments:menu.listButton"),
      sections: [{ rows: menu.options.map((o) => ({ id: `${ROW_PREFIX}${o.departmentId}`, title: o.name.slice(0, LIST_TITLE_MAX) })) }],
    },
  };
}

async function sendMenu(ctx: InboundMessageContext, organizationId: string, menu: GreetingMenu, prefix?: string): Promise<void> {
  try {
    await queueOutboundMessage(
      systemCaller("greeting-menu", organizationId),
      { instanceId: ctx.instance.id, contactId: ctx.contact.id, type: "interactive", interactive: menuMessage(menu, prefix) },
      { sentBy: "bot" },
    );
  } catch (err) {
    log.warn("greeting menu not sent", { conversationId: ctx.conversation.id, err });
  }
}

/**
 * The greeting menu as an inbound claim (src/routes.ts registers it): a conversation with no department, no
 * agent and not handed to a human, on an instance whose menu is on, gets the menu on its first message
 * (a new conversation, or one reopened after resolution) and every message is its answer until one routes
 * it; an invalid answer repeats the menu, and after `maxAttempts` of them the fallback department (or a
 * human) takes it. Claimed messages are not seen by automation: the bot does not answer over the menu.
 */
export async function greetingMenuClaim(ctx: InboundMessageContext): Promise<boolean> {
  const organizationId = ctx.instance.organizationId;
  if (!organizationId || ctx.message.direction !== "inbound" || ctx.message.isPrivateNote) return false;
  if (ctx.contact.kind === "group" || ctx.contact.blocked) return false;
  // The cached menu first: the conversation is read only on an instance whose menu is on.
  const menu = (await enabledMenus(organizationId)).get(ctx.instance.id);
  if (!menu) return false;
  const [row] = await db
    .select({ conversation: conversations, locale: organizations.language, timeZone: organizations.timeZone })
    .from(conversations)
    .innerJoin(organizations, eq(organizations.id, conversations.organizationId))
    .where(eq(conversations.id, ctx.conversation.id))
    .limit(1);
  const current = row?.conversation;
  if (!current || current.departmentId || current.assignedUserId || current.handledBy === "human" || current.status === "resolved") return false;
  return withLocale({ locale: row.locale, timeZone: row.timeZone }, async () => {
    if (!current.menuSentAt) {
      if (await claimMenuTurn(current.id, null, 0)) await sendMenu(ctx, organizationId, menu);
      return true;
    }
    const answer = (ctx.message.context?.interactive?.title ?? ctx.message.body ?? "").slice(0, 200);
    const chosen = menuChoice(menu.options, ctx.message);
    if (chosen) {
      await routeFromMenu(organizationId, current.id, chosen.departmentId, { answer });
      return true;
    }
    const attempts = current.menuAttempts + 1;
    if (attempts >= menu.maxAttempts) {
      await routeFromMenu(organizationId, current.id, menu.fallbackDepartmentId, { answer, fallback: true });
      return true;
    }
    if (await claimMenuTurn(current.id, current.menuAttempts, attempts)) await sendMenu(ctx, organizationId, menu, tText("departments:menu.invalid"));
    return true;
  });
}
