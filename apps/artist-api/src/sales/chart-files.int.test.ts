import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedChartFile } from '../test-support/chart-file.ts';
import { type Harness, startHarness } from '../test-support/harness.ts';
import { seedAccount, seedArtist, seedRelease, seedSales } from '../test-support/seed.ts';

let h: Harness;
let a: { auth: { authorization: string }; releaseId: string };
let b: { auth: { authorization: string }; releaseId: string };
let shared: Awaited<ReturnType<typeof seedChartFile>>;
let onlyA: Awaited<ReturnType<typeof seedChartFile>>;
const chart = 'luminate';

/** The stored file's header and the records of one release (seedSales names order lines by release), as bytes. */
const linesOf = (content: Buffer, releaseId: string) => {
  const records = content.toString('utf8').split('\r\n').slice(0, -1);
  const kept = [records[0], ...records.slice(1).filter((r) => r.includes(`,${releaseId}-`))];
  return Buffer.from(`${kept.join('\r\n')}\r\n`, 'utf8');
};

async function tenant(name: string) {
  const account = await seedAccount(h.pool, name);
  const release = await seedRelease(h.pool, await seedArtist(h.pool, account.accountId));
  return { auth: account.auth, releaseId: release.id };
}

beforeAll(async () => {
  h = await startHarness();
  a = await tenant('Files A');
  b = await tenant('Files B');
  // 2026-12-01: both accounts sold (two counted lines each); 2026-12-02: only A; 2026-12-03: no file made.
  await seedSales(h.pool, a.releaseId, '2026-12-01');
  await seedSales(h.pool, b.releaseId, '2026-12-01');
  await seedSales(h.pool, a.releaseId, '2026-12-02');
  await seedSales(h.pool, a.releaseId, '2026-12-03');
  shared = await seedChartFile(h.pool, chart, '2026-12-01');
  onlyA = await seedChartFile(h.pool, chart, '2026-12-02');
});

afterAll(async () => {
  await h?.close();
});

const get = (url: string, who = a) => h.api.app.inject({ url, headers: who.auth });

describe('GET /v1/chart-files', () => {
  it("lists the stored files holding the account's lines, newest first, paginated; no file, no entry", async () => {
    const first = await get(`/v1/chart-files?chart=${chart}&limit=1`);
    expect(first.statusCode, first.body).toBe(200);
    const page1 = first.json();
    expect(page1.items.map((f: { businessDate: string }) => f.businessDate)).toEqual(['2026-12-02']);
    expect(page1.items[0]).toMatchObject({ id: onlyA.id, chart, lines: 2 });
    expect(Date.parse(page1.items[0].generatedAt)).not.toBeNaN();
    const second = (await get(`/v1/chart-files?chart=${chart}&limit=1&cursor=${page1.nextCursor}`)).json();
    expect(second.items.map((f: { businessDate: string }) => f.businessDate)).toEqual(['2026-12-01']);
    expect(second.nextCursor).toBeNull();
    // The checksum is the one of what the download serves.
    const download = await get(`/v1/chart-files/${shared.id}`);
    expect(second.items[0]).toMatchObject({ id: shared.id, lines: 2 });
    expect(second.items[0].sha256).toBe(download.headers.etag?.toString().replaceAll('"', ''));
    // 2026-12-03 had sales but no file: not listed (the old page offered a "file" for any of 14 days).
    const all = (await get(`/v1/chart-files?chart=${chart}`)).json();
    expect(all.items.map((f: { businessDate: string }) => f.businessDate)).toEqual(['2026-12-02', '2026-12-01']);
  });

  it('lists to the other account only the files with its lines', async () => {
    const res = (await get(`/v1/chart-files?chart=${chart}`, b)).json();
    expect(res.items.map((f: { id: string; lines: number }) => [f.id, f.lines])).toEqual([[shared.id, 2]]);
  });

  it('refuses a bad cursor, chart or limit with a 400 problem', async () => {
    for (const query of ['cursor=nonsense', 'chart=NO%20SUCH', 'limit=0']) {
      const res = await get(`/v1/chart-files?${query}`);
      expect(res.statusCode, query).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
  });
});

describe('GET /v1/chart-files/:id', () => {
  it("serves the account's lines of the stored file byte for byte, and only them", async () => {
    const res = await get(`/v1/chart-files/${shared.id}`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe(`attachment; filename="${chart}-2026-12-01.csv"`);
    expect(res.rawPayload.equals(linesOf(shared.content, a.releaseId))).toBe(true);
    expect(res.body.split('\r\n')).toHaveLength(4); // header, two lines, the final line end
    expect(res.body).not.toContain(b.releaseId);
    const other = await get(`/v1/chart-files/${shared.id}`, b);
    expect(other.rawPayload.equals(linesOf(shared.content, b.releaseId))).toBe(true);
  });

  it("answers 404 for another account's file exactly as for an unknown one, and 400 for a bad id", async () => {
    const foreign = await get(`/v1/chart-files/${onlyA.id}`, b);
    const unknown = await get('/v1/chart-files/00000000-0000-4000-8000-000000000000', b);
    expect(foreign.statusCode).toBe(404);
    expect(unknown.statusCode).toBe(404);
    const strip = (body: Record<string, unknown>) => ({ ...body, requestId: undefined, instance: undefined });
    expect(strip(foreign.json())).toEqual(strip(unknown.json()));
    expect((await get('/v1/chart-files/not-a-uuid')).statusCode).toBe(400);
  });

  it('keeps serving what was stored after the orders change, while the recomputation moves', async () => {
    const csv = () => get(`/v1/sales/chart.csv?chart=${chart}&from=2026-12-01&to=2026-12-01`);
    const before = await get(`/v1/chart-files/${shared.id}`);
    const recomputedBefore = (await csv()).body;
    // A late unit decided into the day, and a changed price on a line already sent.
    await h.pool.query(
      `INSERT INTO sale_line (chart, kind, eligibility, shop_domain, order_id, order_line_id, unit_index, release_id, upc,
                              zip, country, quantity, net_price, currency, occurred_at, counted_at, business_date, updated_at)
       VALUES ('luminate', 'sale', 'eligible', 's', '2', $1, 0, $2, '0036000291452', '98354', 'US', 1, 12.00, 'USD',
               '2026-12-01T20:00:00Z', '2026-12-01T20:00:00Z', '2026-12-01', now())`,
      [`${a.releaseId}-late`, a.releaseId],
    );
    await h.pool.query(`UPDATE sale_line SET net_price = 1.00 WHERE order_line_id = $1`, [
      `${a.releaseId}-2026-12-01-0`,
    ]);
    expect((await csv()).body).not.toBe(recomputedBefore);
    const after = await get(`/v1/chart-files/${shared.id}`);
    expect(after.rawPayload.equals(before.rawPayload)).toBe(true);
    expect(after.rawPayload.equals(linesOf(shared.content, a.releaseId))).toBe(true);
  });
});

describe('stored files the cut finds hard: corrupt, LF, no final line break', () => {
  let c: Awaited<ReturnType<typeof tenant>>;
  let d: Awaited<ReturnType<typeof tenant>>;
  let corrupt: string;
  let lf: string;
  let lfContent: Buffer;
  let e: Awaited<ReturnType<typeof tenant>>;
  let lastOnly: string;
  const store = async (day: string, content: Buffer) =>
    (
      await h.pool.query<{ id: string }>(
        `INSERT INTO report_file (chart, business_date, sha256, content, created_at)
         VALUES ($1, $2::date, 'x', $3, now() + interval '1 minute') RETURNING id::text`,
        [chart, day, content],
      )
    ).rows[0]!.id;

  beforeAll(async () => {
    c = await tenant('Files C');
    d = await tenant('Files D');
    await seedSales(h.pool, c.releaseId, '2026-11-20');
    await seedSales(h.pool, d.releaseId, '2026-11-20');
    await seedSales(h.pool, c.releaseId, '2026-11-21');
    // 2026-11-20: the day's latest file holds C's and D's lines and one line with an unclosed quote.
    const good = await seedChartFile(h.pool, chart, '2026-11-20');
    corrupt = await store('2026-11-20', Buffer.concat([good.content, Buffer.from('R1,"a,S,0036000291452\r\n')]));
    // 2026-11-21: LF line ends and no final line break (its CRLF twin deleted).
    const crlf = await seedChartFile(h.pool, chart, '2026-11-21');
    await h.pool.query('DELETE FROM report_file WHERE id = $1::uuid', [crlf.id]);
    lfContent = Buffer.from(crlf.content.toString('utf8').replaceAll('\r\n', '\n').replace(/\n$/, ''), 'utf8');
    lf = await store('2026-11-21', lfContent);
    // 2026-11-22: CRLF, but E's one record is the file's last line, without a line end.
    e = await tenant('Files E');
    await seedSales(h.pool, e.releaseId, '2026-11-22');
    const full = await seedChartFile(h.pool, chart, '2026-11-22');
    await h.pool.query('DELETE FROM report_file WHERE id = $1::uuid', [full.id]);
    const [header, , second] = full.content.toString('utf8').split('\r\n');
    lastOnly = await store('2026-11-22', Buffer.from(`${header}\r\n${second}`, 'utf8'));
  });

  it('leaves a corrupt file out of every account’s list (200), and names it at its download', async () => {
    for (const who of [a, b, c, d]) {
      const res = await get(`/v1/chart-files?chart=${chart}`, who);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().items.map((f: { id: string }) => f.id)).not.toContain(corrupt);
    }
    const mine = await get(`/v1/chart-files/${corrupt}`, c);
    expect(mine.statusCode, mine.body).toBe(409);
    expect(mine.headers['content-type']).toContain('application/problem+json');
    expect(mine.json()).toMatchObject({ code: 'chart_file_unreadable' });
    // To an account without lines in it, unknown as any other file.
    expect((await get(`/v1/chart-files/${corrupt}`, a)).statusCode).toBe(404);
  });

  it('lists a file with LF line ends and no final line break, as its download serves it', async () => {
    const list = (await get(`/v1/chart-files?chart=${chart}`, c)).json();
    const item = list.items.find((f: { id: string }) => f.id === lf);
    expect(item, JSON.stringify(list.items)).toMatchObject({ businessDate: '2026-11-21', lines: 2 });
    const download = await get(`/v1/chart-files/${lf}`, c);
    expect(download.statusCode, download.body).toBe(200);
    expect(item.sha256).toBe(download.headers.etag?.toString().replaceAll('"', ''));
    expect(download.body.split('\n')).toHaveLength(3); // header and two lines, as stored (the last without an end)
    expect((await get(`/v1/chart-files/${lf}`, d)).statusCode).toBe(404);
    expect((await get(`/v1/chart-files?chart=${chart}`, d)).json().items).toEqual([]);
  });

  it('lists a file whose only line of the account is its last, without a line end', async () => {
    const list = (await get(`/v1/chart-files?chart=${chart}`, e)).json();
    expect(list.items.map((f: { id: string; lines: number }) => [f.id, f.lines])).toEqual([[lastOnly, 1]]);
    expect((await get(`/v1/chart-files/${lastOnly}`, e)).statusCode).toBe(200);
  });
});
