/**
 * What the fan paid for one unit of a Shopify line, in exact integer minor units of the currency.
 *
 * Shopify gives a line's list `price` per unit, but its discounts (`discount_allocations`) and taxes
 * (`tax_lines`) as amounts for the whole line. Events are per unit, so each line amount is spread over the
 * units the way Shopify splits a line: an equal share each, and the remainder minor units one each to the
 * first units (3 units sharing 1.00 of discount get 0.34, 0.33, 0.33). The unit index decides.
 *
 * Net = list price − the unit's discount, and − the unit's tax too when the shop's prices include tax
 * (`taxes_included`); when tax is added on top, the list price never contained it. Minor units come from
 * ISO 4217 through Intl (JPY has none, KWD three), never a hard-coded 2.
 */
export interface LineAmounts {
  /** The line's list price per unit (Shopify's `price`). */
  price: string;
  /** The line's quantity as ordered (the discount and tax were spread over these units). */
  quantity: number;
  /** The sum of the line's `discount_allocations` amounts, for the whole line. */
  discount: string;
  /** The sum of the line's `tax_lines` prices, for the whole line. */
  tax: string;
  /** The order's `taxes_included`: the list price contains the tax. */
  taxesIncluded: boolean;
  currency: string;
}

export interface UnitAmounts {
  /** List price (Shopify's `price`). */
  gross: string;
  /** This unit's share of the line's discounts. */
  discount: string;
  /** This unit's share of the line's taxes (inside the gross when taxes are included, else on top). */
  tax: string;
  /** What the fan paid for the unit, without tax. Never below zero. */
  net: string;
}

const digitsCache = new Map<string, number>();

/** ISO 4217 minor-unit digits of a currency (USD 2, JPY 0, KWD 3), from the runtime's ICU data. */
export function currencyDigits(currency: string): number {
  let digits = digitsCache.get(currency);
  if (digits === undefined) {
    digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
    digitsCache.set(currency, digits);
  }
  return digits;
}

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

const ISO_CURRENCIES: ReadonlySet<string> = new Set(Intl.supportedValuesOf('currency'));

/**
 * Whether a code is an ISO 4217 currency the runtime knows (its digits come from the same ICU data). An unknown code
 * ("ZZZ") would otherwise be taken as a 2-decimal currency. Fund and testing codes ICU does not list (CLF, XXX) are
 * refused too: no storefront charges in them.
 */
export function isIsoCurrency(code: string): boolean {
  return ISO_CURRENCIES.has(code);
}

/**
 * Money as it may enter the platform (Shopify's amounts, sales.v1's): a plain, non-negative decimal, at most
 * 9 digits before the point and 4 after (CLF, the most precise currency, has 4). Bounded so that a line's total
 * in minor units stays an exact integer and nothing downstream overflows or throws on a value that passed.
 */
export const MONEY_PATTERN = /^\d{1,9}(\.\d{1,4})?$/;

/**
 * Whether a decimal amount is exact in the currency's minor units: digits past the currency's are zeros only
 * (Shopify writes JPY as "1200.00"; "9.999" USD or "1.2345" KWD cannot have been charged).
 */
export function isExactIn(amount: string, currency: string): boolean {
  const fraction = DECIMAL.exec(amount.trim())?.[3] ?? '';
  return /^0*$/.test(fraction.slice(currencyDigits(currency)));
}

/**
 * A decimal string as an integer count of minor units. Digits beyond the currency's are rounded half away
 * from zero (Shopify writes JPY as "1200.00", which is exact; a stray third decimal on USD is not expected).
 */
export function toMinor(amount: string, digits: number): number {
  const match = DECIMAL.exec(amount.trim());
  if (!match) throw new RangeError(`not a decimal amount: ${JSON.stringify(amount)}`);
  const [, sign, whole, fraction = ''] = match;
  const kept = fraction.slice(0, digits).padEnd(digits, '0');
  let minor = Number(whole) * 10 ** digits + Number(kept || '0');
  if (fraction.length > digits && Number(fraction[digits]) >= 5) minor += 1;
  if (!Number.isSafeInteger(minor)) throw new RangeError(`amount out of range: ${JSON.stringify(amount)}`);
  return sign === '-' && minor !== 0 ? -minor : minor;
}

/** Minor units back to a decimal string with exactly the currency's digits ("7.49", "1200", "0.000"). */
export function fromMinor(minor: number | bigint, digits: number): string {
  const value = BigInt(minor);
  const sign = value < 0n ? '-' : '';
  const abs = String(value < 0n ? -value : value);
  if (digits === 0) return `${sign}${abs}`;
  const padded = abs.padStart(digits + 1, '0');
  return `${sign}${padded.slice(0, -digits)}.${padded.slice(-digits)}`;
}

/** A decimal amount printed with exactly the currency's digits ("7.4900" USD is "7.49", "1.2" KWD "1.200"). */
export function inCurrency(amount: string, currency: string): string {
  const digits = currencyDigits(currency);
  return fromMinor(toMinor(amount, digits), digits);
}

/** Unit `unitIndex`'s share of a line amount: the equal share, plus one minor unit for the first `rest` units. */
export function shareOf(totalMinor: number, quantity: number, unitIndex: number): number {
  if (quantity <= 0) return 0;
  const share = Math.trunc(totalMinor / quantity);
  const rest = totalMinor - share * quantity;
  return share + (unitIndex < Math.abs(rest) ? Math.sign(rest) : 0);
}

/** Sums decimal amounts exactly (in minor units) and prints the total with the currency's digits. */
export function sumAmounts(amounts: readonly string[], currency: string): string {
  const digits = currencyDigits(currency);
  return fromMinor(
    amounts.reduce((total, amount) => total + toMinor(amount, digits), 0),
    digits,
  );
}

/** The gross, discount, tax and net of unit `unitIndex` (0-based) of a line. */
export function unitAmounts(line: LineAmounts, unitIndex: number): UnitAmounts {
  const digits = currencyDigits(line.currency);
  const gross = toMinor(line.price, digits);
  const discount = shareOf(toMinor(line.discount, digits), line.quantity, unitIndex);
  const tax = shareOf(toMinor(line.tax, digits), line.quantity, unitIndex);
  // A discount larger than the price cannot be paid out to the fan: the unit was given away.
  const net = Math.max(0, gross - discount - (line.taxesIncluded ? tax : 0));
  return {
    gross: fromMinor(gross, digits),
    discount: fromMinor(discount, digits),
    tax: fromMinor(tax, digits),
    net: fromMinor(net, digits),
  };
}

/** The whole line net of discount (and of tax when included): what the order line stores beside its price. */
export function lineNet(line: LineAmounts): string {
  const digits = currencyDigits(line.currency);
  // In BigInt: a bounded price times a large quantity may pass 2^53.
  const total =
    BigInt(toMinor(line.price, digits)) * BigInt(line.quantity) -
    BigInt(toMinor(line.discount, digits)) -
    BigInt(line.taxesIncluded ? toMinor(line.tax, digits) : 0);
  return fromMinor(total > 0n ? total : 0n, digits);
}
