/**
 * ISO 3166-1 alpha-2 country codes, from the runtime's ICU region data (like isIsoCurrency): a code is a
 * country when ICU names it as a region, minus the codes ICU names that are not countries in ISO 3166-1
 * (EU, EZ, UN, UK are reserved, QO/XA/XB/ZZ are CLDR's own). XK (Kosovo) stays: Shopify uses it.
 * sales.v1 carries the countries in clear, so nothing else may ever sit in those fields.
 */
const regions = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });
const NOT_COUNTRIES: ReadonlySet<string> = new Set(['EU', 'EZ', 'UN', 'UK', 'QO', 'XA', 'XB', 'ZZ']);

export function isIsoCountry(code: unknown): code is string {
  return typeof code === 'string' && /^[A-Z]{2}$/.test(code) && !NOT_COUNTRIES.has(code) && !!regions.of(code);
}

/** A country code as given (trimmed, upper-cased) when it is ISO 3166-1 alpha-2, else null. */
export function isoCountryOrNull(code: string | null | undefined): string | null {
  const upper = code?.trim().toUpperCase();
  return isIsoCountry(upper) ? upper : null;
}
