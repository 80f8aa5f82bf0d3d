import { describe, expect, it } from 'vitest';
import { normaliseIsrc, normaliseUpc, zonedDate, zonedMidnight } from './identifiers.ts';

describe('normaliseUpc', () => {
  it.each([
    ['036000291452', '0036000291452'], // UPC-A, padded to 13
    ['4006381333931', '4006381333931'], // EAN-13
    ['0 36000 29145 2', '0036000291452'],
    ['5-901234-123457', '5901234123457'],
  ])('accepts %s as %s', (input, expected) => {
    expect(normaliseUpc(input)).toBe(expected);
  });

  it.each(['036000291453', '4006381333932', '12345', '40063813339311', 'ABCDEFGHIJKL', ''])('rejects %s', (input) => {
    expect(normaliseUpc(input)).toBeUndefined();
  });
});

describe('normaliseIsrc', () => {
  it('removes separators and upper-cases', () => {
    expect(normaliseIsrc('us-s1z-99-00001')).toBe('USS1Z9900001');
    expect(normaliseIsrc('GBAYE0601498')).toBe('GBAYE0601498');
  });

  it.each(['US-S1Z-99-0001', '1SS1Z9900001', 'USS1Z99000011', 'USS1Z99A0001', ''])('rejects %s', (input) => {
    expect(normaliseIsrc(input)).toBeUndefined();
  });
});

describe('zonedMidnight', () => {
  it('is 05:00Z in winter and 04:00Z in summer for New York', () => {
    expect(zonedMidnight('2026-01-16').toISOString()).toBe('2026-01-16T05:00:00.000Z');
    expect(zonedMidnight('2026-07-17').toISOString()).toBe('2026-07-17T04:00:00.000Z');
  });

  it('handles the days DST starts and ends', () => {
    expect(zonedMidnight('2026-03-08').toISOString()).toBe('2026-03-08T05:00:00.000Z');
    expect(zonedMidnight('2026-11-01').toISOString()).toBe('2026-11-01T04:00:00.000Z');
  });

  it('round-trips through zonedDate', () => {
    expect(zonedDate(zonedMidnight('2026-11-27'))).toBe('2026-11-27');
    expect(zonedDate(new Date('2026-11-27T04:59:59Z'))).toBe('2026-11-26');
  });
});
