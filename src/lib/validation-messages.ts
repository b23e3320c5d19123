import { z } from "zod";
import { tText } from "@/lib/i18n";

/**
 * Zod's default messages are for developers ("Too small: expected string to have >=1 characters") and
 * zod's own Portuguese locale is European; every schema without its own message gets these instead,
 * in the request's language (the map runs at parse time, inside the request's i18n context).
 * Installed once at import by app.ts.
 */
type Issue = Parameters<z.core.$ZodErrorMap>[0];

function sizeMessage(issue: Issue & { origin?: string; minimum?: unknown; maximum?: unknown; inclusive?: boolean }, small: boolean): string {
  const raw = Number(small ? issue.minimum : issue.maximum);
  const limit = Number.isFinite(raw) ? raw : 0;
  switch (issue.origin) {
    case "string":
      if (small && limit <= 1) return tText("validation:required");
      return tText(small ? "validation:textMin" : "validation:textMax", { count: limit });
    case "array":
    case "set":
      return tText(small ? "validation:listMin" : "validation:listMax", { count: limit });
    case "number":
    case "int":
    case "bigint":
    case "date":
      if (small) return tText(issue.inclusive === false ? "validation:numberAbove" : "validation:numberMin", { count: limit });
      return tText(issue.inclusive === false ? "validation:numberBelow" : "validation:numberMax", { count: limit });
    default:
      return tText("validation:invalid");
  }
}

const FORMAT_KEYS: Record<string, string> = {
  email: "validation:email",
  url: "validation:url",
  uuid: "validation:uuid",
  guid: "validation:uuid",
  datetime: "validation:datetime",
  date: "validation:date",
  regex: "validation:pattern",
};

const TYPE_KEYS: Record<string, string> = {
  string: "validation:expectedText",
  number: "validation:expectedNumber",
  int: "validation:expectedInteger",
  boolean: "validation:expectedBoolean",
  array: "validation:expectedList",
  object: "validation:expectedObject",
  date: "validation:expectedDate",
};

export function validationMessage(issue: Issue): string {
  const i = issue as Issue & Record<string, unknown>;
  switch (issue.code) {
    case "invalid_type":
      // A missing field is reported as invalid_type with input undefined.
      if (i.input === undefined) return tText("validation:required");
      return tText(TYPE_KEYS[String(i.expected)] ?? "validation:invalid");
    case "too_small":
      return sizeMessage(i, true);
    case "too_big":
      return sizeMessage(i, false);
    case "invalid_format":
      return tText(FORMAT_KEYS[String(i.format)] ?? "validation:invalid");
    case "invalid_value":
      return tText("validation:oneOf", { values: (Array.isArray(i.values) ? i.values : []).map(String).join(", ") });
    case "unrecognized_keys":
      return tText("validation:unknownFields", { keys: (Array.isArray(i.keys) ? i.keys : []).map(String).join(", ") });
    case "not_multiple_of":
      return tText("validation:multipleOf", { count: Number(i.divisor) });
    default:
      return tText("validation:invalid");
  }
}

z.config({ localeError: validationMessage });
