import { Elysia } from "elysia";
import { csrfPlugin } from "@/auth/csrf";
import { authPlugin } from "@/auth/plugin";
import { can } from "@/auth/roles";
import { setFlash, takeFlash } from "@/lib/flash";
import { hxRedirect } from "@/lib/htmx";
import { tText } from "@/lib/i18n";
import { formFields, parseForm, unprocessable } from "@/lib/forms";
import { organizationLocaleSchema, renameOrganizationSchema } from "@/features/organizations/organization.schema";
import {
  renameOrganization,
  setGroupAutomation,
  setKeepDeletedMessages,
  setInteractiveMode,
  setMediaRetention,
  setOrganizationLocale,
} from "@/features/organizations/organization.service";
import { mediaRetentionSchema } from "@/features/media/media.schema";
import { twoFactorRequirementSchema } from "@/features/account/account.schema";
import { setTwoFactorRequirement } from "@/features/account/two-factor.service";
import { transcriptionSettingsSchema } from "@/features/transcription/transcription.schema";
import { getTranscriptionSettings, saveTranscriptionSettings } from "@/features/transcription/transcription.settings";
import { attemptForm } from "@/lib/forms";
import { retentionInputSchema } from "@/features/retention/retention.schema";
import { getRetention, setRetention } from "@/features/retention/retention.service";
import { SettingsPage as SettingsView } from "@views/settings/index";

type ViewProps = Parameters<typeof SettingsView>[0];

/** The settings page with the organization's transcription and retention settings loaded (every render shows them). */
async function SettingsPage(props: Omit<ViewProps, "transcription"> & { transcription?: ViewProps["transcription"] }) {
  return SettingsView({
    ...props,
    transcription: props.transcription ?? (await getTranscriptionSettings(props.admin.organization.id)),
    retention: props.retention ?? { settings: await getRetention(props.admin.organization.id) },
  });
}

/**
 * Organization settings. Everyone in the organization can read them (the nav links here for all
 * roles); renaming needs `can.manageOrganization` (admin+), enforced by the service.
 */
export const settingsPages = new Elysia({ name: "settings-pages" })
  .use(csrfPlugin)
  .use(authPlugin)
  .get(
    "/settings",
    ({ admin, csrfToken, cookie }) => SettingsPage({ admin, csrfToken, flash: takeFlash(cookie), canEdit: can.manageOrganization(admin.role) }),
    {
      member: "agent",
    },
  )
  .post(
    "/settings",
    async ({ admin, csrfToken, body, request, set, cookie }) => {
      const fields = formFields(body);
      const parsed = parseForm(renameOrganizationSchema, fields);
      if (!parsed.ok)
        return unprocessable(set, () => SettingsPage({ admin, csrfToken, canEdit: true, values: { name: String(fields.name ?? "") }, errors: parsed.errors }));
      const org = await renameOrganization(admin, parsed.value.name);
      setFlash(cookie, "success", tText("settings:flash.renamed", { name: org.name }));
      return hxRedirect(request, "/settings");
    },
    { member: "admin" },
  )
  .post(
    "/settings/locale",
    async ({ admin, csrfToken, body, request, set, cookie }) => {
      const fields = formFields(body);
      const parsed = parseForm(organizationLocaleSchema, fields);
      if (!parsed.ok) {
        const locale = { language: String(fields.language ?? ""), timeZone: String(fields.timeZone ?? "") };
        return unprocessable(set, () => SettingsPage({ admin, csrfToken, canEdit: true, locale, localeErrors: parsed.errors }));
      }
      await setOrganizationLocale(admin, parsed.value);
      setFlash(cookie, "success", tText("settings:flash.regionalSaved"));
      return hxRedirect(request, "/settings");
    },
    { member: "admin" },
  )
  .post(
    "/settings/media",
    async ({ admin, csrfToken, body, request, set, cookie }) => {
      const fields = formFields(body);
      const parsed = parseForm(mediaRetentionSchema, fields);
      if (!parsed.ok) {
        const media = { values: { days: String(fields.days ?? "") }, errors: parsed.errors };
        return unprocessable(set, () => SettingsPage({ admin, csrfToken, canEdit: true, media }));
      }
      await setMediaRetention(admin, parsed.value.days);
      setFlash(cookie, "success", tText("media:settings.saved"));
      return hxRedirect(request, "/settings");
    },
    { member: "admin" },
  )
  .post(
    "/settings/retention",
    async ({ admin, csrfToken, body, request, set, cookie }) => {
      const fields = formFields(body);
      const parsed = parseForm(retentionInputSchema, fields);
      if (!parsed.ok) {
        const values = {
          eventsDays: String(fields.eventsDays ?? ""),
          deliveriesDays: String(fields.deliveriesDays ?? ""),
          messagesDays: String(fields.messagesDays ?? ""),
        };
        const retention = { settings: await getRetention(admin.organization.id), values, errors: parsed.errors };
        return unprocessable(set, () => SettingsPage({ admin, csrfToken, canEdit: true, retention }));
      }
      // An empty messages field posts "" (keep messages): the form always sends all three.
      await setRetention(admin, { ...parsed.value, messagesDays: parsed.value.messagesDays ?? null });
      setFlash(cookie, "success", tText("retention:saved"));
      return hxRedirect(request, "/settings");
    },
    { member: "admin" },
  )
  .post(
    "/settings/groups",
    async ({ admin, body, request, cookie }) => {
      // A checkbox: present ("on") when ticked, absent otherwise.
      const enabled = formFields(body).automationInGroups === "on";
      await setGroupAutomation(admin, enabled);
      setFlash(cookie, "success", tText(enabled ? "settings:flash.groupAutomationOn" : "settings:flash.groupAutomationOff"));
      return hxRedirect(request, "/settings");
    },
    { member: "admin" },
  )
  .post(
    "/settings/deleted-messages",
    async ({ admin, body, request, cookie }) => {
      // A checkbox: present ("on") when ticked, absent otherwise.
      const keep = formFields(body).keepDeletedMessages === "on";
      await setKeepDeletedMessages(admin, keep);
      setFlash(cookie, "success", tText(keep ? "settings:flash.deletedKept" : "settings:flash.deletedCleared"));
      return hxRedirect(request, "/settings");
    },
    { member: "admin" },
  )
  .post(
    "/settings/interactive",
    async ({ admin, body, request, cookie }) => {
      // Two radio buttons; anything but "native" keeps the safe default, numbered text.
      const mode = formFields(body).interactiveMode === "native" ? "native" : "text";
      await setInteractiveMode(admin, mode);
      setFlash(cookie, "success", tText(mode === "native" ? "settings:flash.interactiveNative" : "settings:flash.interactiveText"));
      return hxRedirect(request, "/settings");
    },
    { member: "admin" },
  )
  .post(
    "/settings/security",
    async ({ admin, csrfToken, body, request, set, cookie }) => {
      const parsed = twoFactorRequirementSchema.safeParse(formFields(body));
      const required = parsed.success && parsed.data.requireTwoFactor;
      const result = await setTwoFactorRequirement(admin, required);
      if (!result.ok) {
        set.status = 422;
        return SettingsPage({ admin, csrfToken, canEdit: true, securityError: result.message });
      }
      setFlash(cookie, "success", tText(required ? "settings:flash.twoFactorRequired" : "settings:flash.twoFactorOptional"));
      return hxRedirect(request, "/settings");
    },
    { member: "admin" },
  )
  .post(
    "/settings/transcription",
    async ({ admin, csrfToken, body, request, set, cookie }) => {
      const fields = formFields(body);
      const typed = { enabled: fields.enabled === "on", baseUrl: String(fields.baseUrl ?? ""), model: String(fields.model ?? "") };
      const parsed = parseForm(transcriptionSettingsSchema, fields);
      const saved = parsed.ok ? await attemptForm(() => saveTranscriptionSettings(admin, parsed.value)) : parsed;
      if (!saved.ok) {
        return unprocessable(set, () => SettingsPage({ admin, csrfToken, canEdit: true, transcriptionValues: typed, transcriptionErrors: saved.errors }));
      }
      setFlash(cookie, "success", tText("transcription:settings.saved"));
      return hxRedirect(request, "/settings");
    },
    { member: "admin" },
  );
