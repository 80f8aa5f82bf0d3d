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
    expect(parseSince('2026-11-01').toISOString()).toBe('2026-11-01T00:00:00.000Z');
    for (const impossible of ['0050-01-01', '2026-02-30', '2026-11-01T00:00:00', '+02026-11-01T00:00:00Z'])
      expect(() => parseSince(impossible), impossible).toThrow(/invalid --since/);
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
