import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { businessDate } from '@single/contracts';
import { sharedFixture } from '@single/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, linkTokens, type Platform, startPlatform } from '../test-support/platform.ts';
import { seedAccount, seedKey, seedShop, uniqueUpc, writeAudio } from '../test-support/seed.ts';

// Issue 13's must-show, on the real servers: signed webhooks through the dispatcher, RabbitMQ, the
// fulfillment worker (grants, emails over SMTP, sales.v1 through the outbox and Kafka), the fans'
// downloads on the artist API, geo-reporting's eligibility, and the business day's chart file, whose lines
// and the reason codes of every unit left out are asserted exactly:
//   - a discounted order (2 units, 4.99 off the line; a 100 %-off pre-order line), a tax-included UK order
//     (outside the chart) and the same VAT-included prices from a US fan (charted net of tax);
//   - a two-release bundle (one reported release, both delivered) and a merch bundle without fan-pack approval;
//   - a pre-order with one instant-grat track (that track now, the album only at the release instant);
//   - a product mapped by product id only, and a product that is one track (a track sale: its ISRC);
//   - 50 fans behind one public address and one ZIP, each charting once.

const SHOP = 'e2e-chart-rules.myshopify.com';
const FANS = 50;
const NAT_IP = '216.160.83.56';

type Order = Record<string, unknown> & {
  id: number;
  name: string;
  email: string;
  line_items: (Record<string, unknown> & { id: number; variant_id: number; product_id: number; sku: string })[];
};
const fixture = (name: string) => JSON.parse(readFileSync(sharedFixture(`shopify/${name}.json`), 'utf8')) as Order;

/** A fixture order made another order: its own ids, fan and checkout, so that nothing dedupes it away. */
function reorder(base: Order, n: number, email: string, changes: Partial<Order> = {}): Order {
  const order = structuredClone({ ...base, ...changes });
  order.id = 7_700_000_000 + n;
  order.name = `#E2E${n}`;
  order.admin_graphql_api_id = `gid://shopify/Order/${order.id}`;
  order.email = email;
  order.contact_email = email;
  if (order.customer) order.customer = { ...(order.customer as object), id: 8_800_000_000 + n, email };
  order.checkout_token = randomBytes(16).toString('hex');
  // Shopify's line ids are global: geo-reporting keys a unit on its line.
  order.line_items = order.line_items.map((line, i) => ({ ...line, id: 9_900_000_000 + n * 10 + i }));
  return order;
}

interface SaleLine {
  order_id: string;
  order_line_id: string;
  unit_index: number;
  upc: string | null;
  isrc: string | null;
  eligibility: string;
  reason_code: string | null;
  net_price: string;
  /** What the fan paid broken down: the list price, the unit's share of discounts and of tax. */
  gross_price: string;
  discount_amount: string;
  tax_amount: string;
  currency: string;
  business_date: string | null;
}

describe('what the charts count, end to end on the real servers', () => {
  const now = new Date();
  const today = businessDate(now);
  // geo-reporting's clock a day on: today's business day is then closed and its file can be made.
  let platform: Platform;
  let auth: { authorization: string };
  let ops: { authorization: string }; // an ops-scoped key (cmdr issues them): geo-reporting's reports need it
  const upc: Record<'album' | 'preorder' | 'second' | 'bundleOnly', string> = {
    album: uniqueUpc(),
    preorder: uniqueUpc(),
    second: uniqueUpc(),
    bundleOnly: uniqueUpc(),
  };
  const releaseId: Record<keyof typeof upc, string> = { album: '', preorder: '', second: '', bundleOnly: '' };
  const preorderInstant = new Date(now.getTime() + 3 * 86_400_000);
  const orders: Order[] = [];

  beforeAll(async () => {
    platform = await startPlatform({ geoNow: () => new Date(Date.now() + 86_400_000) });
    const account = await seedAccount(platform.pool, 'Chart Rules Records');
    auth = account.auth;
    ops = (await seedKey(platform.pool, account.accountId, ['ops'])).auth;
    await seedShop(platform.pool, account.accountId, SHOP);
    const artist = await post<{ id: string }>('/v1/artists', { name: 'Neon Harbor' });
    const release = async (key: keyof typeof upc, title: string, extra: Record<string, unknown>) => {
      const created = await post<{ id: string }>('/v1/releases', {
        artistId: artist.id,
        title,
        upc: upc[key],
        downloadLimit: 5,
        ...extra,
      });
      releaseId[key] = created.id;
    };
    await release('album', 'Low Tide', {
      releaseInstant: '2026-01-16T05:00:00Z',
      tracks: [{ position: 1, title: 'Low Tide', isrc: 'USS1Z2600001' }],
    });
    // The pre-order: track 1 is out now ("instant grat"), track 2 and the album at the release instant.
    await release('preorder', 'High Water', {
      releaseInstant: preorderInstant.toISOString(),
      tracks: [
        { position: 1, title: 'First Light', isrc: 'USS1Z2600011', releaseInstant: '2026-11-01T05:00:00Z' },
        { position: 2, title: 'High Water', isrc: 'USS1Z2600012' },
      ],
    });
    await release('second', 'Breakwater', {
      releaseInstant: '2026-02-20T05:00:00Z',
      tracks: [{ position: 1, title: 'Breakwater', isrc: 'USS1Z2600021' }],
    });
    await release('bundleOnly', 'Tee Sessions', {
      releaseInstant: '2026-03-20T04:00:00Z',
      tracks: [{ position: 1, title: 'Tee Sessions', isrc: 'USS1Z2600031' }],
    });
    for (const key of Object.keys(releaseId) as (keyof typeof upc)[]) {
      await writeAudio(platform.audioDir, { releaseId: releaseId[key], format: 'mp3', track: null }, Buffer.from(key));
      const tracks = await platform.pool.query('SELECT position FROM track WHERE release_id = $1', [releaseId[key]]);
      for (const { position: track } of tracks.rows)
        await writeAudio(
          platform.audioDir,
          { releaseId: releaseId[key], format: 'mp3', track },
          Buffer.from(`${key}-${track}`),
          platform.pool,
        );
    }
    const map = (variantId: number, key: keyof typeof upc, extra: Record<string, unknown> = {}) =>
      post('/v1/product-mappings', {
        shopDomain: SHOP,
        variantId: String(variantId),
        releaseId: releaseId[key],
        ...extra,
      });
    await map(45000001, 'album'); // NH-LP1-DIG
    await map(45000002, 'preorder'); // NH-LP2-PRE
    await map(45000003, 'bundleOnly'); // NH-TEE-M-BUNDLE: a tee with the album, not approved as a fan pack
    // A two-album bundle: Breakwater reported, Low Tide delivered with it.
    await map(45000004, 'second', { reportedRelease: true });
    await map(45000004, 'album', { reportedRelease: false });
    // Mapped by product only (no variant, no SKU): any variant of product 8100005 is Tee Sessions.
    await post('/v1/product-mappings', { shopDomain: SHOP, productId: '8100005', releaseId: releaseId.bundleOnly });
    // A track sale: Breakwater's title track on its own.
    const second = await platform.api.app.inject({ url: `/v1/releases/${releaseId.second}`, headers: auth });
    const trackId = (second.json() as { tracks: { id: string }[] }).tracks[0]!.id;
    await map(45000006, 'second', { trackId });

    const paid = fixture('orders-paid');
    const discounted = fixture('orders-paid-discounted');
    const taxIncluded = fixture('orders-paid-tax-included');
    const bundleLine = { ...paid.line_items[0]!, product_id: 8100004, variant_id: 45000004, sku: 'NH-2LP-BUNDLE' };
    orders.push(
      reorder(discounted, 1, 'riley.fan@example.com'),
      reorder(taxIncluded, 2, 'uk.fan@example.co.uk'),
      reorder(paid, 3, 'sam.fan@example.com'),
      reorder(paid, 4, 'alex.fan@example.com', { line_items: [{ ...bundleLine, price: '19.99' }] }),
      // The UK shop's VAT-included prices, bought by a fan in Milton, WA: the chart sees 5.82, not 7.99.
      reorder(taxIncluded, 5, 'taylor.fan@example.com', {
        currency: 'USD',
        billing_address: { ...(paid.billing_address as object) },
      }),
      reorder(paid, 6, 'dana.fan@example.com', {
        line_items: [{ ...paid.line_items[0]!, product_id: 8100005, variant_id: 45000005, sku: 'TEE-SESS-DIG' }],
      }),
      reorder(paid, 7, 'jo.fan@example.com', {
        line_items: [
          { ...paid.line_items[0]!, product_id: 8100006, variant_id: 45000006, sku: 'BW-T1', price: '1.29' },
        ],
      }),
    );
    for (let n = 0; n < FANS; n++) {
      // Same public address and ZIP (one campus behind one NAT), each fan with an email of their own.
      orders.push(
        reorder(paid, 100 + n, `campus.fan${n}@example.edu`, {
          browser_ip: NAT_IP,
          client_details: { browser_ip: NAT_IP },
          line_items: [paid.line_items[0]!],
        }),
      );
    }
    for (const order of orders) {
      const answer = await platform.deliver('orders/paid', Buffer.from(JSON.stringify(order)), SHOP);
      expect(answer.statusCode, answer.body).toBe(200);
    }
  }, 180_000);

  afterAll(async () => {
    await platform?.close();
  });

  async function post<T = unknown>(url: string, body: unknown): Promise<T> {
    const res = await platform.api.app.inject({ method: 'POST', url, headers: auth, payload: body as object });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as T;
  }

  const mailTo = (email: string) =>
    eventually(async () => {
      const mail = platform.smtp.received.find((m) => m.to.includes(email));
      if (!mail) throw new Error(`no email for ${email} yet`);
      return mail;
    }, 60_000);

  /** The fan presses the landing page's button: one counted download, then the file's bytes. */
  async function download(base: string, token: string, track?: number) {
    const res = await fetch(`${base}/d/${token}/download`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ format: 'mp3', ...(track === undefined ? {} : { track }) }),
    });
    if (res.status !== 200) return { status: res.status, body: await res.text() };
    const { url } = (await res.json()) as { url: string };
    const file = await fetch(`${base}${url}`);
    return { status: file.status, body: await file.text() };
  }

  const saleLines = async () =>
    (
      await platform.pool.query<SaleLine>(
        `SELECT order_id, order_line_id, unit_index, upc, isrc, eligibility::text, reason_code, net_price::text,
                gross_price::text, discount_amount::text, tax_amount::text, currency,
                to_char(business_date, 'YYYY-MM-DD') AS business_date
           FROM sale_line WHERE chart = 'luminate' AND kind = 'sale' ORDER BY order_id, order_line_id, unit_index`,
      )
    ).rows;

  it('delivers every order, and the fans download what is out', async () => {
    // The pre-order buyer (order 3) gets the instant-grat track now; the album is refused until its instant.
    const sam = linkTokens(await mailTo('sam.fan@example.com'));
    const grants = await platform.pool.query<{ token_hash: string; release_id: string }>(
      `SELECT g.token_hash, g.release_id FROM download_grant g JOIN order_line ol ON ol.id = g.order_line_id
         JOIN orders o ON o.id = ol.order_id WHERE o.shopify_order_id = $1`,
      [orders[2]!.id],
    );
    expect(grants.rows.map((g) => g.release_id).sort()).toEqual(
      [releaseId.album, releaseId.preorder, releaseId.bundleOnly].sort(),
    );
    expect(sam).toHaveLength(3);
    let preorderLink: { base: string; token: string } | undefined;
    for (const link of sam) {
      const view = (await (
        await fetch(`${link.base}/d/${link.token}`, { headers: { accept: 'application/json' } })
      ).json()) as { release: { id: string }; archive: { available: boolean; availableAt: string } };
      if (view.release.id !== releaseId.preorder) {
        expect(await download(link.base, link.token)).toEqual({ status: 200, body: expect.any(String) });
        continue;
      }
      preorderLink = link;
      expect(view.archive).toMatchObject({ available: false, availableAt: preorderInstant.toISOString() });
      const early = await download(link.base, link.token);
      expect(early.status).toBe(409);
      expect(JSON.parse(early.body)).toMatchObject({ code: 'not_available_yet' });
      expect(await download(link.base, link.token, 2)).toMatchObject({ status: 409 });
      expect(await download(link.base, link.token, 1)).toEqual({ status: 200, body: 'preorder-1' });
    }
    expect(preorderLink).toBeDefined();

    // Everyone else downloads every link of their email (the two-release bundle: both albums).
    for (const order of orders.filter((o) => o !== orders[2])) {
      for (const link of linkTokens(await mailTo(order.email))) {
        const view = (await (
          await fetch(`${link.base}/d/${link.token}`, { headers: { accept: 'application/json' } })
        ).json()) as { release: { id: string }; scope: 'release' | 'track'; tracks: { position: number }[] };
        // What is out now: a pre-order's instant-grat track, a track sale's one track, else the whole release.
        const track =
          view.release.id === releaseId.preorder ? 1 : view.scope === 'track' ? view.tracks[0]!.position : undefined;
        const got = await download(link.base, link.token, track);
        expect(got.status, `${order.name} ${view.release.id}`).toBe(200);
      }
    }
    const alexGrants = await platform.pool.query<{ release_id: string }>(
      `SELECT g.release_id FROM download_grant g JOIN order_line ol ON ol.id = g.order_line_id
         JOIN orders o ON o.id = ol.order_id WHERE o.shopify_order_id = $1 AND g.downloads_used = 1`,
      [orders[3]!.id],
    );
    expect(alexGrants.rows.map((g) => g.release_id).sort()).toEqual([releaseId.album, releaseId.second].sort());
  }, 180_000);

  it('reports exactly the units that count, and says why each other unit does not', async () => {
    const [riley, uk, sam, alex, taylor, dana, jo] = orders.map((o) => ({
      id: String(o.id),
      lines: o.line_items.map((l) => String(l.id)),
    }));
    const campus = orders.slice(7).map((o) => ({ id: String(o.id), line: String(o.line_items[0]!.id) }));
    type Decided = Pick<SaleLine, 'eligibility' | 'reason_code' | 'currency' | 'business_date'>;
    /** One unit: what it was sold as (UPC, or a track's ISRC) and its price as list, discount, tax and net. */
    const row = (
      order: { id: string },
      line: string,
      unit: number,
      product: { upc: string } | { isrc: string },
      [gross, discount, tax, net]: [string, string, string, string],
      decided: Decided,
    ): SaleLine => ({
      order_id: order.id,
      order_line_id: line,
      unit_index: unit,
      upc: 'upc' in product ? product.upc : null,
      isrc: 'isrc' in product ? product.isrc : null,
      gross_price: gross,
      discount_amount: discount,
      tax_amount: tax,
      net_price: net,
      ...decided,
    });
    const album = (key: keyof typeof upc) => ({ upc: upc[key] });
    const counted: Decided = { eligibility: 'eligible', reason_code: null, currency: 'USD', business_date: today };
    const left = (reason: string, currency = 'USD'): Decided => ({
      eligibility: 'excluded',
      reason_code: reason,
      currency,
      business_date: null,
    });
    // Tax on top in the US fixtures (0.65 a line): kept beside the net, never taken off it.
    const expected = [
      // 2 × 9.99 with 4.99 off the line: 2.50 off the first unit, 2.49 off the second (Shopify's spread), the
      // line's 0.97 tax likewise; the same fan's second copy of the album never charts.
      row(riley!, riley!.lines[0]!, 0, album('album'), ['9.99', '2.50', '0.49', '7.49'], counted),
      row(riley!, riley!.lines[0]!, 1, album('album'), ['9.99', '2.49', '0.48', '7.50'], left('bulk_capped')),
      // The pre-order line at 100 % off (a staff copy): delivered, never charted.
      row(riley!, riley!.lines[1]!, 0, album('preorder'), ['10.99', '10.99', '0.00', '0.00'], left('free_unit')),
      // GBP, VAT included: 7.99 − 1.00 off − 1.17 VAT = 5.82; bought in Bristol, outside Luminate's territory.
      row(uk!, uk!.lines[0]!, 0, album('album'), ['7.99', '1.00', '1.17', '5.82'], left('out_of_territory', 'GBP')),
      // The same VAT-included prices from a US fan: charted at 5.82.
      row(taylor!, taylor!.lines[0]!, 0, album('album'), ['7.99', '1.00', '1.17', '5.82'], counted),
      row(sam!, sam!.lines[0]!, 0, album('album'), ['9.99', '0.00', '0.65', '9.99'], counted),
      // The pre-order counts at its release instant (the instant-grat track was downloaded today).
      row(sam!, sam!.lines[1]!, 0, album('preorder'), ['10.99', '0.00', '0.65', '10.99'], {
        ...counted,
        business_date: businessDate(preorderInstant),
      }),
      // A tee with the album: a merch bundle without fan-pack approval.
      row(sam!, sam!.lines[2]!, 0, album('bundleOnly'), ['34.00', '0.00', '0.65', '34.00'], left('not_fan_pack')),
      // The two-album bundle reports one release, Breakwater, once.
      row(alex!, alex!.lines[0]!, 0, album('second'), ['19.99', '0.00', '0.65', '19.99'], counted),
      // Matched by the product-only mapping.
      row(dana!, dana!.lines[0]!, 0, album('bundleOnly'), ['9.99', '0.00', '0.65', '9.99'], counted),
      // A track sale reports the track's ISRC, not the album's UPC.
      row(jo!, jo!.lines[0]!, 0, { isrc: 'USS1Z2600021' }, ['1.29', '0.00', '0.65', '1.29'], counted),
      ...campus.map((fan) => row(fan, fan.line, 0, album('album'), ['9.99', '0.00', '0.65', '9.99'], counted)),
    ].sort(
      (a, b) =>
        a.order_id.localeCompare(b.order_id) ||
        a.order_line_id.localeCompare(b.order_line_id) ||
        a.unit_index - b.unit_index,
    );
    const decided = await eventually(async () => {
      const rows = await saleLines();
      expect(rows).toEqual(expected);
      return rows;
    }, 60_000);
    expect(decided).toHaveLength(11 + FANS);

    // The day's chart file: exactly the counted units of today, with the fan's ZIP, the net price and the
    // order, line and unit they came from.
    // The file is made by the scheduled job (here on demand, as `cmdr reports produce` does), then read, both
    // with an ops-scoped key: geo-reporting's reports answer no one else.
    const produced = await platform.geo.app.app.inject({
      method: 'POST',
      url: '/v1/reports/chart-files',
      headers: ops,
      payload: { chart: 'luminate', date: today },
    });
    expect(produced.statusCode, produced.body).toBe(200);
    const file = await platform.geo.app.app.inject({
      url: `/v1/reports/chart?chart=luminate&date=${today}`,
      headers: ops,
    });
    expect(file.statusCode, file.body).toBe(200);
    const [header, ...lines] = file.body.trimEnd().split('\r\n');
    expect(header).toBe(
      'retailer_account,business_date,record_type,upc,isrc,zip,country,quantity,net_price,currency,sold_at,counted_at,order_id,order_line_id,unit_index',
    );
    const stamp = String.raw`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z`;
    const withoutStamps = lines.map((line) => {
      const fields = line.split(',');
      expect(fields[10]).toMatch(new RegExp(`^${stamp}$`));
      expect(fields[11]).toMatch(new RegExp(`^${stamp}$`));
      return [...fields.slice(1, 10), ...fields.slice(12)].join(',');
    });
    const csvLine = (r: SaleLine) =>
      [
        today,
        'S',
        r.upc ?? '',
        r.isrc ?? '',
        '98354',
        'US',
        '1',
        r.net_price,
        'USD',
        r.order_id,
        r.order_line_id,
        r.unit_index,
      ].join(',');
    expect(withoutStamps.sort()).toEqual(
      expected
        .filter((r) => r.business_date === today)
        .map(csvLine)
        .sort(),
    );
    expect(lines).toHaveLength(6 + FANS);
  }, 120_000);
});
