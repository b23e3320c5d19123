import { eq, sql } from "drizzle-orm";
import { config } from "@/config";
import { db, rowsOf } from "@/db/client";
import { appSecretCheck } from "@/db/schema";
import { appSecretCheckValue, appSecretFile, configuredAppSecret, decryptsWith, generateAppSecretFile, type AppSecret } from "./crypto";
import { BootFailure } from "./boot";
import { log } from "./logger";

/** Where the key came from, in the operator's words. */
function describe(key: AppSecret): string {
  return key.source === "APP_SECRET" ? "APP_SECRET" : `the key in ${appSecretFile()} (APP_SECRET is unset)`;
}

const RESTORE =
  "Set APP_SECRET to the value this database was set up with, or restore the data dir " +
  `(${config.dataDir}, with its app-secret file) from the same backup as the database. ` +
  "Starting with another key would leave every stored provider token and webhook secret unreadable.";

/**
 * Boot check of the encryption key against the database, before anything is encrypted or decrypted.
 * The database records the key's check value; while it holds encrypted data, only that key boots:
 * a different one, or none (never replaced by a generated one), stops with a message. A database
 * from before the check records it once its stored secrets decrypt under the key. A database with
 * nothing encrypted accepts any key (generated into the data dir when none is configured) and
 * records it.
 */
export async function verifyAppSecret(): Promise<void> {
  let key = configuredAppSecret();
  const [recorded] = await db.select().from(appSecretCheck);
  if (recorded && key && appSecretCheckValue(key.secret) === recorded.checkValue) return;

  const sample = await sampleEncryptedValue();
  if (sample !== null) {
    if (!key) throw new BootFailure(`This database holds encrypted secrets, but APP_SECRET is unset and ${appSecretFile()} does not exist. ${RESTORE}`);
    if (recorded) throw new BootFailure(`${describe(key)} is not the key this database's secrets are encrypted with. ${RESTORE}`);
    if (!decryptsWith(key.secret, sample)) throw new BootFailure(`${describe(key)} does not decrypt the secrets stored in this database. ${RESTORE}`);
  }
  key ??= generateAppSecretFile();
  const checkValue = appSecretCheckValue(key.secret);
  if (recorded) {
    log.warn("APP_SECRET changed while nothing was encrypted; recording the new key", { source: key.source });
    await db.update(appSecretCheck).set({ checkValue }).where(eq(appSecretCheck.checkValue, recorded.checkValue));
  } else {
    await db.insert(appSecretCheck).values({ id: 1, checkValue }).onConflictDoNothing();
  }
  // Another process may have recorded its own key at the same moment: both must use the same one.
  const [winner] = await db.select().from(appSecretCheck);
  if (winner?.checkValue !== checkValue) {
    throw new BootFailure(`${describe(key)} differs from the key another LivChat process recorded for this database. ${RESTORE}`);
  }
}

/**
 * One encrypted value stored anywhere, or null. By convention ciphertexts live in text columns named
 * `*_enc`, as the values of jsonb columns named `*_enc`, or under `…Enc` keys of jsonb `*config`
 * columns, so tables added later are covered too. Runs only when no recorded check value matches the key.
 */
async function sampleEncryptedValue(): Promise<string | null> {
  const columns = rowsOf<{ table_name: string; column_name: string; data_type: string }>(
    await db.execute(sql`
      select table_name, column_name, data_type from information_schema.columns
      where table_schema = current_schema()
        and ((data_type = 'text' and column_name like '%\\_enc')
          or (data_type = 'jsonb' and (column_name like '%\\_enc' or column_name like '%config')))
      order by table_name, column_name
    `),
  );
  for (const c of columns) {
    const table = sql.identifier(c.table_name);
    const column = sql.identifier(c.column_name);
    const query =
      c.data_type === "text"
        ? sql`select ${column} as value from ${table} where ${column} like 'v1.%' limit 1`
        : sql`select e.value from ${table} t
              cross join lateral jsonb_each_text(case when jsonb_typeof(t.${column}) = 'object' then t.${column} else '{}'::jsonb end) e
              where e.value like 'v1.%' ${c.column_name.endsWith("_enc") ? sql`` : sql`and e.key like '%Enc'`}
              limit 1`;
    const [row] = rowsOf<{ value: string }>(await db.execute(query));
    if (row) return row.value;
  }
  return null;
}
