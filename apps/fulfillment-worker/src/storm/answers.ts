import type { Fault } from './faults.ts';
import type { Answer } from './shopify-load.ts';
import { type Check, check } from './verify.ts';

// What the platform may answer: 2xx; a 4xx only to bad input (a bad signature, a forged header, a replay);
// a 503 only while a fault lasts (and a short while after, for the clients' reconnects). During the rolling
// restart, with no fault, nothing but 2xx and the bad-input 4xx.

const BAD_INPUT: Record<string, (status: number) => boolean> = {
  'bad-signature': (s) => s === 401,
  'forged-unknown-shop': (s) => s === 403,
  'forged-shop': (s) => s === 200 || (s >= 400 && s < 500),
  'forged-topic': (s) => s === 200 || (s >= 400 && s < 500),
  replay: (s) => s === 200 || (s >= 400 && s < 500),
};

const GRACE_MS = 15_000;

export function answerChecks(answers: Answer[], faults: Fault[], rollingFrom: number): Check[] {
  const duringFault = (at: number) =>
    faults.some((f) => at >= f.start && at <= (Number.isNaN(f.end) ? Number.POSITIVE_INFINITY : f.end) + GRACE_MS);
  const wrong: Answer[] = [];
  const outsideFault: Answer[] = [];
  const inRolling: Answer[] = [];
  for (const a of answers) {
    const fine = BAD_INPUT[a.kind]?.(a.status) ?? (a.status >= 200 && a.status < 300);
    if (fine) continue;
    if (a.status === 503 && a.at < rollingFrom) {
      if (!duringFault(a.at)) outsideFault.push(a);
      continue;
    }
    (a.at >= rollingFrom ? inRolling : wrong).push(a);
  }
  return [
    check('answers other than 2xx, 4xx for bad input, 503', 0, wrong.length, wrong),
    check('503 outside a fault', 0, outsideFault.length, outsideFault),
    check('rolling restart: failed requests', 0, inRolling.length, inRolling),
  ];
}
