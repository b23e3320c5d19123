import { Elysia } from "elysia";
import { z } from "zod";
import { csrfPlugin } from "@/auth/csrf";
import { authPlugin } from "@/auth/plugin";
import { formFields, formList, formText, parseForm, unprocessable } from "@/lib/forms";
import { setFlash, takeFlash } from "@/lib/flash";
import { hxRedirect } from "@/lib/htmx";
import { tText } from "@/lib/i18n";
import { AnnouncementBanners, AnnouncementForm, AnnouncementsIndex } from "@views/announcements/index";
import { createAnnouncementSchema } from "./announcement.schema";
import { activeAnnouncementsFor, createAnnouncement, deleteAnnouncement, dismissAnnouncement, listAnnouncements } from "./announcement.service";

const idParams = z.object({ id: z.string() });

/** Team announcements: admins write them on /announcements; every member sees theirs as banners (the layout's slot) until dismissed or expired. */
export const announcementsPages = new Elysia({ name: "announcements-pages" })
  .use(csrfPlugin)
  .use(authPlugin)
  .get(
    "/announcements",
    async ({ admin, csrfToken, cookie }) =>
      AnnouncementsIndex({ admin, csrfToken, flash: takeFlash(cookie), announcements: await listAnnouncements(admin), now: new Date() }),
    { member: "admin" },
  )
  .post(
    "/announcements",
    async ({ admin, body, request, set, cookie }) => {
      const b = formFields(body);
      const values = {
        title: formText(b.title),
        message: formText(b.message),
        type: formText(b.type),
        targetRoles: formList(b.targetRoles),
        expiresAt: formText(b.expiresAt),
      };
      const parsed = parseForm(createAnnouncementSchema, values);
      if (!parsed.ok) return unprocessable(set, () => AnnouncementForm({ values, errors: parsed.errors }));
      await createAnnouncement(admin, parsed.value);
      setFlash(cookie, "success", tText("announcements:flash.created"));
      return hxRedirect(request, "/announcements");
    },
    { member: "admin" },
  )
  .post(
    "/announcements/:id/delete",
    async ({ admin, params, request, cookie }) => {
      await deleteAnnouncement(admin, params.id);
      setFlash(cookie, "success", tText("announcements:flash.deleted"));
      return hxRedirect(request, "/announcements");
    },
    { member: "admin", params: idParams },
  )
  .get("/announcements/banner", async ({ admin }) => AnnouncementBanners({ announcements: await activeAnnouncementsFor(admin) }), {
    member: "agent",
    detail: { hide: true },
  })
  .post(
    "/announcements/:id/dismiss",
    async ({ admin, params }) => {
      await dismissAnnouncement(admin, params.id);
      // The banner's outerHTML swap with nothing removes it.
      return "";
    },
    { member: "agent", params: idParams, detail: { hide: true } },
  );
