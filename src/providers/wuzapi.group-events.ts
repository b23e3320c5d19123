import { toE164 } from "@/lib/phone";
import { arr, obj, str } from "./http";
import type { InboundEvent } from "./provider";

/*
 * WuzAPI's group webhooks (whatsmeow events as WuzAPI forwards them, `{type, event}`):
 * - `GroupInfo` (events.GroupInfo): `JID`, `Timestamp`, `Name: {Name}`, `Topic: {Topic}`, and the JID
 *   lists `Join`, `Leave`, `Promote`, `Demote` — one payload may carry several changes;
 * - `JoinedGroup` (events.JoinedGroup, the GroupInfo fields inlined): this number was added to a group or
 *   created one: `JID`, `Name`, `Topic`, `Participants: [{JID, PhoneNumber, LID}]`.
 */

type Change = Extract<InboundEvent, { kind: "group_change" }>;
type Json = Record<string, unknown>;

function splitJid(jid: string | undefined): { user: string; server: string } | undefined {
  if (!jid) return undefined;
  const [user, server = ""] = jid.split("@");
  return { user: user!.split(":")[0]!.split(".")[0]!, server };
}

/** A participant JID (`…@s.whatsapp.net` or `…@lid`) as the identities it shows. */
function who(value: unknown): { phone?: string; lid?: string } | null {
  const p = obj(value);
  const parts = splitJid(str(p?.JID) ?? str(value));
  const pn = splitJid(str(p?.PhoneNumber));
  const lidParts = parts?.server === "lid" ? parts : splitJid(str(p?.LID));
  const phone = (parts?.server === "s.whatsapp.net" ? toE164(parts.user) : null) ?? (pn ? toE164(pn.user) : null);
  const lid = lidParts?.server === "lid" ? lidParts.user : undefined;
  if (!phone && !lid) return null;
  return { ...(phone ? { phone } : {}), ...(lid ? { lid } : {}) };
}

const people = (list: unknown) =>
  arr(list)
    .map(who)
    .filter((p): p is { phone?: string; lid?: string } => p !== null);

function timeOf(event: Json): Date {
  const at = str(event.Timestamp);
  const date = at ? new Date(at) : new Date();
  return Number.isNaN(date.getTime()) || date.getFullYear() < 2000 ? new Date() : date;
}

/** One WuzAPI `GroupInfo` or `JoinedGroup` payload's event as group changes (none when it names no group). */
export function mapWuzapiGroupEvent(type: "GroupInfo" | "JoinedGroup", event: Json): InboundEvent[] {
  const group = splitJid(str(event.JID));
  if (group?.server !== "g.us") return [];
  const base = { kind: "group_change" as const, groupId: group.user, timestamp: timeOf(event) };
  if (type === "JoinedGroup") {
    return [{ ...base, change: "joined", self: true, subject: str(event.Name), description: str(event.Topic), participants: people(event.Participants) }];
  }
  const changes: Change[] = [];
  const subject = str(obj(event.Name)?.Name);
  const description = obj(event.Topic) ? (str(obj(event.Topic)!.Topic) ?? "") : undefined;
  if (subject !== undefined || description !== undefined)
    changes.push({ ...base, change: "updated", ...(subject !== undefined ? { subject } : {}), ...(description !== undefined ? { description } : {}) });
  const joined = people(event.Join);
  if (joined.length) changes.push({ ...base, change: "joined", participants: joined });
  const left = people(event.Leave);
  if (left.length) changes.push({ ...base, change: "left", participants: left });
  for (const action of ["promote", "demote"] as const) {
    const list = people(event[action === "promote" ? "Promote" : "Demote"]);
    if (list.length) changes.push({ ...base, change: "participants_changed", action, participants: list });
  }
  return changes;
}
