import { createHash } from 'node:crypto';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { COUNTDOWN_SCRIPT, COUNTDOWN_SCRIPT_HASH } from './countdown-script.ts';

// The page's one script, run in a bare context with just what it touches (querySelectorAll, Date, setInterval):
// what a fan's browser shows beside each date.
function run(now: number, instants: string[]) {
  const elements = instants.map((at) => ({
    textContent: '',
    getAttribute: (name: string) => (name === 'data-countdown' ? at : null),
  }));
  const timers: (() => void)[] = [];
  const clock = { now };
  runInNewContext(COUNTDOWN_SCRIPT, {
    document: { querySelectorAll: () => elements },
    Date: { now: () => clock.now, parse: Date.parse },
    setInterval: (fn: () => void) => timers.push(fn),
  });
  return { elements, timers, clock };
}

describe('the countdown script', () => {
  const now = Date.parse('2026-12-08T10:00:00Z');

  it('shows the time left beside each date, in days and hours, or minutes on the last day', () => {
    const { elements } = run(now, ['2026-12-11T14:30:00Z', '2026-12-08T10:45:00Z', '2026-12-09T09:00:00Z']);
    expect(elements.map((e) => e.textContent)).toEqual([
      '(in 3 days, 4 hours)',
      '(in 45 minutes)',
      '(in 23 hours, 0 minutes)',
    ]);
  });

  it('updates every 30 seconds and says when the file is out', () => {
    const { elements, timers, clock } = run(now, ['2026-12-08T10:01:00Z']);
    expect(elements[0]!.textContent).toBe('(in 1 minute)');
    expect(timers).toHaveLength(1);
    clock.now += 61_000;
    timers[0]!();
    expect(elements[0]!.textContent).toBe('(out now: reload this page)');
  });

  it('does nothing on a page without countdowns, and its CSP hash is its own', () => {
    const { timers } = run(now, []);
    expect(timers).toEqual([]);
    expect(COUNTDOWN_SCRIPT_HASH).toBe(`'sha256-${createHash('sha256').update(COUNTDOWN_SCRIPT).digest('base64')}'`);
  });
});
