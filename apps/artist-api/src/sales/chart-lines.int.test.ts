import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../test-support/harness.ts';
import { seedAccount, seedArtist, seedRelease, seedSales } from '../test-support/seed.ts';

let h: Harness;
let auth: { authorization: string };

beforeAll(async () => {
  h = await startHarness();
  const account = await seedAccount(h.pool, 'Chart Label');
  auth = account.auth;
  const { id: releaseId } = await seedRelease(h.pool, await seedArtist(h.pool, account.accountId), {
    title: 'Daybreak',
  });
  // Two counted lines, one below the floor, one waiting, all on 2026-12-01 (15:00 in New York).
  await seedSales(h.pool, releaseId, '2026-12-01');
  // Another account's identical day: never listed.
  const other = await seedAccount(h.pool, 'Other Label');
  const { id: otherRelease } = await seedRelease(h.pool, await seedArtist(h.pool, other.accountId));
  await seedSales(h.pool, otherRelease, '2026-12-01');
});

afterAll(async () => {
  await h?.close();
});

const day = (query: string) => h.api.app.inject({ url: `/v1/sales/chart-lines?${query}`, headers: auth });

describe('GET /v1/sales/chart-lines', () => {
  it("lists the account's lines of a business day, counted or not, each with its reason", async () => {
    const res = await day('chart=luminate&date=2026-12-01');
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.timeZone).toBe('America/New_York');
    expect(body.truncated).toBe(false);
    const summary = body.lines.map((l: { eligibility: string; reasonCode: string | null; releaseTitle: string }) => [
      l.eligibility,
      l.reasonCode,
      l.releaseTitle,
    ]);
    expect(summary.sort()).toEqual(
      [
        ['eligible', null, 'Daybreak'],
        ['eligible', null, 'Daybreak'],
        ['excluded', 'below_floor', 'Daybreak'],
        ['pending', null, 'Daybreak'],
      ].sort(),
    );
  });

  it('has nothing the day before, and 404 unknown_chart for a chart without rules', async () => {
    expect((await day('chart=luminate&date=2026-11-30')).json().lines).toEqual([]);
    const unknown = await day('chart=nowhere&date=2026-12-01');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().code).toBe('unknown_chart');
  });
});
