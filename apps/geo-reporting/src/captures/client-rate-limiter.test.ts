import { describe, expect, it } from 'vitest';
import { ClientRateLimiter } from './client-rate-limiter.ts';

/** A limiter on a clock the test moves by hand. */
function limiter(options: { max: number; windowMs: number; maxClients?: number }) {
  const clock = { now: 1_000 };
  const limit = new ClientRateLimiter({ ...options, now: () => clock.now });
  return { limit, clock };
}

describe('ClientRateLimiter', () => {
  it('lets a client make max requests at once, then refuses with the seconds until a token is back', () => {
    const { limit } = limiter({ max: 3, windowMs: 60_000 });
    expect([limit.take('a'), limit.take('a'), limit.take('a')]).toEqual([0, 0, 0]);
    // One token per 20 s: the fourth request waits 20 s.
    expect(limit.take('a')).toBe(20);
    expect(limit.take('a')).toBe(20);
  });

  it('counts each client on its own', () => {
    const { limit } = limiter({ max: 1, windowMs: 60_000 });
    expect(limit.take('a')).toBe(0);
    expect(limit.take('a')).toBeGreaterThan(0);
    expect(limit.take('b')).toBe(0);
  });

  it('refills at max per window, never above max', () => {
    const { limit, clock } = limiter({ max: 3, windowMs: 60_000 });
    for (let i = 0; i < 3; i++) limit.take('a');
    clock.now += 19_000;
    expect(limit.take('a')).toBe(1); // 19 s of the 20 s a token takes
    clock.now += 1_000;
    expect(limit.take('a')).toBe(0);
    expect(limit.take('a')).toBe(20);
    // Idle for ten windows: a full bucket (3), not 30 tokens.
    clock.now += 600_000;
    expect([limit.take('a'), limit.take('a'), limit.take('a'), limit.take('a')]).toEqual([0, 0, 0, 20]);
  });

  it('a refused request takes nothing: the client is served again as soon as a token is back', () => {
    const { limit, clock } = limiter({ max: 2, windowMs: 1_000 });
    limit.take('a');
    limit.take('a');
    for (let i = 0; i < 50; i++) expect(limit.take('a')).toBe(1);
    clock.now += 500;
    expect(limit.take('a')).toBe(0);
  });

  it('keeps a drained bucket across generation rotations while its client keeps asking', () => {
    const { limit, clock } = limiter({ max: 2, windowMs: 1_000 });
    limit.take('a');
    limit.take('a');
    // Each step rotates the generations; a refused request every 0.4 s, a token every 0.5 s.
    let served = 0;
    for (let i = 0; i < 10; i++) {
      clock.now += 1_000 * 0.4;
      if (limit.take('a') === 0) served++;
    }
    // 4 s at 2 per second from an empty bucket: at most 8, never a fresh bucket's burst on top.
    expect(served).toBeLessThanOrEqual(8);
    expect(served).toBeGreaterThanOrEqual(7);
  });

  it('forgets idle clients after two windows, so memory follows the active clients', () => {
    const { limit, clock } = limiter({ max: 5, windowMs: 1_000 });
    for (let i = 0; i < 100; i++) limit.take(`client-${i}`);
    expect(limit.size).toBe(100);
    clock.now += 1_000;
    limit.take('active');
    expect(limit.size).toBe(101);
    clock.now += 1_000;
    limit.take('active');
    expect(limit.size).toBe(1);
  });

  it('bounds the clients it tracks: past maxClients the least recent start afresh', () => {
    const { limit } = limiter({ max: 1, windowMs: 60_000, maxClients: 10 });
    limit.take('first');
    expect(limit.take('first')).toBeGreaterThan(0);
    for (let i = 0; i < 25; i++) limit.take(`flood-${i}`);
    expect(limit.size).toBeLessThanOrEqual(20);
    expect(limit.take('first')).toBe(0);
  });

  it('rejects a limit that could never serve a request', () => {
    expect(() => new ClientRateLimiter({ max: 0, windowMs: 1_000 })).toThrow(RangeError);
    expect(() => new ClientRateLimiter({ max: 1, windowMs: 0 })).toThrow(RangeError);
  });
});
