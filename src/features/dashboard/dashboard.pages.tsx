import { Elysia } from "elysia";
import { csrfPlugin } from "@/auth/csrf";
import { authPlugin } from "@/auth/plugin";
import { takeFlash } from "@/lib/flash";
import { DashboardPage } from "@views/dashboard/index";
import { getDashboardStats } from "./dashboard.service";

/** `/`: the active organization at a glance, for every role. */
export const dashboardPages = new Elysia({ name: "dashboard-pages" })
  .use(csrfPlugin)
  .use(authPlugin)
  .get(
    "/",
    async ({ admin, csrfToken, cookie }) =>
      DashboardPage({ admin, csrfToken, flash: takeFlash(cookie), stats: await getDashboardStats(admin.organization.id) }),
    { member: "agent" },
  );
