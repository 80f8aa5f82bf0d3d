import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INVALID_DATES } from '@single/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../exit-codes.ts';
import { cmdr } from '../test-support/run.ts';
import { dateRange } from './reports.ts';

// A stand-in for geo-reporting's GET /v1/reports/chart on 127.0.0.1, with its status codes and headers.
const csv = (date: string) => `upc,zip,kind,quantity\n0602435123456,10001,sale,1\n# ${date}\n`;
let server: Server;
let env: Record<string, string>;
const requested: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const date = url.searchParams.get('date') ?? '';
    requested.push(`${url.pathname}?chart=${url.searchParams.get('chart')}&date=${date}`);
    if (url.searchParams.get('chart') !== 'luminate-us') {
      res.writeHead(404, { 'content-type': 'application/problem+json' }).end('{"detail":"no rules for chart"}');
    } else if (date >= '2026-11-25') {
      res.writeHead(409, { 'content-type': 'application/problem+json' }).end('{"detail":"2026-11-25 is not over"}');
    } else {
      const body = date === '2026-11-01' ? `${csv(date)}tampered` : csv(date);
      res
        .writeHead(200, {
          'content-type': 'text/csv',
          'x-content-sha256': createHash('sha256').update(csv(date)).digest('hex'),
        })
        .end(body);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  env = { GEO_REPORTING_URL: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` };
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('cmdr reports export', () => {
  it("prints one day's chart file to stdout", async () => {
    const run = await cmdr(['reports', 'export', '--chart', 'luminate-us', '--date', '2026-11-19'], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(csv('2026-11-19'));
    expect(requested).toContain('/v1/reports/chart?chart=luminate-us&date=2026-11-19');
  });

  it('writes a range of days to files, verified against the announced sha256, with progress', async () => {
    const out = mkdtempSync(join(tmpdir(), 'cmdr-reports-'));
    const run = await cmdr(
      [
        '--json',
        'reports',
        'export',
        '--chart',
        'luminate-us',
        '--from',
        '2026-11-17',
        '--to',
        '2026-11-19',
        '--out',
        out,
      ],
      env,
    );
    expect(run.code).toBe(0);
    const files = run.json<{ date: string; path: string; sha256: string }[]>();
    expect(files.map((f) => f.date)).toEqual(['2026-11-17', '2026-11-18', '2026-11-19']);
    for (const file of files) {
      expect(readFileSync(file.path, 'utf8')).toBe(csv(file.date));
      expect(file.sha256).toBe(createHash('sha256').update(csv(file.date)).digest('hex'));
    }
    const tty = await cmdr(
      ['reports', 'export', '--chart', 'luminate-us', '--from', '2026-11-17', '--to', '2026-11-18', '--out', out],
      env,
      { tty: true },
    );
    expect(tty.stderr).toMatch(/export \[#+\] 2\/2 100%/);
  });

  it.each([
    [['--chart', 'occ-uk', '--date', '2026-11-19'], ExitCode.notFound, /no rules for chart/],
    [['--chart', 'luminate-us', '--date', '2026-11-25'], ExitCode.conflict, /not over/],
    [['--chart', 'luminate-us', '--date', '2026-11-01'], ExitCode.failure, /x-content-sha256/],
    [['--chart', 'luminate-us'], ExitCode.usage, /--date/],
    [['--chart', 'luminate-us', '--from', '2026-11-17', '--to', '2026-11-18'], ExitCode.usage, /--out/],
  ])('%j exits %i', async (args, code, message) => {
    const run = await cmdr(['reports', 'export', ...args], env);
    expect(run.code).toBe(code);
    expect(run.stderr).toMatch(message);
  });

  it('exits 5 when geo-reporting is unreachable', async () => {
    const run = await cmdr(['reports', 'export', '--chart', 'luminate-us', '--date', '2026-11-19'], {
      GEO_REPORTING_URL: 'http://127.0.0.1:1',
    });
    expect(run.code).toBe(ExitCode.unavailable);
  });

  it('dateRange spans calendar days inclusively and refuses inverted ranges', () => {
    expect(dateRange('2026-02-27', '2026-03-01')).toEqual(['2026-02-27', '2026-02-28', '2026-03-01']);
    expect(() => dateRange('2026-03-02', '2026-03-01')).toThrow(/from <= to/);
  });

  it.each(INVALID_DATES)('dateRange refuses %j before asking geo-reporting', (date) => {
    expect(() => dateRange(date, '2026-03-01')).toThrow(/not a calendar date/);
    expect(() => dateRange('2026-03-01', date)).toThrow(/not a calendar date/);
  });
});
