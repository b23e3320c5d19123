// `bun run db:migrate`: apply drizzle/ migrations to DATABASE_URL (or the embedded PGlite) and exit.
import { closeDatabase, migrateDatabase } from "./client";

await migrateDatabase();
await closeDatabase();
console.log("migrations applied");
