const DAY_MS = 86_400_000;

const toDate = (iso: string) => new Date(`${iso}T00:00:00Z`);
const fmt = (d: Date) => d.toISOString().slice(0, 10);

/** A real calendar date in YYYY-MM-DD form. */
export const isIsoDate = (value: string) =>
  /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(toDate(value).getTime()) && fmt(toDate(value)) === value;

export const addDays = (iso: string, days: number) => fmt(new Date(toDate(iso).getTime() + days * DAY_MS));

/** The chart week (Friday to Thursday, as Luminate, OCC and ARIA count) containing a date. */
export function chartWeek(iso: string): { from: string; to: string } {
  const dow = toDate(iso).getUTCDay(); // 0 = Sunday ... 5 = Friday
  const from = addDays(iso, -((dow - 5 + 7) % 7));
  return { from, to: addDays(from, 6) };
}

/** Inclusive day count of a range. */
export const daysBetween = (from: string, to: string) =>
  Math.round((toDate(to).getTime() - toDate(from).getTime()) / DAY_MS) + 1;
