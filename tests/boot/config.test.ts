// Issue 14 items 8 and 9: configuration rules checked at boot (parseEnv runs at import of @/config).
import { describe, expect, test } from "bun:test";
import { parseEnv, WUZAPI_HMAC_KEY_MIN } from "@/config";

const KEY_32 = "k".repeat(32);

describe("parseEnv", () => {
  test("with WUZAPI_URL set, WUZAPI_HMAC_KEY is required and at least 32 characters (WuzAPI's minimum)", () => {
    expect(WUZAPI_HMAC_KEY_MIN).toBe(32);
    expect(() => parseEnv({ WUZAPI_URL: "http://wuzapi:8080" })).toThrow(/WUZAPI_HMAC_KEY: required when WUZAPI_URL is set/);
    expect(() => parseEnv({ WUZAPI_URL: "http://wuzapi:8080", WUZAPI_HMAC_KEY: "" })).toThrow(/WUZAPI_HMAC_KEY: required/);
    expect(() => parseEnv({ WUZAPI_URL: "http://wuzapi:8080", WUZAPI_HMAC_KEY: "k".repeat(31) })).toThrow(/WUZAPI_HMAC_KEY: must be at least 32 characters/);
    expect(parseEnv({ WUZAPI_URL: "http://wuzapi:8080", WUZAPI_HMAC_KEY: KEY_32 }).wuzapi).toEqual({
      url: "http://wuzapi:8080",
      adminToken: undefined,
      hmacKey: KEY_32,
    });
    // Without WuzAPI the key is optional.
    expect(parseEnv({}).wuzapi.hmacKey).toBeUndefined();
  });

  test("HOST defaults to every IPv4 interface and accepts a bind address", () => {
    expect(parseEnv({}).host).toBe("0.0.0.0");
    expect(parseEnv({ HOST: "127.0.0.1" }).host).toBe("127.0.0.1");
    expect(() => parseEnv({ HOST: " " })).toThrow(/HOST/);
  });
});
