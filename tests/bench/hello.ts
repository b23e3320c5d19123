/** The baseline of SPEC §10's first figure: a bare Bun.serve "hello" on 127.0.0.1, in its own process like the app. */
const server = Bun.serve({ hostname: "127.0.0.1", port: Number(process.env.PORT ?? 0), fetch: () => new Response("hello") });
console.log(JSON.stringify({ port: server.port }));
process.on("SIGTERM", () => process.exit(0));
