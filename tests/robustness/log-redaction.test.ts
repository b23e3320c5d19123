import { describe, expect, test } from "bun:test";
import { createApp } from "@/app";
import { sql } from "drizzle-orm";
import { db } from "@/db/client";
import { contacts } from "@/db/schema";
import { log } from "@/lib/logger";

const PHONE = "+5511987654321";
const NAME = "Maria Confidencial";

/** A real failed query whose parameters are a contact's phone and name (an organization that does not exist: 23503). */
async function failedInsert(): Promise<unknown> {
  try {
    await db.insert(contacts).values({ organizationId: crypto.randomUUID(), phone: PHONE, name: NAME });
  } catch (err) {
    return err;
  }
  throw new Error("the insert was expected to fail");
}

/** Everything written to stdout/stderr through console while `run` runs. */
async function captureLogs(run: () => Promise<unknown> | unknown): Promise<string> {
  const lines: string[] = [];
  const original = { log: console.log, error: console.error };
  console.log = (...args: unknown[]) => void lines.push(args.map(String).join(" "));
  console.error = (...args: unknown[]) => void lines.push(args.map(String).join(" "));
  try {
    await run();
  } finally {
    console.log = original.log;
    console.error = original.error;
  }
  return lines.join("\n");
}

describe("logs never contain SQL parameters", () => {
  test("the failed query really carries the phone and name in its message", async () => {
    const err = (await failedInsert()) as Error;
    expect(err.message).toContain(PHONE);
    expect(err.message).toContain(NAME);
  });

  test("a database error passed to the logger in any form keeps only its code and constraint", async () => {
    const err = await failedInsert();
    const output = await captureLogs(() => {
      log.error("as the error", { err });
      log.error("as String(err)", { err: String(err) });
      log.error("as err.message", { err: (err as Error).message });
      log.error("as err.stack", { err: (err as Error).stack });
    });
    expect(output.split("\n")).toHaveLength(4);
    expect(output).not.toContain(PHONE);
    expect(output).not.toContain(NAME);
    expect(output).not.toContain("insert into");
    const first = JSON.parse(output.split("\n")[0]!);
    expect(first.err).toMatchObject({ code: "23503", constraint: "contacts_organization_id_organizations_id_fk", table: "contacts" });
  });

  test("an unexpected database error answering a request logs its code, not its SQL, and the client sees neither", async () => {
    // A failed query with no public mapping (22012: division by zero) whose parameters are a phone and a name.
    let err: unknown;
    await db.execute(sql`select ${PHONE}::text as phone, ${NAME}::text as name, 1 / 0 as boom`).catch((e) => (err = e));
    expect((err as Error).message).toContain(PHONE);
    // A route that lets it escape to the app's one error handler, as a bug would.
    const app = createApp().get("/v1/escaped-database-error", () => {
      throw err;
    });
    let res: Response | undefined;
    const output = await captureLogs(async () => {
      res = await app.handle(new Request("http://localhost/v1/escaped-database-error"));
    });
    expect(res!.status).toBe(500);
    const body = await res!.text();
    expect(body).not.toContain(PHONE);
    expect(body).not.toContain("select");
    const line = JSON.parse(output.split("\n").find((l) => l.includes("unhandled error"))!);
    expect(line.err).toMatchObject({ code: "22012" });
    expect(line.stack).toBeUndefined();
    expect(output).not.toContain(PHONE);
    expect(output).not.toContain(NAME);
    expect(output).not.toContain("1 / 0");
  });
});
