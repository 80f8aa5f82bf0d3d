import type { Pool, PoolClient } from 'pg';
import type { LineEvent, SaleLineRow } from '../charts/eligibility.ts';
import { type FanClaim, type FanRegistry, splitFanKeys } from '../charts/fan-identity.ts';
import { type ChartRuleSet, chartRulesSchema } from '../charts/rules.ts';
import type { Place } from '../geoip/record.ts';
import type { Located } from '../locating/locate.ts';

export type Queryable = Pool | PoolClient;

export interface StoredCapture {
  place: Place;
  flags: string[];
  clientIp: string | null;
}

/** The checkout's best capture: a located one first, then the newest. */
export async function latestCapture(
  db: Queryable,
  shopDomain: string,
  checkoutToken: string,
): Promise<StoredCapture | null> {
  const { rows } = await db.query(
    `SELECT client_ip, flags, precision, country, region, city, postal, latitude, longitude, accuracy_radius_km
       FROM geo_capture WHERE shop_domain = $1 AND checkout_token = $2
      ORDER BY (precision <> 'none') DESC, captured_at DESC LIMIT 1`,
    [shopDomain, checkoutToken],
  );
  const r = rows[0];
  if (!r) return null;
  return {
    clientIp: r.client_ip,
    flags: r.flags,
    place: {
      precision: r.precision,
      country: r.country,
      region: r.region,
      city: r.city,
      postal: r.postal,
      latitude: r.latitude,
      longitude: r.longitude,
      accuracyRadiusKm: r.accuracy_radius_km,
    },
  };
}

/** Where the line's sale was located: a reversal is taken off the same place, whatever its own fan data says. */
export async function recordedLocation(
  db: Queryable,
  shopDomain: string,
  orderLineId: string,
): Promise<Located | null> {
  const { rows } = await db.query(
    `SELECT source, precision, country, region, city, postal, flags FROM located_sale
      WHERE shop_domain = $1 AND order_line_id = $2 AND type = 'sale.recorded' ORDER BY occurred_at, event_id LIMIT 1`,
    [shopDomain, orderLineId],
  );
  const r = rows[0];
  if (!r) return null;
  return {
    source: r.source,
    flags: r.flags ?? [],
    place: {
      precision: r.precision,
      country: r.country,
      region: r.region,
      city: r.city,
      postal: r.postal,
      latitude: null,
      longitude: null,
      accuracyRadiusKm: null,
    },
  };
}

/** The unit facts beside the net (list price, discount, tax, merch bundle), as LineEvent reads them back. */
type UnitFacts = Pick<
  LineEvent,
  'unitIndex' | 'grossPrice' | 'discountAmount' | 'taxAmount' | 'merchBundle' | 'fanPack'
>;

export interface LocatedSaleInput extends UnitFacts {
  eventId: string;
  type: LineEvent['type'];
  shopDomain: string;
  orderId: string;
  orderLineId: string;
  releaseId: string;
  quantity: number;
  netPrice: string;
  currency: string;
  upc: string | null;
  isrc: string | null;
  occurredAt: Date;
  located: Located;
  fanKeys: string[];
}

/** Inserts the event once (its eventId is the consumer-side dedupe); false when it was already there. */
export async function insertLocatedSale(db: Queryable, sale: LocatedSaleInput): Promise<boolean> {
  const { place } = sale.located;
  const { rowCount } = await db.query(
    `INSERT INTO located_sale (event_id, type, shop_domain, order_id, order_line_id, release_id, quantity, net_price,
        currency, source, precision, country, region, city, postal, flags, fan_keys, upc, isrc, occurred_at,
        unit_index, gross_price, discount_amount, tax_amount, merch_bundle, fan_pack)
     VALUES ($1, $2, $3, $4, $5, $6::uuid, $7, $8::numeric, $9, $10::location_source, $11::geo_precision, $12, $13,
        $14, $15, $16::text[], $17::text[], $18, $19, $20, $21, $22::numeric, $23::numeric, $24::numeric, $25, $26)
     ON CONFLICT (event_id) DO NOTHING`,
    [
      sale.eventId,
      sale.type,
      sale.shopDomain,
      sale.orderId,
      sale.orderLineId,
      sale.releaseId,
      sale.quantity,
      sale.netPrice,
      sale.currency,
      sale.located.source,
      place.precision,
      place.country,
      place.region,
      place.city,
      place.postal,
      sale.located.flags,
      sale.fanKeys,
      sale.upc,
      sale.isrc,
      sale.occurredAt,
      sale.unitIndex ?? null,
      sale.grossPrice ?? null,
      sale.discountAmount ?? null,
      sale.taxAmount ?? null,
      sale.merchBundle ?? false,
      sale.fanPack ?? false,
    ],
  );
  return rowCount === 1;
}

/**
 * Whether another event of the same unit and type is already stored: producers send one event per unit and type,
 * so a second one under a new eventId (a replay, a re-run outbox) is a duplicate, not another unit. A unit has one
 * release: a second sale.recorded or sale.reversed of the same (line, unitIndex) under any release is a duplicate
 * too (the old worker recorded a unit again under another release when its mapping was re-pointed; the first one
 * stands). A redemption is keyed with its release: a download of another release of a bundle is not the unit's and
 * must not shadow the unit's own (planLine pairs redemptions by release).
 */
export async function unitEventSeen(
  db: Queryable,
  event: {
    eventId: string;
    type: string;
    shopDomain: string;
    orderLineId: string;
    unitIndex: number;
    releaseId: string;
  },
): Promise<boolean> {
  const { rowCount } = await db.query(
    `SELECT 1 FROM located_sale WHERE shop_domain = $1 AND order_line_id = $2 AND unit_index = $3 AND type = $4
        AND ($4 <> 'sale.redeemed' OR release_id = $5::uuid) AND event_id <> $6::uuid LIMIT 1`,
    [event.shopDomain, event.orderLineId, event.unitIndex, event.type, event.releaseId, event.eventId],
  );
  return (rowCount ?? 0) > 0;
}

export async function lineEvents(db: Queryable, shopDomain: string, orderLineId: string): Promise<LineEvent[]> {
  const { rows } = await db.query(
    `SELECT event_id, type, occurred_at, shop_domain, order_id, order_line_id, release_id, upc, isrc, quantity,
            net_price::text AS net_price, currency, country, postal, fan_keys, unit_index,
            gross_price::text AS gross_price, discount_amount::text AS discount_amount,
            tax_amount::text AS tax_amount, merch_bundle, fan_pack
       FROM located_sale WHERE shop_domain = $1 AND order_line_id = $2`,
    [shopDomain, orderLineId],
  );
  return rows.map((r) => ({
    eventId: r.event_id,
    type: r.type,
    occurredAt: r.occurred_at,
    shopDomain: r.shop_domain,
    orderId: r.order_id,
    orderLineId: r.order_line_id,
    releaseId: r.release_id,
    upc: r.upc,
    isrc: r.isrc,
    quantity: r.quantity,
    unitPriceNet: r.net_price,
    unitIndex: r.unit_index,
    grossPrice: r.gross_price,
    discountAmount: r.discount_amount,
    taxAmount: r.tax_amount,
    merchBundle: r.merch_bundle,
    fanPack: r.fan_pack,
    currency: r.currency,
    country: r.country,
    postal: r.postal,
    fanKeys: r.fan_keys ?? [],
  }));
}

const SALE_LINE_COLUMNS = `id, chart, kind, eligibility, reason_code, shop_domain, order_id, order_line_id, unit_index,
  release_id, upc, isrc, zip, country, quantity, net_price::text AS net_price, gross_price::text AS gross_price,
  discount_amount::text AS discount_amount, tax_amount::text AS tax_amount, currency, occurred_at, counted_at,
  rules_version, to_char(business_date, 'YYYY-MM-DD') AS business_date`;

function toSaleLine(r: Record<string, unknown>): SaleLineRow {
  return {
    id: r.id as string,
    chart: r.chart as string,
    kind: r.kind as SaleLineRow['kind'],
    eligibility: r.eligibility as SaleLineRow['eligibility'],
    reasonCode: r.reason_code as SaleLineRow['reasonCode'],
    shopDomain: r.shop_domain as string,
    orderId: r.order_id as string,
    orderLineId: r.order_line_id as string,
    unitIndex: r.unit_index as number,
    releaseId: r.release_id as string,
    upc: r.upc as string | null,
    isrc: r.isrc as string | null,
    zip: r.zip as string | null,
    country: r.country as string | null,
    quantity: r.quantity as number,
    netPrice: r.net_price as string,
    grossPrice: r.gross_price as string | null,
    discountAmount: r.discount_amount as string | null,
    taxAmount: r.tax_amount as string | null,
    currency: r.currency as string,
    occurredAt: r.occurred_at as Date,
    countedAt: r.counted_at as Date | null,
    rulesVersion: r.rules_version as number | null,
    businessDate: r.business_date as string | null,
  };
}

export async function saleLinesOfLine(db: Queryable, chart: string, orderLineId: string): Promise<SaleLineRow[]> {
  const { rows } = await db.query(
    `SELECT ${SALE_LINE_COLUMNS} FROM sale_line WHERE chart = $1 AND order_line_id = $2`,
    [chart, orderLineId],
  );
  return rows.map(toSaleLine);
}

export async function saleLinesOfDay(db: Queryable, chart: string, date: string): Promise<SaleLineRow[]> {
  const { rows } = await db.query(
    `SELECT ${SALE_LINE_COLUMNS} FROM sale_line WHERE chart = $1 AND business_date = $2::date AND eligibility = 'eligible'`,
    [chart, date],
  );
  return rows.map(toSaleLine);
}

/** Inserts new units; updates a unit only while it is still pending (eligible and excluded are final). */
export async function upsertSaleLines(db: Queryable, rows: readonly SaleLineRow[]): Promise<void> {
  for (const r of rows) {
    await db.query(
      `INSERT INTO sale_line (id, chart, kind, eligibility, reason_code, shop_domain, order_id, order_line_id, unit_index,
          release_id, upc, isrc, zip, country, quantity, net_price, currency, occurred_at, counted_at, rules_version,
          business_date, updated_at, gross_price, discount_amount, tax_amount)
       VALUES ($1::uuid, $2, $3::sale_kind, $4::sale_eligibility, $5, $6, $7, $8, $9, $10::uuid, $11, $12, $13, $14, $15,
          $16::numeric, $17, $18, $19, $20, $21::date, now(), $22::numeric, $23::numeric, $24::numeric)
       ON CONFLICT (chart, order_line_id, unit_index, kind) DO UPDATE SET
          eligibility = EXCLUDED.eligibility, reason_code = EXCLUDED.reason_code, counted_at = EXCLUDED.counted_at,
          rules_version = EXCLUDED.rules_version, business_date = EXCLUDED.business_date, updated_at = now()
       WHERE sale_line.eligibility = 'pending'`,
      [
        r.id,
        r.chart,
        r.kind,
        r.eligibility,
        r.reasonCode,
        r.shopDomain,
        r.orderId,
        r.orderLineId,
        r.unitIndex,
        r.releaseId,
        r.upc,
        r.isrc,
        r.zip,
        r.country,
        r.quantity,
        r.netPrice,
        r.currency,
        r.occurredAt,
        r.countedAt,
        r.rulesVersion,
        r.businessDate,
        r.grossPrice ?? null,
        r.discountAmount ?? null,
        r.taxAmount ?? null,
      ],
    );
  }
}

/**
 * chart_fan_key (rules in src/charts/fan-identity.ts): one row per key per unit. Claims of one (chart, product) are
 * serialised by a transaction-scoped advisory lock, so two units of one fan handled at once cannot both count.
 */
export class PgFanRegistry implements FanRegistry {
  private readonly db: Queryable;
  constructor(db: Queryable) {
    this.db = db;
  }
  async claim(claim: FanClaim): Promise<boolean> {
    const { strong, weak, identified } = splitFanKeys(claim.fanKeys);
    if (strong.length === 0 && weak.length === 0) return true;
    const { chart, product } = claim;
    await this.db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`chart-fan:${chart}:${product}`]);
    const { rowCount } = await this.db.query(
      `SELECT 1 FROM chart_fan_key WHERE chart = $1 AND product = $2 AND (
          (kind = 'strong' AND fan_key = ANY($3::text[]))
          OR (kind = 'weak' AND $5::int > 0 AND fan_key = ANY($4::text[]) AND NOT identified AND NOT $7::boolean
              AND seen_at BETWEEN $6::timestamptz - make_interval(hours => $5::int)
                              AND $6::timestamptz + make_interval(hours => $5::int)))
        LIMIT 1`,
      [chart, product, strong, weak, claim.ipMatchWindowHours, claim.seenAt, identified],
    );
    await this.db.query(
      `INSERT INTO chart_fan_key (chart, product, fan_key, sale_line_id, kind, seen_at, identified)
       SELECT $1, $2, k.key, $5::uuid, k.kind::fan_key_kind, $6, $7
         FROM (SELECT key, 'strong' AS kind FROM unnest($3::text[]) AS key
               UNION ALL SELECT key, 'weak' FROM unnest($4::text[]) AS key) AS k
       ON CONFLICT DO NOTHING`,
      [chart, product, strong, weak, claim.saleLineId, claim.seenAt, identified],
    );
    return rowCount === 0;
  }
}

/** Release facts owned by artist-api and fulfillment-worker, read only. */
export async function releaseFacts(
  db: Queryable,
  releaseId: string,
  isrc: string | null,
): Promise<{
  releaseInstant: Date | null;
  territories: string[];
  upcReview: 'under_review' | 'confirmed' | 'rejected' | null;
}> {
  const { rows } = await db.query(
    `SELECT coalesce(t.release_instant, r.release_instant) AS instant, r.territories, r.upc_review::text AS upc_review
       FROM release r LEFT JOIN track t ON t.release_id = r.id AND t.isrc = $2
      WHERE r.id = $1::uuid LIMIT 1`,
    [releaseId, isrc],
  );
  return {
    releaseInstant: rows[0]?.instant ?? null,
    territories: rows[0]?.territories ?? [],
    upcReview: rows[0]?.upc_review ?? null,
  };
}

/** Whether the order is a Shopify test order (by our order id or Shopify's). Unknown orders are not. */
export async function isTestOrder(db: Queryable, shopDomain: string, orderId: string): Promise<boolean> {
  const { rows } = await db.query(
    `SELECT test FROM orders WHERE shop_domain = $1 AND (shopify_order_id::text = $2 OR id::text = $2) LIMIT 1`,
    [shopDomain, orderId],
  );
  return rows[0]?.test === true;
}

export async function chartRuleSets(db: Queryable, chart: string): Promise<ChartRuleSet[]> {
  const { rows } = await db.query('SELECT chart, version, effective_from, rules FROM chart_rule_set WHERE chart = $1', [
    chart,
  ]);
  return rows.flatMap((r) => {
    const rules = chartRulesSchema.safeParse(r.rules);
    return rules.success
      ? [{ chart: r.chart, version: r.version, effectiveFrom: r.effective_from, rules: rules.data }]
      : [];
  });
}

/**
 * Adds each version this code ships that the chart lacks, in order; never one behind a version already there (an
 * operator's own version of that number or date, or a later one, wins: rules are data).
 */
export async function seedChartRules(db: Queryable, sets: readonly ChartRuleSet[]): Promise<void> {
  for (const set of sets) {
    await db.query(
      `INSERT INTO chart_rule_set (chart, version, effective_from, rules) SELECT $1, $2, $3, $4::jsonb
        WHERE NOT EXISTS (SELECT 1 FROM chart_rule_set WHERE chart = $1 AND (version >= $2 OR effective_from >= $3))
       ON CONFLICT DO NOTHING`,
      [set.chart, set.version, set.effectiveFrom, JSON.stringify(set.rules)],
    );
  }
}

/** Adds a sale's units and net amount to its release x day x country / region / postal rows. */
export async function addToRollups(
  db: Queryable,
  input: { releaseId: string; day: string; currency: string; units: number; unitPrice: string; place: Place },
): Promise<void> {
  const { country, region, postal } = input.place;
  const codes: [string, string][] = [
    ['country', country ?? ''],
    ['region', country && region ? `${country}-${region}` : ''],
    ['postal', country && postal ? `${country}-${postal}` : ''],
  ];
  for (const [level, code] of codes) {
    await db.query(
      `INSERT INTO regional_rollup (release_id, day, level, code, currency, units, net_amount, updated_at)
       VALUES ($1::uuid, $2::date, $3::geo_precision, $4, $5, $6::int, $6::int * $7::numeric, now())
       ON CONFLICT (release_id, day, level, code, currency) DO UPDATE SET
         units = regional_rollup.units + EXCLUDED.units,
         net_amount = regional_rollup.net_amount + EXCLUDED.net_amount, updated_at = now()`,
      [input.releaseId, input.day, level, code, input.currency, input.units, input.unitPrice],
    );
  }
}
