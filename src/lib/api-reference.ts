import { Elysia } from "elysia";
import { join } from "node:path";
import { openapi } from "@elysiajs/openapi";
import { z } from "zod";
import { config } from "@/config";
import { completeDocument } from "@/lib/openapi";

/** Scalar's self-contained browser bundle, served from the installed package: /docs needs no CDN and works offline. */
const SCALAR_BUNDLE = join(import.meta.dir, "../../node_modules/@scalar/api-reference/dist/browser/standalone.js");
export const SCALAR_SCRIPT_PATH = "/docs/assets/scalar.js";

const completed = new WeakMap<object, ReturnType<typeof completeDocument>>();
function completedDocument(generated: Parameters<typeof completeDocument>[0]) {
  let doc = completed.get(generated);
  if (!doc) {
    doc = completeDocument(generated, config.appUrl);
    completed.set(generated, doc);
  }
  return doc;
}

// The plugin types Scalar's configuration as its parsed form, every option required; Scalar fills the rest in.
type ScalarOptions = NonNullable<NonNullable<Parameters<typeof openapi>[0]>["scalar"]>;

/**
 * `/docs` (Scalar) and `/openapi.json`, generated from the `/v1` route schemas. The page loads our
 * copy of the Scalar bundle instead of jsDelivr's and nothing from scalar.com: no web fonts, no
 * telemetry, no AI agent, no developer-tools bar (each would call Scalar's servers).
 */
export const apiReference = new Elysia({ name: "livchat-api-reference" })
  // The plugin's document, completed (servers, shared errors and headers, one path per route): the
  // plugin caches its document object until routes change, so the completed one is cached beside it.
  .onAfterHandle(({ path, response }) => {
    if (path !== "/openapi.json" || !response || typeof response !== "object" || response instanceof Response) return;
    return completedDocument(response as Parameters<typeof completeDocument>[0]);
  })
  .use(
    openapi({
      path: "/docs",
      specPath: "/openapi.json",
      // Request schemas are documented as clients send them (before transforms); Dates as strings.
      mapJsonSchema: { zod: (schema: z.ZodType) => z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) },
      exclude: { paths: [/^\/(?!v1\/)/] },
      scalar: {
        cdn: SCALAR_SCRIPT_PATH,
        withDefaultFonts: false,
        telemetry: false,
        agent: { disabled: true },
        showDeveloperTools: "never",
      } as unknown as ScalarOptions,
      documentation: {
        info: {
          title: "LivChat API",
          version: "1.0.0",
          description:
            "WhatsApp automation: instances, messages, contacts, webhooks, workflows. Every error answers the `Error` envelope; every call carries `X-RateLimit-*` headers.",
        },
        // Declared in reading order; a tag a route uses that is missing here is still listed (completeDocument).
        tags: [
          { name: "API keys", description: "The presented key: its organization, bindings, scopes and limits." },
          { name: "Instances", description: "WhatsApp numbers: create, pair by QR code or pairing code, log out, delete." },
          { name: "Messages", description: "Send messages of every type (queued, idempotent), read their status, mark received ones read." },
          { name: "Media", description: "Upload files to send, read any media's state and a signed link to its bytes." },
          { name: "Contacts", description: "The address book: create, tag, block, opt out, check numbers on WhatsApp." },
          { name: "Segments", description: "Saved contact filters (tags, city, state, custom fields, last interaction) with live counts: campaign audiences." },
          { name: "Groups", description: "WhatsApp groups: list, read with participants, create, change, manage participants and invite links, leave." },
          { name: "Conversations", description: "Conversations and their messages; assign, resolve, hand off to a human." },
          { name: "Events", description: "The event log: list or poll, the alternative to webhooks." },
          { name: "Webhooks", description: "Endpoints receiving every event, signed per Standard Webhooks, with a delivery log, retries and recovery." },
          { name: "Canned replies", description: "Saved answers agents insert into a conversation." },
          { name: "Campaigns", description: "Paced bulk sends: audience, message variants, active hours, pacing per number, progress and report." },
          { name: "Retention", description: "How long the organization keeps events, the webhook delivery log and messages." },
          { name: "Consent", description: "Opt-out and opt-in keywords and each contact's consent records (LGPD)." },
          {
            name: "Outages",
            description:
              "Regional outage notices: predefined regions, declare (severity, areas, estimate, messages), paced notices per number, notice first on inbound, resolve, the notification log and its counts.",
          },
          { name: "Labels", description: "The organization's conversation labels (separate from contact tags), and labelling a conversation." },
          { name: "Complaints", description: "Formal complaints (ombudsman): type, severity, status, assignee, resolution and append-only notes." },
          { name: "Collections", description: "Promises of payment (amount in cents, date, method): a reminder the day before, fulfilled / broken tracking." },
          {
            name: "Sales",
            description: "The plans catalogue (price in cents) and the leads pipeline: new, contacted, qualified, converted, lost, with assignment.",
          },
          {
            name: "Departments",
            description:
              "Queues: members see their departments' conversations; per-department auto-close; each instance's greeting menu routes new conversations.",
          },
          {
            name: "Alerts",
            description:
              "Supervisor alerts: first-response and resolution targets per department, urgency words, urgent sentiment; resolvable, emitted as alert.created / alert.resolved.",
          },
          {
            name: "Satisfaction",
            description: "NPS surveys sent after resolution per department, the answers, detractors' handling tasks and the NPS dashboard.",
          },
          {
            name: "Reports",
            description:
              "Conversations, first-response and resolution times, bot- vs human-resolved and NPS per agent, department, instance and day/week/month; JSON or CSV.",
          },
          {
            name: "Gamification",
            description: "Agents' scores per period from configurable weights, badges, the ranking, the permanent top-5 history and opting out.",
          },
          {
            name: "Knowledge base",
            description:
              "Collections of documents (uploaded or fetched from a URL) that AI workflows answer from and cite; search, embeddings endpoint and unanswered questions.",
          },
          {
            name: "Human in the loop",
            description: "Hybrid mode: the AI drafts replies that agents send as is, edit or discard; per conversation, department or workflow.",
          },
          {
            name: "Learning",
            description: "Corrections of AI drafts (learning events) and the prompt changes the model proposes from them, applied or rejected.",
          },
          { name: "Sentiment", description: "Optional sentiment and urgency classification of inbound messages, feeding supervisor alerts." },
          {
            name: "Business hours",
            description: "Weekly schedules and holidays, per department or the organization's default: out-of-hours replies and SLA clocks follow them.",
          },
          { name: "Availability", description: "Agents' availability (online, away, offline), capacities and each department's round-robin auto-assignment." },
          { name: "Templates", description: "Message templates with {{variables}} and random variants." },
          { name: "Triggers", description: "Keyword and first-message rules that reply, start a flow or hand to a workflow." },
          { name: "Flows", description: "Versioned step-by-step conversations with follow-ups." },
          { name: "Workflows", description: "AI workflows (OpenAI-compatible or AST) and deterministic flows bound to instances." },
          { name: "Threads", description: "Conversations with a workflow outside WhatsApp, replies as JSON or Server-Sent Events." },
          {
            name: "Prompt versions",
            description: "An AI workflow's instructions as a draft and immutable published versions: diff, rollback; the latest version answers.",
          },
          {
            name: "Agent chats",
            description:
              "A member's private direct chats with the organization's AI agents, apart from customer threads. A key reaches the chats of the member who created it (403 for a key of nobody's); another member's chat is 404.",
          },
          { name: "Devices", description: "Devices (browsers, apps) holding their own API keys." },
          { name: "Usage", description: "Metered counts per day." },
          { name: "Sandbox", description: "Drive a sandbox number as its phone and its contacts would: pair it, make contacts write." },
        ],
        components: {
          securitySchemes: { apiKey: { type: "http", scheme: "bearer", description: "lc_live_… API key" } },
        },
        security: [{ apiKey: [] }],
      },
    }),
  )
  .get(
    SCALAR_SCRIPT_PATH,
    ({ set }) => {
      set.headers["cache-control"] = "public, max-age=86400";
      return Bun.file(SCALAR_BUNDLE);
    },
    { detail: { hide: true } },
  );
