import { describe, expect, test } from "bun:test";
import { db } from "@/db/client";
import { instances } from "@/db/schema";
import { AppError } from "@/lib/errors";
import { instanceOfTenant } from "@/lib/tenant";
import { createOwner } from "../helpers/factories";

/** The one "instance of this tenant or 404", on real rows. */
const ours = await createOwner();
const theirs = await createOwner();
const [mine] = await db.insert(instances).values({ organizationId: ours.organization.id, name: "ours" }).returning();
const [other] = await db.insert(instances).values({ organizationId: ours.organization.id, name: "ours too" }).returning();
const [foreign] = await db.insert(instances).values({ organizationId: theirs.organization.id, name: "theirs" }).returning();
const tenant = { organizationId: ours.organization.id };

async function refusal(run: () => Promise<unknown>) {
  const err = await run().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return (err as AppError).code;
}

describe("instanceOfTenant", () => {
  test("returns the tenant's instance, in a transaction and under a key-share lock too", async () => {
    expect((await instanceOfTenant({ tenant }, mine!.id)).name).toBe("ours");
    const locked = await db.transaction((tx) => instanceOfTenant({ tenant, instanceId: mine!.id }, mine!.id, { tx, lock: "key share" }));
    expect(locked.id).toBe(mine!.id);
  });

  test("another tenant's id, a malformed id, an unknown id and, for a bound key, any other instance are the same 404", async () => {
    expect(await refusal(() => instanceOfTenant({ tenant }, foreign!.id))).toBe("not_found");
    expect(await refusal(() => instanceOfTenant({ tenant }, "not-a-uuid"))).toBe("not_found");
    expect(await refusal(() => instanceOfTenant({ tenant }, "00000000-0000-4000-8000-000000000000"))).toBe("not_found");
    expect(await refusal(() => instanceOfTenant({ tenant, instanceId: mine!.id }, other!.id))).toBe("not_found");
  });
});
