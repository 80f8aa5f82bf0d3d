// Dates at the edges, for every test of a date parameter: each has answered 500 (or been stored as 19xx)
// somewhere before. The valid range is @single/contracts' CALENDAR_DATE_MIN..MAX (1900-01-01..2199-12-31).

/** Not a calendar date in the range: impossible days, years outside it, other spellings. */
export const INVALID_DATES: readonly string[] = Object.freeze([
  '0000-01-01',
  '0001-01-01',
  '0099-12-31',
  '1899-12-31', // the day before the range
  '2200-01-01', // the day after it
  '9999-12-31',
  '2026-13-01',
  '2026-00-10',
  '2026-01-00',
  '2026-01-32',
  '2026-02-29', // not a leap year
  '2100-02-29', // a century that is not a leap year
  '2026-04-31',
  '+02026-01-01',
  '-002026-01-01',
  '2026-1-5',
  '20260105',
  '2026/01/05',
  '2026-01-05T00:00:00Z',
  ' 2026-01-05',
  '2026-01-05\n',
  '',
  ' ',
]);

/** Real dates at the edges: the range bounds, leap days, month and year ends. */
export const EDGE_VALID_DATES: readonly string[] = Object.freeze([
  '1900-01-01',
  '1900-01-02',
  '2000-02-29',
  '2028-02-29',
  '2026-02-28',
  '2026-04-30',
  '2026-12-31',
  '2199-12-30',
  '2199-12-31',
]);

/** Instants at the edges: before or after the range, impossible, or without an offset. */
export const INVALID_INSTANTS: readonly string[] = Object.freeze([
  '0050-01-01T00:00:00Z',
  '0000-01-01T00:00:00Z',
  '1899-12-31T23:59:59Z',
  '2200-01-01T00:00:00Z',
  '9999-12-31T23:59:59Z',
  '2026-02-29T00:00:00Z',
  '2026-11-27T24:00:00Z',
  '2026-11-27T05:00:00',
  '+02026-11-27T05:00:00Z',
  '2026-11-27',
  '',
]);

export const EDGE_VALID_INSTANTS: readonly string[] = Object.freeze([
  '1900-01-01T00:00:00Z',
  '2028-02-29T23:59:59-05:00',
  '2199-12-31T23:59:59Z',
]);
