import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchAllPages } from '../web/all-pages.ts';

// fetchAllPages against a real HTTP server paging 250 items by `limit` and `cursor` as the artist API does.
let server: Server;
let base: string;
const TOTAL = 250;
const requested: string[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://x');
    requested.push(url.search);
    const limit = Number(url.searchParams.get('limit'));
    const start = Number(url.searchParams.get('cursor') ?? 0);
    const items = Array.from({ length: Math.min(limit, TOTAL - start) }, (_, i) => start + i);
    const nextCursor = start + limit < TOTAL ? String(start + limit) : null;
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ items, nextCursor }));
  }).listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(() => void server?.close());

describe('fetchAllPages', () => {
  it('follows the cursor to the last item, keeping the query', async () => {
    requested.length = 0;
    const all = await fetchAllPages<number>(`${base}/list?releaseId=r1`);
    expect(all.items).toEqual(Array.from({ length: TOTAL }, (_, i) => i));
    expect(all.truncated).toBe(false);
    expect(requested).toEqual([
      '?releaseId=r1&limit=100',
      '?releaseId=r1&limit=100&cursor=100',
      '?releaseId=r1&limit=100&cursor=200',
    ]);
  });

  it('stops at its bound and says more exist', async () => {
    const bounded = await fetchAllPages<number>(`${base}/list`, 150);
    expect(bounded.items).toHaveLength(150);
    expect(bounded.truncated).toBe(true);
    expect((await fetchAllPages<number>(`${base}/list`, TOTAL)).truncated).toBe(false);
  });
});
