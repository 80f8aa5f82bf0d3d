import { usageError } from '../exit-codes.ts';

/** `--limit`-style values: decimal digits only (no 1e3, 0x10), 1 to 100,000, a bound the database takes as it is. */
export const positiveInt = (value: string) => {
  const n = /^\d{1,6}$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!(n >= 1 && n <= 100_000)) throw usageError(`expected a whole number from 1 to 100000, got "${value}"`);
  return n;
};
