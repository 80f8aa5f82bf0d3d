import { describe, expect, it } from 'vitest';
import { Output, parseSince, renderBar, table } from './output.ts';

describe('output helpers', () => {
  it('renders a progress bar proportional to the work done', () => {
    expect(renderBar('x', 0, 4, 8)).toBe('x [........] 0/4 0%');
    expect(renderBar('x', 2, 4, 8)).toBe('x [####....] 2/4 50%');
    expect(renderBar('x', 0, 0, 4)).toBe('x [####] 0/0 100%');
  });

  it('draws progress only on a terminal and never with --json', () => {
    let err = '';
    const io = {
      out: () => undefined,
      err: (s: string) => {
        err += s;
      },
      env: {},
      cwd: '/',
    };
    new Output({ ...io, errIsTTY: false }, false).progress('p')(1, 1);
    new Output({ ...io, errIsTTY: true }, true).progress('p')(1, 1);
    expect(err).toBe('');
    new Output({ ...io, errIsTTY: true }, false).progress('p')(1, 2);
    expect(err).toContain('\rp [');
  });

  it('parses relative and absolute --since values', () => {
    const now = new Date('2026-11-20T12:00:00Z');
    expect(parseSince('30m', now).toISOString()).toBe('2026-11-20T11:30:00.000Z');
    expect(parseSince('2h', now).toISOString()).toBe('2026-11-20T10:00:00.000Z');
    expect(parseSince('7d', now).toISOString()).toBe('2026-11-13T12:00:00.000Z');
    expect(parseSince('2026-11-01T00:00:00Z').toISOString()).toBe('2026-11-01T00:00:00.000Z');
    expect(() => parseSince('yesterday')).toThrow(/invalid --since/);
    for (const impossible of ['0050-01-01', '2026-02-30', '2026-11-01T00:00:00', '+02026-11-01T00:00:00Z'])
      expect(() => parseSince(impossible), impossible).toThrow(/invalid --since/);
  });

  it('reads a --since date as the start of that New York business day', () => {
    expect(parseSince('2026-11-01').toISOString()).toBe('2026-11-01T04:00:00.000Z'); // EDT
    expect(parseSince('2026-01-01').toISOString()).toBe('2026-01-01T05:00:00.000Z'); // EST
    expect(parseSince('1900-01-01').getTime()).toBeGreaterThan(Date.UTC(1900, 0, 1));
  });

  it('refuses relative --since values that leave 1900-2199', () => {
    const now = new Date('2026-11-20T12:00:00Z');
    for (const far of ['99999999d', '100000d', '9999999999999999999999m', `${'9'.repeat(400)}h`])
      expect(() => parseSince(far, now), far).toThrow(/invalid --since/);
    // 1900-01-01T00:00Z is the first instant: the whole days back to it are in range, one more is not.
    const days = Math.floor((now.getTime() - Date.UTC(1900, 0, 1)) / 86_400_000);
    expect(parseSince(`${days}d`, now).getUTCFullYear()).toBe(1900);
    expect(() => parseSince(`${days + 1}d`, now)).toThrow(/invalid --since/);
  });

  it('pads table columns to the widest cell', () => {
    expect(
      table(
        [
          { a: 'x', b: 10 },
          { a: 'long', b: null },
        ],
        ['a', 'b'],
      ),
    ).toBe('a     b\nx     10\nlong  -');
    expect(table([], ['a'])).toBe('(none)');
  });
});
