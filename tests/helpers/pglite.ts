import type { PGlite } from "@electric-sql/pglite";
import { drizzle } from "drizzle-orm/pglite";
import { migrate } from "drizzle-orm/pglite/migrator";
import { type Db, migrationsFolder, openPglite } from "@/db/client";
import * as schema from "@/db/schema";

/**
 * The embedded default for real: an in-memory PGlite opened as src/db/client.ts opens it (its
 * extensions loaded), every migration applied, with a drizzle handle over it. Close `client` after.
 */
export async function migratedPglite(): Promise<{ client: PGlite; pg: Db }> {
  const client = openPglite();
  const pg = drizzle(client, { schema, casing: "snake_case" }) as unknown as Db;
  await migrate(pg as never, { migrationsFolder: migrationsFolder() });
  return { client, pg };
}
