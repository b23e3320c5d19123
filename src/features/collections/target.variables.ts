import { inArray } from "drizzle-orm";
import { db, type DbOrTx } from "@/db/client";
import { collectionTargets } from "@/db/schema";
import { formatDocument } from "@/features/contacts/contact-fields";

type Debt = Pick<typeof collectionTargets.$inferSelect, "debtorName" | "document" | "amountCents" | "dueDate" | "metadata">;

const brl = new Intl.NumberFormat("pt-BR", { style: "currency", currency: "BRL" });

/** `R$ 1.234,56` (a plain space: the message is text, and Intl's no-break space surprises readers and tests). */
export function formatBrl(cents: number): string {
  return brl.format(cents / 100).replace(/\u00a0/g, " ");
}

/** `YYYY-MM-DD` → `dd/mm/aaaa` (a calendar day: no time zone involved). */
export function formatDayBr(isoDay: string): string {
  const [y, m, d] = isoDay.split("-");
  return `${d}/${m}/${y}`;
}

/**
 * The message variables of a debt: {{valor}} / {{amount}} ("R$ 1.234,56"), {{vencimento}} / {{dueDate}}
 * (dd/mm/aaaa), {{documento}} / {{document}} (masked CPF/CNPJ), {{devedor}} / {{debtor}}, and the
 * metadata's text and number fields under their own names (the fixed names win on a clash). Formatted
 * pt-BR whatever the organization's language: the amounts are reais and the debtors Brazilian.
 */
export function debtVariables(debt: Debt): Record<string, string> {
  const meta: Record<string, string> = {};
  for (const [k, v] of Object.entries(debt.metadata ?? {})) {
    if (/^[\w.-]+$/.test(k) && (typeof v === "string" || typeof v === "number" || typeof v === "boolean")) meta[k] = String(v);
  }
  const valor = formatBrl(debt.amountCents);
  const vencimento = formatDayBr(debt.dueDate);
  const documento = formatDocument(debt.document);
  const devedor = debt.debtorName ?? "";
  return { ...meta, valor, amount: valor, vencimento, dueDate: vencimento, documento, document: documento, devedor, debtor: devedor };
}

/** The debt variables of campaign targets that are collection targets (others are absent from the map). */
export async function debtVariablesOf(targetIds: string[], tx: DbOrTx = db): Promise<Map<string, Record<string, string>>> {
  if (targetIds.length === 0) return new Map();
  const rows = await tx.select().from(collectionTargets).where(inArray(collectionTargets.targetId, targetIds));
  return new Map(rows.map((r) => [r.targetId, debtVariables(r)]));
}
