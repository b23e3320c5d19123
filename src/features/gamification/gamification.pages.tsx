import { Elysia } from "elysia";
import { csrfPlugin } from "@/auth/csrf";
import { authPlugin, type AdminContext } from "@/auth/plugin";
import { can } from "@/auth/roles";
import type { FieldError } from "@/lib/errors";
import { setFlash, takeFlash, type Flash } from "@/lib/flash";
import { attemptForm, formFields, formValues, parseForm, unprocessable } from "@/lib/forms";
import { hxRedirect } from "@/lib/htmx";
import { tText } from "@/lib/i18n";
import { organizationOf } from "@/lib/tenant";
import { GamificationPage } from "@views/gamification/index";
import { gamificationSettingsSchema, participationSchema, periodQuerySchema } from "./gamification.schema";
import {
  calculateScores,
  getGamificationSettings,
  getRanking,
  listHistory,
  participates,
  setParticipation,
  updateGamificationSettings,
  type GamificationSettings,
} from "./gamification.service";

async function page(
  admin: AdminContext,
  csrfToken: string,
  flash: Flash | undefined,
  periodKey?: string,
  settings?: GamificationSettings,
  errors?: FieldError[],
) {
  const [ranking, history, stored, participating] = await Promise.all([
    getRanking(admin, periodKey),
    listHistory(admin),
    getGamificationSettings(admin),
    participates(organizationOf(admin), admin.id),
  ]);
  return GamificationPage({
    admin,
    csrfToken,
    flash,
    period: ranking.period,
    entries: ranking.entries,
    history,
    settings: settings ?? stored,
    participates: participating,
    canManage: can.superviseConversations(admin.role),
    errors,
  });
}

/** The ranking page (every member), on-demand calculation and settings (supervisors and above), own participation. */
export const gamificationPages = new Elysia({ name: "gamification-pages" })
  .use(csrfPlugin)
  .use(authPlugin)
  .get(
    "/gamification",
    async ({ admin, csrfToken, cookie, query, set }) => {
      const parsed = periodQuerySchema.safeParse(query);
      if (!parsed.success) set.status = 422;
      return page(admin, csrfToken, takeFlash(cookie), parsed.success ? parsed.data.period : undefined);
    },
    { member: "agent" },
  )
  .post(
    "/gamification/calculate",
    async ({ admin, query, request, cookie }) => {
      const parsed = periodQuerySchema.safeParse(query);
      const { period } = await calculateScores(admin, parsed.success ? parsed.data.period : undefined);
      setFlash(cookie, "success", tText("gamification:calculated"));
      return hxRedirect(request, `/gamification?period=${encodeURIComponent(period.key)}`);
    },
    { member: "supervisor" },
  )
  .post(
    "/gamification/settings",
    async ({ admin, csrfToken, body, request, cookie, set }) => {
      const values = formValues(formFields(body));
      const parsed = parseForm(gamificationSettingsSchema, values);
      const shown = { ...(await getGamificationSettings(admin)), ...(values as unknown as Partial<GamificationSettings>) };
      if (!parsed.ok) return unprocessable(set, () => page(admin, csrfToken, undefined, undefined, shown, parsed.errors));
      const saved = await attemptForm(() => updateGamificationSettings(admin, parsed.value));
      if (!saved.ok) return unprocessable(set, () => page(admin, csrfToken, undefined, undefined, shown, saved.errors));
      setFlash(cookie, "success", tText("gamification:saved"));
      return hxRedirect(request, "/gamification");
    },
    { member: "supervisor" },
  )
  .post(
    "/gamification/participation",
    async ({ admin, body, request, cookie }) => {
      const input = participationSchema.parse(formValues(formFields(body)));
      await setParticipation(admin, admin.id, input);
      setFlash(cookie, "success", tText("gamification:participation.saved"));
      return hxRedirect(request, "/gamification");
    },
    { member: "agent" },
  );
