import { currencyDigits } from '@single/contracts';
import { createDb, type Db, type DbOptions, type Prisma } from '@single/db';

/** The Prisma client, or the transaction client inside `db.$transaction(async (tx) => ...)`. */
export type DbClient = Db | Prisma.TransactionClient;

/** A calendar date (YYYY-MM-DD) as the Date Prisma reads and writes for a `@db.Date` column (UTC midnight). */
export function dateColumn(day: string): Date {
  return new Date(`${day}T00:00:00.000Z`);
}

/** The calendar date of a `@db.Date` column, as YYYY-MM-DD. */
export function calendarDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/**
 * An amount read through Prisma, as text in the currency's own digits. Prisma's Decimal drops a numeric's
 * trailing zeros ("1.500" comes back as 1.5), while the amounts here are exact in the currency's minor units
 * (`isExactIn` at the edge), so printing them with the currency's digits gives back the text they came in as.
 */
export function amountText(amount: Prisma.Decimal, currency: string): string {
  return amount.toFixed(currencyDigits(currency));
}

export function optionalAmountText(amount: Prisma.Decimal | null, currency: string): string | null {
  return amount === null ? null : amountText(amount, currency);
}

/**
 * The Prisma client, warmed before it serves. The client's query compiler (WebAssembly) is instantiated on the
 * first query and compiles its first model read and first aggregation synchronously: measured 0.85 s, 0.75 s and
 * 0.25 s of a blocked event loop on the loaded two-core machine (tens of ms afterwards). Taken before the app
 * listens, that is start-up time; taken by the first requests, @single/http's event-loop guard answers the
 * requests behind them 503 overloaded.
 */
export async function createWarmDb(databaseUrl: string, options: DbOptions = {}): Promise<Db> {
  const db = createDb(databaseUrl, options);
  await warmDb(db);
  return db;
}

export async function warmDb(db: Db): Promise<void> {
  await db.$executeRaw`SELECT 1`;
  await db.chartRuleSet.findFirst({ select: { id: true } });
  await db.regionalRollup.groupBy({ by: ['currency'], where: { currency: '' }, _sum: { units: true } });
}
