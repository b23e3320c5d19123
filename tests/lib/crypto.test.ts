import { describe, expect, test } from "bun:test";
import { appSecretCheckValue, decryptSecret, decryptsWith, encryptSecret } from "@/lib/crypto";

describe("APP_SECRET check value", () => {
  test("identifies the key without revealing it; decryptsWith tells the right key from another", () => {
    const key = process.env.APP_SECRET!;
    expect(appSecretCheckValue(key)).toBe(appSecretCheckValue(key));
    expect(appSecretCheckValue(key)).not.toBe(appSecretCheckValue(`${key}x`));
    expect(appSecretCheckValue(key)).not.toContain(key);
    const sealed = encryptSecret("whsec_value");
    expect(decryptSecret(sealed)).toBe("whsec_value");
    expect(decryptsWith(key, sealed)).toBe(true);
    expect(decryptsWith("another-key-another-key-another-key", sealed)).toBe(false);
    expect(decryptsWith(key, "v1.not-a-ciphertext")).toBe(false);
  });
});
