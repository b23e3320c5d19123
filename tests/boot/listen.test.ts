// Issue 14 item 8: a second LivChat on a port already in use fails at boot (Elysia's default
// SO_REUSEPORT let it start and silently take half the connections); HOST chooses the bind address.
import { describe, expect, test } from "bun:test";
import { boot, expectBooted, expectRefused } from "./boot-process";

describe("listening", () => {
  test("a second process on a port already in use exits non-zero with a clear message; the first keeps serving", async () => {
    const first = expectBooted(await boot({}));
    try {
      const second = expectRefused(await boot({ PORT: String(first.port) }));
      expect(second.code).not.toBe(0);
      expect(second.stderr).toContain(`LivChat cannot start: 127.0.0.1:${first.port} is already in use`);
      expect(second.stderr).not.toMatch(/\n\s+at /);
      for (let i = 0; i < 5; i++) expect((await fetch(`http://127.0.0.1:${first.port}/health`)).status).toBe(200);
    } finally {
      await first.stop();
    }
  });

  test("HOST chooses the bind address", async () => {
    // 127.0.0.2 is loopback too on Linux, but a server bound to it does not answer on 127.0.0.1.
    const bound = expectBooted(await boot({ HOST: "127.0.0.2" }));
    try {
      expect((await fetch(`http://127.0.0.2:${bound.port}/health`)).status).toBe(200);
      await expect(fetch(`http://127.0.0.1:${bound.port}/health`)).rejects.toThrow();
    } finally {
      await bound.stop();
    }
  });
});
