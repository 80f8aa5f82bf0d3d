import { describe, expect, it } from 'vitest';
import { boundedTriggeredAt } from './headers.ts';

// Issue 14 (review F3b P4): X-Shopify-Triggered-At is not signed; an app/uninstalled is judged by it.
describe('boundedTriggeredAt', () => {
  const received = new Date('2026-11-20T12:00:00.000Z');

  it('keeps a plausible instant (within Shopify’s 48 h retry horizon, not after receipt)', () => {
    expect(boundedTriggeredAt('2026-11-20T11:59:00Z', received)).toBe('2026-11-20T11:59:00.000Z');
    expect(boundedTriggeredAt('2026-11-18T12:00:00Z', received)).toBe('2026-11-18T12:00:00.000Z');
  });

  it('a future instant (2099) is the received time', () => {
    expect(boundedTriggeredAt('2099-01-01T00:00:00Z', received)).toBe(received.toISOString());
  });

  it('an instant before the retry horizon (1971) is the received time', () => {
    expect(boundedTriggeredAt('1971-01-01T00:00:00Z', received)).toBe(received.toISOString());
    expect(boundedTriggeredAt('2026-11-18T11:59:59Z', received)).toBe(received.toISOString());
  });

  it('absent stays absent', () => {
    expect(boundedTriggeredAt(null, received)).toBeNull();
  });
});
