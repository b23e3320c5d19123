/**
 * A second baseline for the API figure: the framework alone (Elysia, fixed by SPEC §1) answering
 * "hello" with no plugins. It splits the gap between bare Bun.serve and the app into what Elysia
 * costs and what LivChat's own request path costs.
 */
import { Elysia } from "elysia";

const app = new Elysia().get("/", () => "hello").listen({ hostname: "127.0.0.1", port: Number(process.env.PORT ?? 0) });
console.log(JSON.stringify({ port: app.server?.port }));
process.on("SIGTERM", () => process.exit(0));
