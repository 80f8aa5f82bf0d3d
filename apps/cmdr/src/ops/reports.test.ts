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
const produced = new Set<string>();
// geo-reporting answers its reports only to a service token or an ops-scoped API key.
const TOKEN = 'cmdr-test-service-token-0123456789abcdef';

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      res
        .writeHead(401, { 'content-type': 'application/problem+json', 'www-authenticate': 'Bearer' })
        .end('{"detail":"A service token or an API key with the ops scope is required"}');
      return;
    }
    if (req.method === 'POST' && url.pathname === '/v1/reports/chart-files') {
      let raw = '';
      for await (const chunk of req) raw += chunk;
      const { chart, date } = JSON.parse(raw) as { chart: string; date: string };
      requested.push(`POST ${url.pathname} ${chart} ${date}`);
      if (date >= '2026-11-25') {
        res.writeHead(409, { 'content-type': 'application/problem+json' }).end('{"detail":"2026-11-25 is not over"}');
        return;
      }
      const sha256 = createHash('sha256').update(csv(date)).digest('hex');
      const stored = !produced.has(date);
      produced.add(date);
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ chart, date, sha256, bytes: csv(date).length, lines: 1, stored }));
      return;
    }
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
  env = {
    GEO_REPORTING_URL: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
    GEO_REPORTS_TOKEN: TOKEN,
  };
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

  it('sends GEO_REPORTS_TOKEN; without it, or with one geo-reporting refuses, exits 2 saying so', async () => {
    const args = ['reports', 'export', '--chart', 'luminate-us', '--date', '2026-11-19'];
    const none = await cmdr(args, { GEO_REPORTING_URL: env.GEO_REPORTING_URL! });
    expect([none.code, none.stderr]).toEqual([ExitCode.usage, expect.stringMatching(/GEO_REPORTS_TOKEN/)]);
    const wrong = await cmdr(args, { ...env, GEO_REPORTS_TOKEN: 'not-the-token' });
    expect([wrong.code, wrong.stderr]).toEqual([ExitCode.usage, expect.stringMatching(/refused GEO_REPORTS_TOKEN/)]);
  });

  it('exits 5 when geo-reporting is unreachable', async () => {
    const run = await cmdr(['reports', 'export', '--chart', 'luminate-us', '--date', '2026-11-19'], {
      GEO_REPORTING_URL: 'http://127.0.0.1:1',
      GEO_REPORTS_TOKEN: TOKEN,
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

describe('cmdr reports produce', () => {
  it('has geo-reporting make each day of a range, and says which were already there', async () => {
    const first = await cmdr(
      ['--json', 'reports', 'produce', '--chart', 'luminate-us', '--from', '2026-11-20', '--to', '2026-11-21'],
      env,
    );
    expect(first.code).toBe(0);
    expect(first.json<{ date: string; stored: boolean }[]>().map((f) => [f.date, f.stored])).toEqual([
      ['2026-11-20', true],
      ['2026-11-21', true],
    ]);
    expect(requested).toContain('POST /v1/reports/chart-files luminate-us 2026-11-20');
    const again = await cmdr(['reports', 'produce', '--chart', 'luminate-us', '--date', '2026-11-20'], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/luminate-us 2026-11-20 1 line\(s\) sha256 [0-9a-f]{64} unchanged/);
  });

  it.each([
    [['--chart', 'luminate-us', '--date', '2026-11-25'], ExitCode.conflict, /not over/],
    [['--chart', 'luminate-us'], ExitCode.usage, /--date/],
    [['--chart', 'luminate-us', '--date', '2026-02-30'], ExitCode.usage, /not a calendar date/],
  ])('%j exits %i', async (args, code, message) => {
    const run = await cmdr(['reports', 'produce', ...args], env);
    expect(run.code).toBe(code);
    expect(run.stderr).toMatch(message);
  });
});
