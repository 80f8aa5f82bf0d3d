import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { sharedFixture } from '@single/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, linkTokens, type Platform, startPlatform } from '../test-support/platform.ts';
import { seedAccount, seedShop, uniqueUpc, writeArchive } from '../test-support/seed.ts';

// Issue 6's must-show, on the real servers: a signed `orders/paid` webhook through the dispatcher's HTTP
// route -> outbox relay -> RabbitMQ -> fulfillment worker -> grant + email over SMTP -> the fan opens
// the link on the artist API -> the bytes of the stored archive -> `sale.redeemed` through the sales
// outbox relay -> Kafka -> geo-reporting: the unit becomes reportable; the download limit then answers 410.
// The platform is wired by test-support/platform.ts (each app by its own embedded.ts).

const SHOP = 'e2e-harbour-lights.myshopify.com';
const FAN = 'riley.fan@example.com';
const DOWNLOAD_LIMIT = 3;
const order = JSON.parse(readFileSync(sharedFixture('shopify/orders-paid.json'), 'utf8')) as {
  id: number;
  line_items: { id: number; product_id: number; variant_id: number; sku: string }[];
};
const digitalLine = order.line_items[0]!;

const isoDay = (at: Date) => at.toISOString().slice(0, 10);

describe('download flow end to end on the real servers', () => {
  const archive = randomBytes(256 * 1024);
  let platform: Platform;
  let pool: Platform['pool'];
  let api: Platform['api'];
  let apiUrl: string;
  let auth: { authorization: string };
  let releaseId: string;
  let upc: string;

  beforeAll(async () => {
    platform = await startPlatform();
    ({ pool, api, apiUrl } = platform);
    // Onboarding writes the account, its key and the installed shop (cmdr / app install); the label's
    // dashboard then creates the artist, the release and the product mapping through the API.
    const account = await seedAccount(pool, 'Harbour Lights Records');
    auth = account.auth;
    await seedShop(pool, account.accountId, SHOP);
    const artist = await post<{ id: string }>('/v1/artists', { name: 'Neon Harbor' });
    const release = await post<{ id: string; upc: string }>('/v1/releases', {
      artistId: artist.id,
      title: 'Low Tide',
      upc: uniqueUpc(),
      releaseInstant: '2026-01-16T05:00:00Z',
      downloadLimit: DOWNLOAD_LIMIT,
      tracks: [{ position: 1, title: 'Low Tide', isrc: 'USS1Z2600001' }],
    });
    releaseId = release.id;
    upc = release.upc;
    await post('/v1/product-mappings', {
      shopDomain: SHOP,
      productId: String(digitalLine.product_id),
      variantId: String(digitalLine.variant_id),
      sku: digitalLine.sku,
      releaseId,
    });
    await writeArchive(platform.audioDir, releaseId, 'flac', archive);
  });

  afterAll(async () => {
    await platform?.close();
  });

  async function post<T = unknown>(url: string, body: unknown): Promise<T> {
    const res = await api.app.inject({ method: 'POST', url, headers: auth, payload: body as object });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as T;
  }

  /** geo-reporting's Luminate sale line of the order's digital unit. */
  async function saleLine() {
    const { rows } = await pool.query<{
      eligibility: string;
      reason_code: string | null;
      business_date: string | null;
      occurred_at: Date;
    }>(
      `SELECT eligibility, reason_code, to_char(business_date, 'YYYY-MM-DD') AS business_date, occurred_at
       FROM sale_line WHERE chart = 'luminate' AND kind = 'sale' AND order_id = $1 AND order_line_id = $2`,
      [String(order.id), String(digitalLine.id)],
    );
    expect(rows).toHaveLength(1);
    return rows[0]!;
  }

  it('delivers the paid order as a link, counts the first download for the chart, then refuses past the limit', async () => {
    // Shopify -> dispatcher: durable and answered 200.
    const delivered = await platform.deliver('orders/paid', Buffer.from(JSON.stringify(order)), SHOP);
    expect(delivered.statusCode, delivered.body).toBe(200);

    // relay -> RabbitMQ -> worker: one grant for the mapped line, and the fan's email over SMTP.
    const mail = await eventually(async () => {
      const found = platform.smtp.received.find((m) => m.to.includes(FAN));
      if (!found) throw new Error('no email for the fan yet');
      return found;
    });
    const links = linkTokens(mail);
    expect(links.length).toBeGreaterThan(0);
    const { base, token } = links[0]!;
    expect(base).toBe(apiUrl);
    const grants = await pool.query<{ status: string; download_limit: number; release_id: string }>(
      `SELECT g.status, g.download_limit, g.release_id FROM download_grant g
       JOIN order_line ol ON ol.id = g.order_line_id JOIN orders o ON o.id = ol.order_id
       WHERE o.shop_domain = $1 AND o.shopify_order_id = $2`,
      [SHOP, order.id],
    );
    expect(grants.rows).toEqual([{ status: 'active', download_limit: DOWNLOAD_LIMIT, release_id: releaseId }]);

    // sale.recorded reached geo-reporting: sold, but not reportable before the fan downloads.
    const before = await eventually(saleLine);
    expect(before).toMatchObject({ eligibility: 'pending', reason_code: 'not_redeemed', business_date: null });

    // The fan opens the link (the landing page: counts nothing), presses the button: the archive's bytes.
    const landing = await fetch(`${base}/d/${token}`, { method: 'HEAD' });
    expect(landing.status).toBe(200);
    const page = await fetch(`${base}/d/${token}`, { headers: { accept: 'application/json' } });
    expect(await page.json()).toMatchObject({ downloadsLeft: DOWNLOAD_LIMIT, archive: { available: true } });
    const download = () =>
      fetch(`${base}/d/${token}/download`, { method: 'POST', body: new URLSearchParams({ format: 'flac' }) });
    const first = await download();
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('application/zip');
    expect(Buffer.from(await first.arrayBuffer()).equals(archive)).toBe(true);

    // sale.redeemed -> sales outbox relay -> Kafka -> geo-reporting: the unit is now reportable.
    const after = await eventually(async () => {
      const line = await saleLine();
      expect(line.eligibility).toBe('eligible');
      return line;
    });
    expect(after.reason_code).toBeNull();
    expect(after.business_date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const redeemed = await pool.query(
      `SELECT count(*)::int AS n FROM located_sale WHERE type = 'sale.redeemed' AND order_id = $1`,
      [String(order.id)],
    );
    expect(redeemed.rows[0].n).toBe(1);

    // The dashboard's "sold vs reported" and chart file count it (account-wide: not cached).
    const today = new Date();
    const range = `from=${isoDay(new Date(today.getTime() - 364 * 86_400_000))}&to=${isoDay(today)}`;
    const svr = await api.app.inject({ url: `/v1/sales/sold-vs-reported?chart=luminate&${range}`, headers: auth });
    expect(svr.statusCode, svr.body).toBe(200);
    expect(svr.json()).toMatchObject({ sold: 1, reported: 1, pending: 0, excluded: [] });
    const csv = await api.app.inject({ url: `/v1/sales/chart.csv?chart=luminate&${range}`, headers: auth });
    expect(csv.statusCode, csv.body).toBe(200);
    expect(csv.body.trim().split('\n')).toEqual([
      'business_date,kind,upc,isrc,country,zip,currency,net_price,units',
      `${after.business_date},sale,${upc},,US,98354,USD,9.99,1`,
    ]);

    // The rest of the limit is served; the next request is refused, and the sale was redeemed once.
    for (let n = 2; n <= DOWNLOAD_LIMIT; n++) {
      const again = await download();
      expect(again.status).toBe(200);
      expect(Buffer.from(await again.arrayBuffer()).equals(archive)).toBe(true);
    }
    const refused = await download();
    expect(refused.status).toBe(410);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(((await refused.json()) as { code: string }).code).toBe('download_limit_reached');
    const counted = await pool.query(
      `SELECT g.downloads_used, (SELECT count(*)::int FROM download d WHERE d.grant_id = g.id) AS downloads,
              (SELECT count(*)::int FROM located_sale l WHERE l.type = 'sale.redeemed' AND l.order_id = $2) AS redeemed_events
       FROM download_grant g WHERE g.release_id = $1`,
      [releaseId, String(order.id)],
    );
    expect(counted.rows).toEqual([{ downloads_used: DOWNLOAD_LIMIT, downloads: DOWNLOAD_LIMIT, redeemed_events: 1 }]);
  }, 90_000);
});
