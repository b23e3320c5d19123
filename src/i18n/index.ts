import account from "./account";
import agentChats from "./agent-chats";
import announcements from "./announcements";
import apiKeys from "./api-keys";
import audit from "./audit";
import auth from "./auth";
import alerts from "./alerts";
import cannedReplies from "./canned-replies";
import campaigns from "./campaigns";
import labels from "./labels";
import complaints from "./complaints";
import sales from "./sales";
import collections from "./collections";
import businessHours from "./business-hours";
import availability from "./availability";
import departments from "./departments";
import monitor from "./monitor";
import satisfaction from "./satisfaction";
import reports from "./reports";
import gamification from "./gamification";
import suggestions from "./suggestions";
import common from "./common";
import flows from "./flows";
import groups from "./groups";
import devices from "./devices";
import events from "./events";
import contacts from "./contacts";
import segments from "./segments";
import dashboard from "./dashboard";
import emails from "./emails";
import inbox from "./inbox";
import instances from "./instances";
import media from "./media";
import mediaContext from "./media-context";
import members from "./members";
import messages from "./messages";
import organizations from "./organizations";
import registrations from "./registrations";
import settings from "./settings";
import shell from "./shell";
import templates from "./templates";
import tools from "./tools";
import transcription from "./transcription";
import tryIt from "./try";
import triggers from "./triggers";
import usage from "./usage";
import validation from "./validation";
import webhooks from "./webhooks";
import workflows from "./workflows";
import prompts from "./prompts";
import knowledge from "./knowledge";
import outages from "./outages";
import retention from "./retention";

/**
 * Every namespace of text, registered here explicitly. A namespace file holds one feature's strings
 * with both languages side by side (`{ "pt-BR": {...}, en: {...} }`); tests/i18n checks that both
 * have the same keys and that every key the code passes to t() exists.
 */
export const catalogs = {
  account,
  "agent-chats": agentChats,
  announcements,
  "api-keys": apiKeys,
  audit,
  auth,
  alerts,
  "canned-replies": cannedReplies,
  campaigns,
  labels,
  complaints,
  sales,
  collections,
  outages,
  retention,
  knowledge,
  "business-hours": businessHours,
  availability,
  departments,
  monitor,
  satisfaction,
  reports,
  gamification,
  suggestions,
  common,
  flows,
  groups,
  devices,
  events,
  contacts,
  segments,
  dashboard,
  emails,
  inbox,
  instances,
  media,
  "media-context": mediaContext,
  members,
  messages,
  organizations,
  registrations,
  settings,
  shell,
  templates,
  tools,
  transcription,
  try: tryIt,
  triggers,
  usage,
  validation,
  webhooks,
  workflows,
  prompts,
} satisfies Record<string, Catalog>;

export type Messages = { [key: string]: string | Messages };
export type Catalog = { "pt-BR": Messages; en: Messages };
