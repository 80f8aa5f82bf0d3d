// Product identifiers as charts expect them: UPC/EAN normalised to 13 digits with a valid check digit,
// ISRC as 12 upper-case characters without separators.

/** GS1 check digit of the digits before it: weights 3,1,3,... from the right. */
export function gtinCheckDigit(body: string): number {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    const digit = body.charCodeAt(body.length - 1 - i) - 48;
    sum += digit * (i % 2 === 0 ? 3 : 1);
  }
  return (10 - (sum % 10)) % 10;
}

/**
 * A UPC-A (12 digits) or EAN-13 with spaces or hyphens allowed, as 13 digits (UPC-A gets a leading 0,
 * which keeps its check digit valid); undefined when the length or the check digit is wrong.
 */
export function normaliseUpc(input: string): string | undefined {
  const digits = input.replace(/[\s-]/g, '');
  if (!/^\d{12,13}$/.test(digits)) return undefined;
  const ean = digits.padStart(13, '0');
  return gtinCheckDigit(ean.slice(0, 12)) === Number(ean[12]) ? ean : undefined;
}

/** CC-XXX-YY-NNNNN: country (2 letters), registrant (3 alphanumerics), year (2 digits), designation (5 digits). */
const ISRC = /^[A-Z]{2}[A-Z0-9]{3}\d{7}$/;

export function normaliseIsrc(input: string): string | undefined {
  const compact = input.replace(/[\s-]/g, '').toUpperCase();
  return ISRC.test(compact) ? compact : undefined;
}

// Release dates are 00:00 America/New_York: the zone arithmetic is shared with the charts (@single/contracts).
export { businessDate as zonedDate, zonedMidnight } from '@single/contracts';
