import { PermanentError } from './errors.ts';
import { delayQueueName, type RetryPolicy } from './topology.ts';

/** Headers the client maintains on retried and dead-lettered messages. */
export const HEADER = {
  retryCount: 'x-retry-count',
  originalExchange: 'x-original-exchange',
  originalRoutingKey: 'x-original-routing-key',
  originalQueue: 'x-original-queue',
  errorClass: 'x-error-class',
  errorMessage: 'x-error-message',
  deadLetterReason: 'x-dead-letter-reason',
  deadLetteredAt: 'x-dead-lettered-at',
} as const;

export type ErrorKind = 'permanent' | 'transient';
export type ErrorClassifier = (err: unknown) => ErrorKind;

/** Validation failures (PermanentError, zod) cannot succeed on retry; everything else is assumed transient. */
export const classifyError: ErrorClassifier = (err) => {
  if (err instanceof PermanentError) return 'permanent';
  if (err instanceof Error && (err.name === 'PermanentError' || err.name === 'ZodError')) return 'permanent';
  return 'transient';
};

export type FailureDecision =
  | { action: 'retry'; delayQueue: string; delayMs: number; nextRetryCount: number }
  | { action: 'dead-letter'; reason: 'permanent' | 'retries-exhausted' };

export function decideFailure(
  queue: string,
  kind: ErrorKind,
  retryCount: number,
  policy: RetryPolicy | undefined,
): FailureDecision {
  if (kind === 'permanent') return { action: 'dead-letter', reason: 'permanent' };
  const delayMs = policy?.delaysMs[retryCount];
  if (delayMs === undefined) return { action: 'dead-letter', reason: 'retries-exhausted' };
  return { action: 'retry', delayQueue: delayQueueName(queue, delayMs), delayMs, nextRetryCount: retryCount + 1 };
}

export function readRetryCount(headers: Record<string, unknown>): number {
  const value = Number(headers[HEADER.retryCount] ?? 0);
  return Number.isInteger(value) && value >= 0 ? value : 0;
}

/** Class and message only, shortened: the payload and stack never travel to the DLQ or the logs. */
export function describeError(err: unknown): { errorClass: string; errorMessage: string } {
  if (err instanceof Error) return { errorClass: err.name || 'Error', errorMessage: err.message.slice(0, 500) };
  return { errorClass: typeof err, errorMessage: String(err).slice(0, 500) };
}

/** Broker bookkeeping headers that would otherwise pile up each time the client republishes a message. */
export function withoutBrokerDeathHeaders(headers: Record<string, unknown>): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(headers)) {
    if (key === 'x-death' || key.startsWith('x-first-death-') || key.startsWith('x-last-death-')) continue;
    copy[key] = value;
  }
  return copy;
}
