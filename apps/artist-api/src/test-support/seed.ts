import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';
import { issueApiKey } from '../auth/api-key.repository.ts';
import type { Scope } from '../auth/api-keys.ts';
import { gtinCheckDigit } from '../catalogue/identifiers.ts';
import { hashToken } from '../downloads/redemption.service.ts';
import { type AudioFile, type DownloadFormat, objectKey } from '../downloads/storage.ts';

let counter = 0;
const next = () => ++counter + Math.floor(Math.random() * 1_000_000) * 1000;

/** A valid EAN-13 no other seeded release uses. */
export function uniqueUpc(): string {
  const body = `2${String(next()).padStart(11, '0')}`.slice(0, 12);
  return `${body}${gtinCheckDigit(body)}`;
}

export async function seedAccount(pool: pg.Pool, name: string, scopes: Scope[] = ['read', 'write']) {
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO account (kind, name, updated_at) VALUES ('label', $1, now()) RETURNING id`,
    [name],
  );
  const accountId = rows[0]!.id;
  const { key, secret } = await issueApiKey(pool, { accountId, name: `${name} key`, scopes });
  return { accountId, keyId: key.id, secret, auth: { authorization: `Bearer ${secret}` } };
}

export async function seedKey(pool: pg.Pool, accountId: string, scopes: Scope[]) {
  const { key, secret } = await issueApiKey(pool, { accountId, name: 'extra', scopes });
  return { keyId: key.id, secret, auth: { authorization: `Bearer ${secret}` } };
}

export async function seedShop(pool: pg.Pool, accountId: string, domain: string) {
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO shop (domain, account_id, access_token, updated_at) VALUES ($1, $2, 'shpat_secret', now()) RETURNING id`,
    [domain, accountId],
  );
  return rows[0]!.id;
}

export async function seedArtist(pool: pg.Pool, accountId: string, name = 'Artist') {
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO artist (account_id, name, updated_at) VALUES ($1, $2, now()) RETURNING id`,
    [accountId, name],
  );
  return rows[0]!.id;
}

export async function seedRelease(
  pool: pg.Pool,
  artistId: string,
  options: {
    title?: string;
    downloadLimit?: number;
    releaseInstant?: Date;
    /** Default: one track, 'Track one', at the release's instant. */
    tracks?: { title: string; releaseInstant?: Date | null }[];
  } = {},
) {
  const { rows } = await pool.query<{ id: string; upc: string }>(
    `INSERT INTO release (artist_id, title, upc, release_instant, download_limit, territories, updated_at)
     VALUES ($1, $2, $3, $4, $5, '{}', now()) RETURNING id, upc`,
    [
      artistId,
      options.title ?? 'Release',
      uniqueUpc(),
      options.releaseInstant ?? new Date('2026-01-16T05:00:00Z'),
      options.downloadLimit ?? 3,
    ],
  );
  const tracks = options.tracks ?? [{ title: 'Track one' }];
  const ids = await pool.query<{ id: string }>(
    `INSERT INTO track (release_id, position, title, isrc, release_instant)
     SELECT $1, p, title, 'USS1Z26' || lpad(p::text, 5, '0'), instant
     FROM unnest($2::text[], $3::timestamptz[]) WITH ORDINALITY AS t(title, instant, p) ORDER BY p RETURNING id`,
    [rows[0]!.id, tracks.map((t) => t.title), tracks.map((t) => t.releaseInstant ?? null)],
  );
  return { ...rows[0]!, trackIds: ids.rows.map((r) => r.id) };
}

export async function seedMapping(pool: pg.Pool, shopDomain: string, releaseId: string, variantId: number) {
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO product_mapping (shop_domain, product_id, variant_id, release_id, updated_at) VALUES ($1, $2, $3, $4, now()) RETURNING id`,
    [shopDomain, variantId + 1, variantId, releaseId],
  );
  return rows[0]!.id;
}

export interface SeededOrder {
  orderId: string;
  shopifyOrderId: string;
  lineId: string;
  grantId: string;
  token: string;
}

/** A paid order with one digital line, an active grant (token returned), a sent email and a fulfilment. */
export async function seedPaidOrder(
  pool: pg.Pool,
  input: {
    shopDomain: string;
    releaseId: string;
    downloadLimit?: number;
    expiresAt?: Date | null;
    status?: string;
    shopifyOrderId?: number;
    /** A track sale's grant: serves only this track. */
    trackId?: string;
  },
): Promise<SeededOrder> {
  const shopifyOrderId = input.shopifyOrderId ?? 5_000_000_000 + next();
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO orders (shop_domain, shopify_order_id, name, financial_status, currency, email, billing_zip, billing_country,
                         browser_ip, shopify_created_at, shopify_updated_at, updated_at)
     VALUES ($1, $2, '#1001', 'paid', 'USD', 'fan@example.com', '98354', 'US', '203.0.113.9', now(), now(), now()) RETURNING id`,
    [input.shopDomain, shopifyOrderId],
  );
  const orderId = rows[0]!.id;
  const shopifyLineId = 7_000_000_000 + next();
  const line = await pool.query<{ id: string }>(
    `INSERT INTO order_line (order_id, shopify_line_id, variant_id, quantity, price, requires_shipping, release_id)
     VALUES ($1, $2, 42, 1, '9.99', false, $3) RETURNING id`,
    [orderId, shopifyLineId, input.releaseId],
  );
  const lineId = line.rows[0]!.id;
  const token = randomBytes(32).toString('base64url');
  const grant = await pool.query<{ id: string }>(
    `INSERT INTO download_grant (token_hash, order_line_id, release_id, unit_index, status, activate_at, expires_at, download_limit, activated_at, track_id, reported)
     VALUES ($1, $2, $3, 0, $4::grant_status, now() - interval '1 minute', $5, $6, now(), $7, true) RETURNING id`,
    [
      hashToken(token),
      lineId,
      input.releaseId,
      input.status ?? 'active',
      input.expiresAt === undefined ? new Date(Date.now() + 30 * 86_400_000) : input.expiresAt,
      input.downloadLimit ?? 3,
      input.trackId ?? null,
    ],
  );
  await pool.query(
    `INSERT INTO email_message (idempotency_key, order_id, "to", kind, payload, status, sent_at) VALUES ($1, $2, 'fan@example.com', 'download_links', '{}', 'sent', now())`,
    [randomUUID(), orderId],
  );
  await pool.query(
    `INSERT INTO fulfillment (order_id, shopify_fulfillment_id, status, idempotency_key, line_item_ids, updated_at) VALUES ($1, 99, 'created', $2, $3, now())`,
    [orderId, randomUUID(), [shopifyLineId]],
  );
  return { orderId, shopifyOrderId: String(shopifyOrderId), lineId, grantId: grant.rows[0]!.id, token };
}

export async function seedDelivery(pool: pg.Pool, shopDomain: string, options: { payload?: boolean } = {}) {
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO webhook_delivery (shop_domain, topic, webhook_id, body_sha256, dedupe_family, lane, status, payload, payload_expires_at, published_at)
     VALUES ($1, 'orders/paid', $2, $3, 'order', 'orders', 'published', $4, now() + interval '7 days', now()) RETURNING id::text`,
    [
      shopDomain,
      randomUUID(),
      randomBytes(32).toString('hex'),
      options.payload === false ? null : { id: 1, name: '#1001' },
    ],
  );
  return rows[0]!.id;
}

/**
 * A chart's rules, as geo-reporting seeds them at start-up (the artist API answers 404 unknown_chart for a
 * chart without rules in force). Idempotent.
 */
export async function seedChartRules(
  pool: pg.Pool,
  chart = 'luminate',
  options: { effectiveFrom?: Date; timeZone?: string } = {},
) {
  await pool.query(
    `INSERT INTO chart_rule_set (chart, version, effective_from, rules) VALUES ($1, 1, $2, $3)
     ON CONFLICT DO NOTHING`,
    [
      chart,
      options.effectiveFrom ?? new Date('2020-01-01T05:00:00Z'),
      { timeZone: options.timeZone ?? 'America/New_York' },
    ],
  );
}

/** Roll-up and sale-line rows for a release, as geo-reporting writes them (and the Luminate rules). */
export async function seedSales(pool: pg.Pool, releaseId: string, day: string) {
  await seedChartRules(pool);
  for (const [level, code] of [
    ['country', 'US'],
    ['region', 'US-WA'],
    ['postal', 'US-98354'],
  ] as const) {
    await pool.query(
      `INSERT INTO regional_rollup (release_id, day, level, code, currency, units, net_amount, updated_at)
       VALUES ($1, $2, $3::geo_precision, $4, 'USD', 3, 29.97, now())`,
      [releaseId, day, level, code],
    );
  }
  await pool.query(
    `INSERT INTO regional_rollup (release_id, day, level, code, currency, units, net_amount, updated_at) VALUES ($1, $2, 'country', '', 'USD', 1, 9.99, now())`,
    [releaseId, day],
  );
  const lines: [string, string | null][] = [
    ['eligible', null],
    ['eligible', null],
    ['excluded', 'below_floor'],
    ['pending', null],
  ];
  for (const [i, [eligibility, reason]] of lines.entries()) {
    await pool.query(
      `INSERT INTO sale_line (chart, kind, eligibility, reason_code, shop_domain, order_id, order_line_id, unit_index, release_id, upc, zip, country,
                              quantity, net_price, currency, occurred_at, business_date, updated_at)
       VALUES ('luminate', 'sale', $1::sale_eligibility, $2, 's', '1', $3, 0, $4, '0036000291452', '98354', 'US', 1, 9.99, 'USD',
               ($5::date + time '15:00') AT TIME ZONE 'America/New_York', CASE WHEN $1 = 'eligible' THEN $5::date END, now())`,
      [eligibility, reason, `${releaseId}-${day}-${i}`, releaseId, day],
    );
  }
}

export async function writeArchive(storageDir: string, releaseId: string, format: string, content: Buffer) {
  await writeAudio(storageDir, { releaseId, format: format as DownloadFormat, track: null }, content);
}

/**
 * A release archive (`track: null`) or one track's file, where the storage layout puts it: by the track's
 * ISRC, given as such or as the track's position in the release (looked up in `db`, which is then needed).
 */
export async function writeAudio(
  storageDir: string,
  file: { releaseId: string; format: DownloadFormat; track: number | { isrc: string } | null },
  content: Buffer,
  db?: pg.Pool,
) {
  let track: AudioFile['track'] = null;
  if (typeof file.track === 'number') {
    if (!db) throw new Error('writeAudio: a track position needs the database to find its ISRC');
    const { rows } = await db.query<{ isrc: string }>(
      'SELECT isrc FROM track WHERE release_id = $1 AND position = $2',
      [file.releaseId, file.track],
    );
    if (!rows[0]) throw new Error(`writeAudio: release ${file.releaseId} has no track ${file.track}`);
    track = { isrc: rows[0].isrc, position: file.track };
  } else if (file.track !== null) {
    track = { isrc: file.track.isrc, position: 0 };
  }
  const full = path.join(storageDir, objectKey({ releaseId: file.releaseId, format: file.format, track }));
  await mkdir(path.dirname(full), { recursive: true });
  await writeFile(full, content);
}
