import { createLogger } from '@single/logger';
import { createMemoryMessaging, type Messaging } from '@single/messaging';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../test-support/harness.ts';
import {
  seedAccount,
  seedArtist,
  seedDelivery,
  seedKey,
  seedMapping,
  seedPaidOrder,
  seedRelease,
  seedSales,
  seedShop,
  writeArchive,
  writeAudio,
} from '../test-support/seed.ts';
import { arbitraryFor, type JsonSchema } from './schema-arbitrary.ts';

interface Operation {
  method: string;
  path: string;
  parameters?: { in: 'path' | 'query'; name: string; schema: JsonSchema }[];
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
}

const RUNS_PER_OPERATION = 100;

// Every operation of the OpenAPI document, with parameters and bodies drawn from its own schemas (plus
// off-schema and hostile values): the answer is always 2xx/3xx, or 4xx problem+json; never 5xx.
describe('fuzzing every endpoint', () => {
  let h: Harness;
  let messaging: Messaging;
  let operations: Operation[];
  let known: string[];
  let auth: Record<string, string>;
  let otherAuth: Record<string, string>;
  const loggedErrors: string[] = [];

  beforeAll(async () => {
    messaging = createMemoryMessaging({ topology: { exchanges: [], queues: [{ name: 'fuzz.dlq' }] } });
    // Every line the app logs at error level is kept: an error it caught and answered anyway still fails.
    const logger = createLogger({
      level: 'error',
      destination: { write: (line: string) => void loggedErrors.push(line) },
    });
    h = await startHarness({ messaging, deadLetterQueues: ['fuzz.dlq'], logger });
    const mine = await seedAccount(h.pool, 'Fuzz');
    const other = await seedAccount(h.pool, 'Other');
    auth = mine.auth;
    otherAuth = other.auth;
    const shopId = await seedShop(h.pool, mine.accountId, 'fuzz.myshopify.com');
    const artistId = await seedArtist(h.pool, mine.accountId);
    const release = await seedRelease(h.pool, artistId);
    const mappingId = await seedMapping(h.pool, 'fuzz.myshopify.com', release.id, 77);
    const order = await seedPaidOrder(h.pool, {
      shopDomain: 'fuzz.myshopify.com',
      releaseId: release.id,
      downloadLimit: 1_000,
    });
    const deliveryId = await seedDelivery(h.pool, 'fuzz.myshopify.com');
    await seedSales(h.pool, release.id, '2026-11-27');
    for (const format of ['mp3', 'wav', 'flac', 'alac'] as const) {
      await writeArchive(h.storageDir, release.id, format, Buffer.from('zip'));
      await writeAudio(h.storageDir, { releaseId: release.id, format, track: 1 }, Buffer.from('track'), h.pool);
    }
    const spare = await seedKey(h.pool, mine.accountId, ['read']);
    known = [
      spare.keyId,
      shopId,
      artistId,
      release.id,
      mappingId,
      order.orderId,
      order.token,
      deliveryId,
      'fuzz.myshopify.com',
      release.upc,
    ];

    const doc = h.api.app.swagger() as { paths: Record<string, Record<string, Omit<Operation, 'method' | 'path'>>> };
    operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({ method: method.toUpperCase(), path, ...op })),
    );
  });
  afterAll(async () => {
    await h?.close();
    await messaging?.close();
  });

  it('finds every operation', () => {
    expect(operations.length).toBeGreaterThanOrEqual(25);
  });

  it('never answers 5xx, and every 4xx is problem+json', async () => {
    const failures: string[] = [];
    for (const op of operations) {
      const listedBefore = failures.length;
      const pathParams = (op.parameters ?? []).filter((p) => p.in === 'path');
      const queryParams = (op.parameters ?? []).filter((p) => p.in === 'query');
      const bodySchema = op.requestBody?.content['application/json']?.schema;
      const request = fc.record({
        path: fc.record(
          Object.fromEntries(
            pathParams.map((p) => [p.name, fc.oneof(arbitraryFor(p.schema, known), fc.constantFrom(...known))]),
          ),
        ),
        query: fc.record(Object.fromEntries(queryParams.map((p) => [p.name, arbitraryFor(p.schema, known)])), {
          requiredKeys: [],
        }),
        body: bodySchema ? arbitraryFor(bodySchema, known) : fc.constant(undefined),
        who: fc.constantFrom('me', 'me', 'me', 'other', 'nobody'),
      });
      await fc
        .assert(
          fc.asyncProperty(request, async ({ path, query, body, who }) => {
            const url =
              // A lone surrogate cannot be sent in a URL: replaced by U+FFFD, as any client (and URLSearchParams) does.
              // Any JSON value may be drawn for an untyped parameter (null-prototype objects too, which String()
              // cannot convert): sent as its JSON text.
              op.path.replace(/\{(\w+)\}/g, (_, name: string) => {
                const value = path[name] ?? '';
                return encodeURIComponent((typeof value === 'string' ? value : JSON.stringify(value)).toWellFormed());
              }) +
              (Object.keys(query).length > 0
                ? `?${new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, typeof v === 'string' ? v : JSON.stringify(v)]))}`
                : '');
            const headers = who === 'me' ? auth : who === 'other' ? otherAuth : {};
            const request = `${op.method} ${url.slice(0, 200)} ${JSON.stringify(body)?.slice(0, 300)}`;
            let res: Awaited<ReturnType<typeof h.api.app.inject>>;
            try {
              res = await h.api.app.inject({
                method: op.method as 'GET',
                url,
                headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
                ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
              });
            } catch (error) {
              failures.push(`${request} -> threw ${(error as Error).stack?.slice(0, 500)}`);
              return false;
            }
            const ok =
              res.statusCode < 400
                ? true
                : res.statusCode < 500 && String(res.headers['content-type']).startsWith('application/problem+json');
            if (!ok) failures.push(`${request} -> ${res.statusCode} ${res.body.slice(0, 300)}`);
            return ok;
          }),
          { numRuns: RUNS_PER_OPERATION, endOnFailure: true },
        )
        // A failed property is already listed; anything else fast-check throws (an error inside the
        // generator or the property) is a failure too, never dropped.
        .catch((error: Error) => {
          if (failures.length === listedBefore)
            failures.push(`${op.method} ${op.path}: ${error.message.slice(0, 800)}`);
        });
    }
    // Errors the app logged while answering (a 5xx, or an error swallowed behind a 2xx/4xx) fail the run.
    failures.push(...loggedErrors.map((line) => `logged: ${line.slice(0, 500)}`));
    expect(failures).toEqual([]);
    // the process is still up and healthy
    expect((await h.api.app.inject({ url: '/health/ready' })).statusCode).toBe(200);
    expect((await h.api.app.inject({ url: '/v1/me', headers: auth })).statusCode).toBe(200);
  });

  /** A 4xx must be problem+json; a 5xx, a throw or a logged error is a failure. */
  const judge = (
    failures: string[],
    request: string,
    res: { statusCode: number; headers: Record<string, unknown>; body: string },
    accept = 'application/json',
  ) => {
    // A client that takes HTML (a browser's form post: text/html or */*) may be refused with a page to read,
    // by design; a client asking for JSON only ever gets problem+json.
    const type = String(res.headers['content-type']);
    const typed =
      type.startsWith('application/problem+json') || (accept !== 'application/json' && type.startsWith('text/html'));
    const ok = res.statusCode < 400 || (res.statusCode < 500 && typed);
    if (!ok) failures.push(`${request} -> ${res.statusCode} ${res.body.slice(0, 300)}`);
    return ok;
  };
  const hostile = fc.oneof(
    fc.string(),
    fc.constantFrom('', '0', '1', '01', '2', '99999', '100000', '0x1', '1e0', ' 1', '+1', '1.0', '-1', 'NaN', '\u0000'),
    fc.integer().map(String),
  );

  // The landing page's button is an HTML form (urlencoded), not only the JSON the OpenAPI describes.
  it("the download button's form body: never 5xx", async () => {
    const failures: string[] = [];
    const body = fc.oneof(
      fc
        .record(
          { format: fc.oneof(fc.constantFrom('mp3', 'wav', 'flac', 'alac'), hostile), track: hostile, extra: hostile },
          { requiredKeys: [] },
        )
        .map((fields) => new URLSearchParams(fields as Record<string, string>).toString()),
      fc.string({ maxLength: 2_000 }),
    );
    await fc
      .assert(
        fc.asyncProperty(body, fc.constantFrom('text/html', 'application/json', '*/*'), async (payload, accept) => {
          const request = `POST /d/<token>/download ${JSON.stringify(payload).slice(0, 300)}`;
          try {
            const res = await h.api.app.inject({
              method: 'POST',
              url: `/d/${known[6]}/download`,
              headers: { 'content-type': 'application/x-www-form-urlencoded', accept },
              payload,
            });
            return judge(failures, `${request} (Accept: ${accept})`, res, accept);
          } catch (error) {
            failures.push(`${request} -> threw ${(error as Error).stack?.slice(0, 500)}`);
            return false;
          }
        }),
        { numRuns: 200, endOnFailure: true },
      )
      .catch((error: Error) => {
        if (failures.length === 0) failures.push(error.message.slice(0, 800));
      });
    failures.push(...loggedErrors.map((line) => `logged: ${line.slice(0, 500)}`));
    expect(failures).toEqual([]);
  });

  // The file link is sent by @fastify/send: every Range and conditional header it reads, well-formed or not.
  it('the file link under Range and If-* headers: never 5xx, every refusal problem+json', async () => {
    const failures: string[] = [];
    const links: string[] = [];
    for (const payload of [{ format: 'flac' }, { format: 'mp3', track: 1 }]) {
      const res = await h.api.app.inject({
        method: 'POST',
        url: `/d/${known[6]}/download`,
        headers: { accept: 'application/json' },
        payload,
      });
      expect(res.statusCode, res.body).toBe(200);
      links.push(res.json().url);
    }
    const date = fc.oneof(
      fc
        .date({ min: new Date(0), max: new Date('2100-01-01') })
        .map((d) => (Number.isNaN(d.getTime()) ? 'x' : d.toUTCString())),
      hostile,
    );
    const range = fc.oneof(
      hostile,
      fc
        .array(fc.tuple(fc.option(fc.nat(10)), fc.option(fc.nat(10))), { minLength: 1, maxLength: 3 })
        .map((parts) => `bytes=${parts.map(([a, b]) => `${a ?? ''}-${b ?? ''}`).join(',')}`),
    );
    const etag = fc.oneof(hostile, fc.constantFrom('*', '"x"', 'W/"x"'));
    const headers = fc.record(
      {
        range,
        'if-range': fc.oneof(date, etag),
        'if-match': etag,
        'if-none-match': etag,
        'if-modified-since': date,
        'if-unmodified-since': date,
      },
      { requiredKeys: [] },
    );
    await fc
      .assert(
        fc.asyncProperty(
          fc.constantFrom(...links),
          fc.constantFrom('GET', 'HEAD'),
          headers,
          async (url, method, sent) => {
            const request = `${method} <file link> ${JSON.stringify(sent).slice(0, 300)}`;
            try {
              const res = await h.api.app.inject({
                method: method as 'GET',
                url,
                headers: sent as Record<string, string>,
              });
              if (![200, 206, 304, 412, 416].includes(res.statusCode)) failures.push(`${request} -> ${res.statusCode}`);
              if (res.statusCode === 416 && !String(res.headers['content-range']).startsWith('bytes */'))
                failures.push(`${request} -> 416 without Content-Range`);
              return judge(failures, request, res);
            } catch (error) {
              failures.push(`${request} -> threw ${(error as Error).stack?.slice(0, 500)}`);
              return false;
            }
          },
        ),
        { numRuns: 300, endOnFailure: true },
      )
      .catch((error: Error) => {
        if (failures.length === 0) failures.push(error.message.slice(0, 800));
      });
    failures.push(...loggedErrors.map((line) => `logged: ${line.slice(0, 500)}`));
    expect(failures).toEqual([]);
  });
});
