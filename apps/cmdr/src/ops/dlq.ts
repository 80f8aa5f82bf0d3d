import type { DeadLetter, Messaging, RedriveResult } from '@single/messaging';

export const DEFAULT_DLQ = 'fulfillment.dlq';

export interface DeadLetterItem {
  messageId: string | undefined;
  originalQueue: string | undefined;
  originalRoutingKey: string | undefined;
  reason: string | undefined;
  errorClass: string | undefined;
  errorMessage: string | undefined;
  retryCount: number;
  bytes: number;
}

/** What an operator needs to decide on a redrive; message bodies (personal data) are not printed. */
export function toItem(letter: DeadLetter): DeadLetterItem {
  return {
    messageId: letter.messageId,
    originalQueue: letter.originalQueue,
    originalRoutingKey: letter.originalRoutingKey,
    reason: letter.reason,
    errorClass: letter.errorClass,
    errorMessage: letter.errorMessage,
    retryCount: letter.retryCount,
    bytes: letter.body.length,
  };
}

export async function listDlq(messaging: Messaging, queue: string, limit: number) {
  const stats = await messaging.inspectQueue(queue);
  const letters = await messaging.listDeadLetters(queue, limit);
  return { queue, total: stats.messageCount, items: letters.map(toItem) };
}

/**
 * Redrives in batches so progress can be shown; each batch is publish-with-confirm then ack, so an
 * interrupted redrive loses nothing (at worst a message is delivered twice; consumers are idempotent).
 */
export async function redriveDlq(
  messaging: Messaging,
  queue: string,
  options: { limit: number; batch?: number; onProgress?: (done: number, total: number) => void },
): Promise<RedriveResult & { remaining: number }> {
  const batch = options.batch ?? 100;
  const total = Math.min(options.limit, (await messaging.inspectQueue(queue)).messageCount);
  let redriven = 0;
  let skipped = 0;
  while (redriven + skipped < total) {
    const step = await messaging.redrive(queue, { limit: Math.min(batch, total - redriven - skipped) });
    redriven += step.redriven;
    skipped += step.skipped;
    options.onProgress?.(redriven + skipped, total);
    if (step.redriven === 0) break; // only unknown-origin messages left: they stay for a human
  }
  const remaining = (await messaging.inspectQueue(queue)).messageCount;
  return { redriven, skipped, remaining };
}
