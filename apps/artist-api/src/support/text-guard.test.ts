import { describe, expect, it } from 'vitest';
import { containsNul } from './text-guard.ts';

describe('containsNul', () => {
  it('finds NUL in nested strings and keys only', () => {
    expect(containsNul({ a: [{ b: 'x\u0000' }] })).toBe(true);
    expect(containsNul({ 'k\u0000': 1 })).toBe(true);
    expect(containsNul({ a: ['x', 1, null, { b: '\\u0000' }] })).toBe(false);
    expect(containsNul(undefined)).toBe(false);
  });
});
