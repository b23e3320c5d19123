import { AsyncLocalStorage } from "node:async_hooks";
import i18next from "i18next";
import { catalogs } from "@/i18n";

/**
 * The one i18n layer: i18next holds the catalogs (src/i18n/<namespace>.ts, both languages side by
 * side) and the request's language and time zone ride in an AsyncLocalStorage, so a view, a service's
 * error message or an email calls `t()` without threading a locale through every signature.
 *
 * - `t(key, vars)` is for JSX children: our own catalog text (trusted, may hold markup) with every
 *   interpolated value HTML-escaped. Typed as JSX.Element so xss-scan accepts it without `safe`.
 * - `tText(key, vars)` is plain text: attributes (kitajs escapes those), flash messages, JSON error
 *   messages, email subjects, messages sent to contacts.
 *
 * Keys are `namespace:path.to.key`. A missing key is a test failure (tests/i18n), never a silent
 * English fallback in production: the fallback language is pt-BR's sibling only for keys a test
 * already proved exist in both.
 */

export const LOCALES = ["pt-BR", "en"] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = "pt-BR";
export const DEFAULT_TIME_ZONE = "America/Sao_Paulo";

export type RequestLocale = { locale: Locale; timeZone: string };

const store = new AsyncLocalStorage<RequestLocale>();

export function isLocale(value: unknown): value is Locale {
  return typeof value === "string" && (LOCALES as readonly string[]).includes(value);
}

/** The best of our locales for an Accept-Language header (q-values honoured), else pt-BR. */
export function negotiateLocale(acceptLanguage: string | null | undefined): Locale {
  if (!acceptLanguage) return DEFAULT_LOCALE;
  const ranked = acceptLanguage
    .split(",")
    .map((part, index) => {
      const [tag = "", ...params] = part.trim().split(";");
      const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
      return { tag: tag.toLowerCase(), q: q ? Number(q.slice(2)) || 0 : 1, index };
    })
    .filter((r) => r.tag && r.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const { tag } of ranked) {
    if (tag === "pt" || tag.startsWith("pt-")) return "pt-BR";
    if (tag === "en" || tag.startsWith("en-")) return "en";
  }
  return DEFAULT_LOCALE;
}

/** Zones already proved valid: every signed-in request checks its user's zone (only known zones are kept, so the set stays bounded). */
const knownZones = new Set<string>();

/** True when `zone` is an IANA time zone this runtime knows. */
export function isTimeZone(zone: unknown): zone is string {
  if (typeof zone !== "string" || !zone) return false;
  if (knownZones.has(zone)) return true;
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
  } catch {
    return false;
  }
  knownZones.add(zone);
  return true;
}

/** Every IANA zone this runtime knows (the zone pickers' list); UTC is listed by name too. */
export const TIME_ZONES: readonly string[] = (() => {
  const zones = Intl.supportedValuesOf("timeZone");
  return zones.includes("UTC") ? zones : ["UTC", ...zones];
})();

/**
 * The canonical IANA name of a zone a person typed or picked, or null. Intl accepts any case and
 * offsets such as "+03:00"; only region names are stored, spelled as Intl spells them.
 */
export function canonicalTimeZone(input: string): string | null {
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(input)) return null;
  try {
    return new Intl.DateTimeFormat("en-US", { timeZone: input }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

/** Starts a request's locale from its Accept-Language; the auth plugin refines it for signed-in users. */
export function enterRequestLocale(acceptLanguage: string | null): void {
  store.enterWith({ locale: negotiateLocale(acceptLanguage), timeZone: DEFAULT_TIME_ZONE });
}

/** The signed-in user's (or their organization's) language and zone replace the visitor defaults. */
export function setRequestLocale(patch: { locale?: string | null; timeZone?: string | null }): void {
  const current = store.getStore();
  if (!current) return;
  if (isLocale(patch.locale)) current.locale = patch.locale;
  if (isTimeZone(patch.timeZone)) current.timeZone = patch.timeZone;
}

/** Runs `fn` in a given locale: workers, emails and messages to contacts, where no request sets one. */
export function withLocale<T>(locale: Partial<RequestLocale> & { locale?: string | null; timeZone?: string | null }, fn: () => T): T {
  return store.run(
    { locale: isLocale(locale.locale) ? locale.locale : DEFAULT_LOCALE, timeZone: isTimeZone(locale.timeZone) ? locale.timeZone : DEFAULT_TIME_ZONE },
    fn,
  );
}

export function currentLocale(): Locale {
  return store.getStore()?.locale ?? DEFAULT_LOCALE;
}

export function currentTimeZone(): string {
  return store.getStore()?.timeZone ?? DEFAULT_TIME_ZONE;
}

const i18n = i18next.createInstance();
void i18n.init({
  resources: Object.fromEntries(LOCALES.map((locale) => [locale, Object.fromEntries(Object.entries(catalogs).map(([ns, catalog]) => [ns, catalog[locale]]))])),
  lng: DEFAULT_LOCALE,
  fallbackLng: false,
  ns: Object.keys(catalogs),
  defaultNS: "common",
  initAsync: false,
  returnNull: false,
  returnEmptyString: false,
  interpolation: { escapeValue: true },
  showSupportNotice: false,
} as Parameters<typeof i18n.init>[0]);

const fixed = Object.fromEntries(LOCALES.map((l) => [l, i18n.getFixedT(l)])) as Record<Locale, ReturnType<typeof i18n.getFixedT>>;

export type Vars = Record<string, string | number | null | undefined>;

/** Catalog text for JSX children: interpolated values are HTML-escaped; the catalog's own markup stays. */
export function t(key: string, vars?: Vars): JSX.Element {
  return fixed[currentLocale()](key, vars ?? {}) as string;
}

/** Catalog text as plain text (attributes, flash, JSON, email subjects, WhatsApp messages). */
export function tText(key: string, vars?: Vars): string {
  return fixed[currentLocale()](key, { ...(vars ?? {}), interpolation: { escapeValue: false } }) as string;
}

/** Whether `key` exists in `locale`'s catalog (tests and the missing-key guard). */
export function hasKey(key: string, locale: Locale): boolean {
  return i18n.exists(key, { lng: locale });
}

// ---- Dates, numbers, money: Intl in the request's locale and time zone -------------------------

const formatters = new Map<string, Intl.DateTimeFormat | Intl.NumberFormat>();
function cached<T extends Intl.DateTimeFormat | Intl.NumberFormat>(key: string, make: () => T): T {
  let f = formatters.get(key) as T | undefined;
  if (!f) {
    f = make();
    formatters.set(key, f);
  }
  return f;
}

/** "03/12/2026 14:05 BRT" / "12/3/2026, 2:05 PM GMT-3": date and time with the zone shown. */
export function formatDateTime(at: Date): string {
  const locale = currentLocale();
  const timeZone = currentTimeZone();
  return cached(
    `dt|${locale}|${timeZone}`,
    () =>
      new Intl.DateTimeFormat(locale, {
        year: "numeric",
        month: "2-digit",
        day: "2-digit",
        hour: "2-digit",
        minute: "2-digit",
        timeZone,
        timeZoneName: "short",
      }),
  ).format(at);
}

/** `YYYY-MM-DD` of `at` in the request's zone (date inputs, per-day grouping shown to people). */
export function isoDateInZone(at: Date, timeZone = currentTimeZone()): string {
  return cached(`iso|${timeZone}`, () => new Intl.DateTimeFormat("en-CA", { year: "numeric", month: "2-digit", day: "2-digit", timeZone })).format(at);
}

/** How far `timeZone`'s wall clock is ahead of UTC at `at`, in ms. */
function zoneOffsetMs(at: Date, timeZone: string): number {
  const parts = cached(
    `off|${timeZone}`,
    () =>
      new Intl.DateTimeFormat("en-US", {
        timeZone,
        hourCycle: "h23",
        year: "numeric",
        month: "2-digit",
        day: "2-digit",
        hour: "2-digit",
        minute: "2-digit",
        second: "2-digit",
      }),
  ).formatToParts(at);
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const wall = Date.UTC(part("year"), part("month") - 1, part("day"), part("hour"), part("minute"), part("second"));
  return wall - (at.getTime() - at.getMilliseconds());
}

/** `YYYY-MM-DDTHH:mm` of `at` on the wall clock of the request's zone (value of a datetime-local input). */
export function localDateTimeInZone(at: Date, timeZone = currentTimeZone()): string {
  return new Date(at.getTime() + zoneOffsetMs(at, timeZone)).toISOString().slice(0, 16);
}

/**
 * The instant a wall-clock time (`YYYY-MM-DDTHH:mm[:ss[.sss]]`, as date and datetime-local inputs send
 * it) happens in the request's zone; twice over a DST change so the offset is the one in force then.
 */
export function zonedWallTimeToDate(local: string, timeZone = currentTimeZone()): Date {
  const asUtc = new Date(`${local}Z`);
  const first = new Date(asUtc.getTime() - zoneOffsetMs(asUtc, timeZone));
  return new Date(asUtc.getTime() - zoneOffsetMs(first, timeZone));
}

export function formatNumber(n: number): string {
  const locale = currentLocale();
  return cached(`n|${locale}`, () => new Intl.NumberFormat(locale)).format(n);
}

/** Money in BRL unless told otherwise: "R$ 1.234,50" / "R$1,234.50". */
export function formatMoney(amount: number, currency = "BRL"): string {
  const locale = currentLocale();
  return cached(`m|${locale}|${currency}`, () => new Intl.NumberFormat(locale, { style: "currency", currency })).format(amount);
}
