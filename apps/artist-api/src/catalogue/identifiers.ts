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

/** 00:00 on a calendar date in a time zone, as an instant (release dates are midnight America/New_York). */
export function zonedMidnight(date: string, timeZone = 'America/New_York'): Date {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const utcMidnight = Date.UTC(y, m - 1, d);
  // The zone's offset at that moment, then once more at the corrected instant (DST changes at 02:00, so
  // midnight itself is never skipped or repeated in America/New_York).
  let instant = utcMidnight - offsetMs(new Date(utcMidnight), timeZone);
  instant = utcMidnight - offsetMs(new Date(instant), timeZone);
  return new Date(instant);
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function offsetMs(at: Date, timeZone: string): number {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(at).map((p) => [p.type, p.value]));
  const asUtc = Date.UTC(+parts.year!, +parts.month! - 1, +parts.day!, +parts.hour!, +parts.minute!, +parts.second!);
  return asUtc - Math.floor(at.getTime() / 1000) * 1000;
}

/** Calendar date (YYYY-MM-DD) of an instant in a time zone. */
export function zonedDate(at: Date, timeZone = 'America/New_York'): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}
