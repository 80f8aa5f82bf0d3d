import type { Fault } from './faults.ts';
import type { Answer } from './shopify-load.ts';
import { type Check, check } from './verify.ts';

// What the platform may answer: 2xx; a 4xx only to bad input (a bad signature, a forged header, a replay);
// a 503 `storage_unavailable` only while PostgreSQL is out (and a short while after, for the clients'
// reconnects): intake needs nothing else, so SMTP, Redis, RabbitMQ, Kafka or a worker going away must not
// refuse a delivery. A fast load-shedding 503 (`overloaded`, `claim_queue_full`) is allowed at any time before
// the rolling restart, and counted. During the rolling restart, with no fault, nothing but 2xx and the
// bad-input 4xx.

const BAD_INPUT: Record<string, (status: number) => boolean> = {
  'bad-signature': (s) => s === 401,
  'forged-unknown-shop': (s) => s === 403,
  'forged-shop': (s) => s === 200 || (s >= 400 && s < 500),
  'forged-topic': (s) => s === 200 || (s >= 400 && s < 500),
  replay: (s) => s === 200 || (s >= 400 && s < 500),
};

const GRACE_MS = 15_000;
/** The refusals of a platform shedding load, answered at once without storing anything (Shopify retries). */
const LOAD_SHEDDING = new Set(['overloaded', 'claim_queue_full']);

export function answerChecks(answers: Answer[], faults: Fault[], rollingFrom: number): Check[] {
  const storageOutages = faults.filter((f) => f.name === 'PostgreSQL restarted');
  const duringStorageOutage = (at: number) =>
    storageOutages.some(
      (f) => at >= f.start && at <= (Number.isNaN(f.end) ? Number.POSITIVE_INFINITY : f.end) + GRACE_MS,
    );
  const wrong: Answer[] = [];
  const outsideOutage: Answer[] = [];
  const inRolling: Answer[] = [];
  for (const a of answers) {
    const fine = BAD_INPUT[a.kind]?.(a.status) ?? (a.status >= 200 && a.status < 300);
    if (fine) continue;
    if (a.status === 503 && a.at < rollingFrom) {
      if (!duringStorageOutage(a.at) && !LOAD_SHEDDING.has(a.code ?? '')) outsideOutage.push(a);
      continue;
    }
    (a.at >= rollingFrom ? inRolling : wrong).push(a);
  }
  return [
    check('answers other than 2xx, 4xx for bad input, 503', 0, wrong.length, wrong),
    check('503 outside the PostgreSQL outage (load shedding aside)', 0, outsideOutage.length, outsideOutage),
    check('rolling restart: failed requests', 0, inRolling.length, inRolling),
  ];
}

/** 503s by problem code, and how many were load shedding: printed with the table. */
export function refusals(answers: Answer[]): string {
  const byCode: Record<string, number> = {};
  for (const a of answers) if (a.status === 503) byCode[a.code ?? 'no code'] = (byCode[a.code ?? 'no code'] ?? 0) + 1;
  const shed = Object.entries(byCode)
    .filter(([code]) => LOAD_SHEDDING.has(code))
    .reduce((n, [, count]) => n + count, 0);
  return `${JSON.stringify(byCode)}; load shedding ${shed}`;
}
