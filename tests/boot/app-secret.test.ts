// Issue 14 item 4: the database records a check value of APP_SECRET; a lost, changed or freshly
// generated key against a database holding encrypted data stops the boot instead of orphaning it.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "@/app";
import { config } from "@/config";
import { db } from "@/db/client";
import { appSecretCheck } from "@/db/schema";
import { appSecretCheckValue } from "@/lib/crypto";
import { api } from "../helpers/client";
import { setupOrg } from "../helpers/factories";
import { boot, expectBooted, expectRefused } from "./boot-process";

const dataDir = mkdtempSync(join(tmpdir(), "livchat-boot-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
const keyFile = join(dataDir, "app-secret");
const recorded = async () => (await db.select().from(appSecretCheck))[0]?.checkValue;

const TEST_KEY = process.env.APP_SECRET!; // tests/setup.ts; what this process encrypts with
const OTHER_KEY = "another-key-another-key-another-key";

describe("APP_SECRET check at boot", () => {
  test("an empty database: the first boot without APP_SECRET generates a key into the data dir and records it; another key is recorded while nothing is encrypted", async () => {
    expect(await recorded()).toBeUndefined();
    expect(await expectBooted(await boot({ APP_SECRET: "", DATA_DIR: dataDir })).stop()).toBe(0);
    const generated = readFileSync(keyFile, "utf8").trim();
    expect(generated.length).toBeGreaterThanOrEqual(32);
    expect(await recorded()).toBe(appSecretCheckValue(generated));

    expect(await expectBooted(await boot({ APP_SECRET: TEST_KEY, DATA_DIR: dataDir })).stop()).toBe(0);
    expect(await recorded()).toBe(appSecretCheckValue(TEST_KEY));
  });

  test("with encrypted data, a different APP_SECRET stops the boot naming APP_SECRET and the data dir; a lost key stops it without generating one", async () => {
    config.allowPrivateWebhookTargets = true;
    const app = createApp();
    const org = await setupOrg(app);
    expect((await api(app, "POST", "/v1/webhooks", org.key, { url: "http://127.0.0.1:9/hook" })).status).toBe(201);

    const refused = expectRefused(await boot({ APP_SECRET: OTHER_KEY, DATA_DIR: dataDir }));
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("LivChat cannot start: APP_SECRET is not the key this database's secrets are encrypted with");
    expect(refused.stderr).toContain(dataDir);
    expect(refused.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace

    rmSync(keyFile);
    const lost = expectRefused(await boot({ APP_SECRET: "", DATA_DIR: dataDir }));
    expect(lost.code).not.toBe(0);
    expect(lost.stderr).toContain("APP_SECRET is unset");
    expect(lost.stderr).toContain(keyFile);
    expect(existsSync(keyFile)).toBe(false); // no new key generated over the old data
    expect(await recorded()).toBe(appSecretCheckValue(TEST_KEY));

    expect(await expectBooted(await boot({ APP_SECRET: TEST_KEY, DATA_DIR: dataDir })).stop()).toBe(0);
  });

  test("a database from before the check: its stored secrets must decrypt under the key, then the check value is recorded", async () => {
    await db.delete(appSecretCheck);
    const refused = expectRefused(await boot({ APP_SECRET: OTHER_KEY, DATA_DIR: dataDir }));
    expect(refused.stderr).toContain("APP_SECRET does not decrypt the secrets stored in this database");
    const lost = expectRefused(await boot({ APP_SECRET: "", DATA_DIR: dataDir }));
    expect(lost.stderr).toContain("APP_SECRET is unset");
    expect(existsSync(keyFile)).toBe(false);
    expect(await recorded()).toBeUndefined();

    expect(await expectBooted(await boot({ APP_SECRET: TEST_KEY, DATA_DIR: dataDir })).stop()).toBe(0);
    expect(await recorded()).toBe(appSecretCheckValue(TEST_KEY));
  });
});
