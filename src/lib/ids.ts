/** Any RFC 4122-shaped uuid (any version): ids from callers are checked before they reach a `uuid` cast. */
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for a syntactically valid uuid; services answer 404 for anything else instead of a cast error. */
export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value);
}
