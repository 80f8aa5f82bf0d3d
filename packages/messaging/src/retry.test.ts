import { describe, expect, it } from 'vitest';
import { PermanentError } from './errors.ts';
import { classifyError, decideFailure, describeError, readRetryCount, withoutBrokerDeathHeaders } from './retry.ts';

describe('retry policy', () => {
  const ladder = { delaysMs: [100, 1000] };

  it('climbs the ladder one step per transient failure, then dead-letters', () => {
    expect(decideFailure('q.orders.paid', 'transient', 0, ladder)).toEqual({
      action: 'retry',
      delayQueue: 'q.orders.paid.retry.100ms',
      delayMs: 100,
      nextRetryCount: 1,
    });
    expect(decideFailure('q.orders.paid', 'transient', 1, ladder)).toMatchObject({
      delayQueue: 'q.orders.paid.retry.1s',
      nextRetryCount: 2,
    });
    expect(decideFailure('q.orders.paid', 'transient', 2, ladder)).toEqual({
      action: 'dead-letter',
      reason: 'retries-exhausted',
    });
  });

  it('sends permanent failures, and any failure without a policy, straight to the DLQ', () => {
    expect(decideFailure('q', 'permanent', 0, ladder)).toEqual({ action: 'dead-letter', reason: 'permanent' });
    expect(decideFailure('q', 'transient', 0, undefined)).toEqual({
      action: 'dead-letter',
      reason: 'retries-exhausted',
    });
  });

  it('classifies PermanentError and validation errors as permanent, the rest as transient', () => {
    class InvalidPayload extends PermanentError {}
    const zodLike = Object.assign(new Error('invalid'), { name: 'ZodError' });
    expect([new PermanentError('x'), new InvalidPayload('y'), zodLike].map(classifyError)).toEqual([
      'permanent',
      'permanent',
      'permanent',
    ]);
    expect([new Error('timeout'), new TypeError('bug'), 'string thrown'].map(classifyError)).toEqual([
      'transient',
      'transient',
      'transient',
    ]);
  });

  it('reads the retry count defensively', () => {
    expect(readRetryCount({ 'x-retry-count': 2 })).toBe(2);
    expect(readRetryCount({})).toBe(0);
    expect(readRetryCount({ 'x-retry-count': -1 })).toBe(0);
    expect(readRetryCount({ 'x-retry-count': 'abc' })).toBe(0);
  });

  it('keeps only class and a bounded message of an error', () => {
    expect(describeError(new TypeError('x'.repeat(900)))).toEqual({
      errorClass: 'TypeError',
      errorMessage: 'x'.repeat(500),
    });
  });

  it('drops the broker death bookkeeping but keeps application headers', () => {
    expect(
      withoutBrokerDeathHeaders({
        traceparent: 't',
        'x-retry-count': 1,
        'x-death': [{}],
        'x-first-death-queue': 'q',
        'x-last-death-reason': 'expired',
      }),
    ).toEqual({ traceparent: 't', 'x-retry-count': 1 });
  });
});
