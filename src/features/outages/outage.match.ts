import { sql, type SQL } from "drizzle-orm";
import { contacts, type AffectedAreas, type OutageRegion } from "@/db/schema";

/**
 * Which contacts an outage affects, as one SQL condition on `contacts`: in any of its predefined
 * regions (city, UF or CEP prefix) or in one of its cities (and, when neighbourhoods are listed, in one
 * of them). Cities and neighbourhoods compare without case or accents (`livchat_unaccent`, migration
 * 0043), so "Teresopolis" matches "Teresópolis".
 *
 * Contacts have no neighbourhood column: the neighbourhood is the contact's custom field `bairro`
 * (or `neighborhood`), which the organization defines once on the contact fields page and which CSV
 * imports fill (`custom:bairro`), so no second address model is added to contacts.
 */

const fold = (expr: SQL) => sql`lower(livchat_unaccent(trim(${expr})))`;
const textArray = (values: string[]) =>
  sql`array[${sql.join(
    values.map((v) => sql`${v}`),
    sql`, `,
  )}]::text[]`;
const foldedIn = (expr: SQL, values: string[]) => sql`${fold(expr)} in (select lower(livchat_unaccent(trim(v))) from unnest(${textArray(values)}) as v)`;

export const NEIGHBORHOOD_FIELDS = ["bairro", "neighborhood"] as const;
const neighborhoodOf = sql`coalesce(${contacts.customFields} ->> 'bairro', ${contacts.customFields} ->> 'neighborhood', '')`;

function regionSql(region: Pick<OutageRegion, "cities" | "states" | "cepPrefixes">): SQL | null {
  const parts: SQL[] = [];
  if (region.cities.length) parts.push(foldedIn(sql`coalesce(${contacts.city}, '')`, region.cities));
  if (region.states.length) parts.push(sql`upper(coalesce(${contacts.state}, '')) = any(${textArray(region.states.map((s) => s.toUpperCase()))})`);
  if (region.cepPrefixes.length) parts.push(sql`coalesce(${contacts.zipCode}, '') like any(${textArray(region.cepPrefixes.map((p) => `${p}%`))})`);
  return parts.length ? sql`(${sql.join(parts, sql` or `)})` : null;
}

/** The condition; `false` when the areas name nothing that exists (a deleted region). */
export function affectedContactsSql(areas: AffectedAreas, regions: Pick<OutageRegion, "id" | "cities" | "states" | "cepPrefixes">[]): SQL {
  const parts: SQL[] = [];
  for (const id of areas.regionIds) {
    const region = regions.find((r) => r.id === id);
    const part = region ? regionSql(region) : null;
    if (part) parts.push(part);
  }
  for (const area of areas.custom) {
    const inCity = sql`${fold(sql`coalesce(${contacts.city}, '')`)} = ${fold(sql`${area.city}`)}`;
    parts.push(area.neighborhoods.length ? sql`(${inCity} and ${foldedIn(neighborhoodOf, area.neighborhoods)})` : inCity);
  }
  return parts.length ? sql`(${sql.join(parts, sql` or `)})` : sql`false`;
}
