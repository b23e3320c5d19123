import { Elysia } from "elysia";
import { join, normalize } from "node:path";
import { pingDatabase } from "@/db/client";
import { AppError } from "@/lib/errors";
import { tText } from "@/lib/i18n";

const STATIC_DIR = join(import.meta.dir, "../../../static");
const HTMX_FILE = join(import.meta.dir, "../../../node_modules/htmx.org/dist/htmx.min.js");

/** A file under static/, or null for names the filesystem refuses (Bun.file throws ENAMETOOLONG synchronously). */
function staticFile(relative: string) {
  try {
    return Bun.file(join(STATIC_DIR, relative));
  } catch {
    return null;
  }
}

/** Liveness, readiness and static assets (htmx is served straight from node_modules). */
export const platformRoutes = new Elysia({ name: "platform" })
  .get("/health", () => ({ status: "ok" }), { detail: { hide: true } })
  .get(
    "/ready",
    async ({ set }) => {
      try {
        await pingDatabase();
        return { status: "ready", database: "ok" };
      } catch {
        set.status = 503;
        return { status: "unavailable", database: "unreachable" };
      }
    },
    { detail: { hide: true } },
  )
  .get("/static/htmx.min.js", ({ set }) => {
    set.headers["cache-control"] = "public, max-age=86400";
    return Bun.file(HTMX_FILE);
  })
  .get("/static/*", async ({ params, set }) => {
    const relative = normalize(params["*"]).replace(/^(\.\.[/\\])+/, "");
    const file = relative.includes("..") ? null : staticFile(relative);
    if (!file || !(await file.exists().catch(() => false))) throw new AppError("not_found", tText("common:errors.fileNotFound"));
    set.headers["cache-control"] = "public, max-age=3600";
    return file;
  });
