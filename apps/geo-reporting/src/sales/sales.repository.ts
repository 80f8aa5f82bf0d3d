import { bigintIdOrNull } from '@single/contracts';
import type { SaleLine } from '@single/db';
import type { LineEvent, SaleLineRow } from '../charts/eligibility.ts';
import { type ChartRuleSet, chartRulesSchema } from '../charts/rules.ts';
import type { Place } from '../geoip/record.ts';
import type { Located } from '../locating/locate.ts';
import { amountText, calendarDay, type DbClient, dateColumn, optionalAmountText } from '../support/db.ts';

/** Takes the transaction-scoped advisory lock of `key` (waits for it; released at COMMIT or ROLLBACK). */
export async function lockForTransaction(tx: DbClient, key: string): Promise<void> {
  // Typed SQL: the client has no advisory locks.
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${key}))`;
}

export interface StoredCapture {
  place: Place;
  flags: string[];
  clientIp: string | null;
}

/** The checkout's best capture: a located one first, then the newest. */
export async function latestCapture(
  db: DbClient,
  shopDomain: string,
  checkoutToken: string,
): Promise<StoredCapture | null> {
  const select = {
    clientIp: true,
    flags: true,
    precision: true,
    country: true,
    region: true,
    city: true,
    postal: true,
    latitude: true,
    longitude: true,
    accuracyRadiusKm: true,
  } as const;
  const where = { shopDomain, checkoutToken };
  // ORDER BY (precision <> 'none') DESC, captured_at DESC LIMIT 1, as two reads: the client orders by columns only.
  const r =
    (await db.geoCapture.findFirst({
      where: { ...where, precision: { not: 'none' } },
      orderBy: { capturedAt: 'desc' },
      select,
    })) ?? (await db.geoCapture.findFirst({ where, orderBy: { capturedAt: 'desc' }, select }));
  if (!r) return null;
  return {
    clientIp: r.clientIp,
    flags: r.flags,
    place: {
      precision: r.precision,
      country: r.country,
      region: r.region,
      city: r.city,
      postal: r.postal,
      latitude: r.latitude,
      longitude: r.longitude,
      accuracyRadiusKm: r.accuracyRadiusKm,
    },
  };
}

/** Where the line's sale was located: a reversal is taken off the same place, whatever its own fan data says. */
export async function recordedLocation(db: DbClient, shopDomain: string, orderLineId: string): Promise<Located | null> {
  const r = await db.locatedSale.findFirst({
    where: { shopDomain, orderLineId, type: 'sale.recorded' },
    orderBy: [{ occurredAt: 'asc' }, { eventId: 'asc' }],
    select: { source: true, precision: true, country: true, region: true, city: true, postal: true, flags: true },
  });
  if (!r) return null;
  return {
    source: r.source,
    flags: r.flags,
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
export async function insertLocatedSale(db: DbClient, sale: LocatedSaleInput): Promise<boolean> {
  const { place } = sale.located;
  // skipDuplicates is ON CONFLICT DO NOTHING (event_id is the table's one unique key besides its generated id).
  const { count } = await db.locatedSale.createMany({
    data: [
      {
        eventId: sale.eventId,
        type: sale.type,
        shopDomain: sale.shopDomain,
        orderId: sale.orderId,
        orderLineId: sale.orderLineId,
        releaseId: sale.releaseId,
        quantity: sale.quantity,
        netPrice: sale.netPrice,
        currency: sale.currency,
        source: sale.located.source,
        precision: place.precision,
        country: place.country,
        region: place.region,
        city: place.city,
        postal: place.postal,
        flags: sale.located.flags,
        fanKeys: sale.fanKeys,
        upc: sale.upc,
        isrc: sale.isrc,
        occurredAt: sale.occurredAt,
        unitIndex: sale.unitIndex ?? null,
        grossPrice: sale.grossPrice ?? null,
        discountAmount: sale.discountAmount ?? null,
        taxAmount: sale.taxAmount ?? null,
        merchBundle: sale.merchBundle ?? false,
        fanPack: sale.fanPack ?? false,
      },
    ],
    skipDuplicates: true,
  });
  return count === 1;
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
  db: DbClient,
  event: {
    eventId: string;
    type: string;
    shopDomain: string;
    orderLineId: string;
    unitIndex: number;
    releaseId: string;
  },
): Promise<boolean> {
  const seen = await db.locatedSale.findFirst({
    where: {
      shopDomain: event.shopDomain,
      orderLineId: event.orderLineId,
      unitIndex: event.unitIndex,
      type: event.type,
      ...(event.type === 'sale.redeemed' ? { releaseId: event.releaseId } : {}),
      eventId: { not: event.eventId },
    },
    select: { id: true },
  });
  return seen !== null;
}

export async function lineEvents(db: DbClient, shopDomain: string, orderLineId: string): Promise<LineEvent[]> {
  const rows = await db.locatedSale.findMany({
    where: { shopDomain, orderLineId },
    select: {
      eventId: true,
      type: true,
      occurredAt: true,
      shopDomain: true,
      orderId: true,
      orderLineId: true,
      releaseId: true,
      upc: true,
      isrc: true,
      quantity: true,
      netPrice: true,
      currency: true,
      country: true,
      postal: true,
      fanKeys: true,
      unitIndex: true,
      grossPrice: true,
      discountAmount: true,
      taxAmount: true,
      merchBundle: true,
      fanPack: true,
    },
  });
  return rows.map((r) => ({
    eventId: r.eventId,
    type: r.type as LineEvent['type'],
    occurredAt: r.occurredAt,
    shopDomain: r.shopDomain,
    orderId: r.orderId,
    orderLineId: r.orderLineId,
    releaseId: r.releaseId,
    upc: r.upc,
    isrc: r.isrc,
    quantity: r.quantity,
    unitPriceNet: amountText(r.netPrice, r.currency),
    unitIndex: r.unitIndex,
    grossPrice: optionalAmountText(r.grossPrice, r.currency),
    discountAmount: optionalAmountText(r.discountAmount, r.currency),
    taxAmount: optionalAmountText(r.taxAmount, r.currency),
    merchBundle: r.merchBundle,
    fanPack: r.fanPack,
    currency: r.currency,
    country: r.country,
    postal: r.postal,
    fanKeys: r.fanKeys,
  }));
}

/** The model's row with the fields SaleLineRow types differently converted; the timestamps are dropped. */
function toSaleLine(r: SaleLine): SaleLineRow {
  const { createdAt, updatedAt, reasonCode, netPrice, grossPrice, discountAmount, taxAmount, businessDate, ...same } =
    r;
  return {
    ...same,
    reasonCode: reasonCode as SaleLineRow['reasonCode'],
    netPrice: amountText(netPrice, r.currency),
    grossPrice: optionalAmountText(grossPrice, r.currency),
    discountAmount: optionalAmountText(discountAmount, r.currency),
    taxAmount: optionalAmountText(taxAmount, r.currency),
    businessDate: businessDate && calendarDay(businessDate),
  };
}

export async function saleLinesOfLine(db: DbClient, chart: string, orderLineId: string): Promise<SaleLineRow[]> {
  return (await db.saleLine.findMany({ where: { chart, orderLineId } })).map(toSaleLine);
}

export async function saleLinesOfDay(db: DbClient, chart: string, date: string): Promise<SaleLineRow[]> {
  const rows = await db.saleLine.findMany({
    where: { chart, businessDate: dateColumn(date), eligibility: 'eligible' },
  });
  return rows.map(toSaleLine);
}

/**
 * Inserts new units; updates a unit only while it is still pending (eligible and excluded are final).
 * Typed SQL: `ON CONFLICT ... DO UPDATE ... WHERE sale_line.eligibility = 'pending'` is one statement that neither
 * reads first nor races, and the client's upsert has no condition on its update.
 */
export async function upsertSaleLines(db: DbClient, rows: readonly SaleLineRow[]): Promise<void> {
  for (const r of rows) {
    await db.$executeRaw`
      INSERT INTO sale_line (id, chart, kind, eligibility, reason_code, shop_domain, order_id, order_line_id, unit_index,
          release_id, upc, isrc, zip, country, quantity, net_price, currency, occurred_at, counted_at, rules_version,
          business_date, updated_at, gross_price, discount_amount, tax_amount)
       VALUES (${r.id}::uuid, ${r.chart}, ${r.kind}::sale_kind, ${r.eligibility}::sale_eligibility, ${r.reasonCode},
          ${r.shopDomain}, ${r.orderId}, ${r.orderLineId}, ${r.unitIndex}::int, ${r.releaseId}::uuid, ${r.upc}, ${r.isrc},
          ${r.zip}, ${r.country}, ${r.quantity}::int, ${r.netPrice}::numeric, ${r.currency}, ${r.occurredAt}::timestamptz,
          ${r.countedAt}::timestamptz, ${r.rulesVersion}::int, ${r.businessDate}::date, now(),
          ${r.grossPrice ?? null}::numeric, ${r.discountAmount ?? null}::numeric, ${r.taxAmount ?? null}::numeric)
       ON CONFLICT (chart, order_line_id, unit_index, kind) DO UPDATE SET
          eligibility = EXCLUDED.eligibility, reason_code = EXCLUDED.reason_code, counted_at = EXCLUDED.counted_at,
          rules_version = EXCLUDED.rules_version, business_date = EXCLUDED.business_date, updated_at = now()
       WHERE sale_line.eligibility = 'pending'`;
  }
}

/** Release facts owned by artist-api and fulfillment-worker, read only. */
export async function releaseFacts(
  db: DbClient,
  releaseId: string,
  isrc: string | null,
): Promise<{
  releaseInstant: Date | null;
  territories: string[];
  upcReview: 'under_review' | 'confirmed' | 'rejected' | null;
}> {
  const release = await db.release.findUnique({
    where: { id: releaseId },
    select: {
      releaseInstant: true,
      territories: true,
      upcReview: true,
      // A track's own instant (instant grat) before the release's.
      tracks: { where: { isrc: isrc ?? '' }, select: { releaseInstant: true }, take: isrc === null ? 0 : 1 },
    },
  });
  const track = isrc === null ? undefined : release?.tracks[0];
  return {
    releaseInstant: track?.releaseInstant ?? release?.releaseInstant ?? null,
    territories: release?.territories ?? [],
    upcReview: release?.upcReview ?? null,
  };
}

/** Whether the order is a Shopify test order (by our order id or Shopify's). Unknown orders are not. */
export async function isTestOrder(db: DbClient, shopDomain: string, orderId: string): Promise<boolean> {
  // `shopify_order_id::text = $2 OR id::text = $2`: only an id written as the column prints it can match.
  const byId = [
    ...(bigintIdOrNull(orderId) !== null ? [{ shopifyOrderId: BigInt(orderId) }] : []),
    ...(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(orderId) ? [{ id: orderId }] : []),
  ];
  if (byId.length === 0) return false;
  const order = await db.order.findFirst({ where: { shopDomain, OR: byId }, select: { test: true } });
  return order?.test === true;
}

export async function chartRuleSets(db: DbClient, chart: string): Promise<ChartRuleSet[]> {
  const rows = await db.chartRuleSet.findMany({
    where: { chart },
    select: { chart: true, version: true, effectiveFrom: true, rules: true },
  });
  return rows.flatMap((r) => {
    const rules = chartRulesSchema.safeParse(r.rules);
    return rules.success
      ? [{ chart: r.chart, version: r.version, effectiveFrom: r.effectiveFrom, rules: rules.data }]
      : [];
  });
}

/**
 * Adds each version this code ships that the chart lacks, in order; never one behind a version already there (an
 * operator's own version of that number or date, or a later one, wins: rules are data).
 */
export async function seedChartRules(db: DbClient, sets: readonly ChartRuleSet[]): Promise<void> {
  for (const set of sets) {
    // Typed SQL: the guard and the insert are one statement (INSERT ... WHERE NOT EXISTS ... ON CONFLICT DO
    // NOTHING), so two replicas starting at once cannot both pass the guard and seed behind each other.
    await db.$executeRaw`
      INSERT INTO chart_rule_set (chart, version, effective_from, rules)
      SELECT ${set.chart}, ${set.version}::int, ${set.effectiveFrom}::timestamptz, ${JSON.stringify(set.rules)}::jsonb
       WHERE NOT EXISTS (SELECT 1 FROM chart_rule_set WHERE chart = ${set.chart}
                          AND (version >= ${set.version}::int OR effective_from >= ${set.effectiveFrom}::timestamptz))
      ON CONFLICT DO NOTHING`;
  }
}

/**
 * Adds a sale's units and net amount to its release x day x country / region / postal rows.
 * Typed SQL: `ON CONFLICT DO UPDATE SET units = regional_rollup.units + EXCLUDED.units` adds in one statement;
 * the client's upsert only becomes that statement under conditions it checks itself, and otherwise reads first,
 * which two sales of one release and day handled at once would race on.
 */
export async function addToRollups(
  db: DbClient,
  input: { releaseId: string; day: string; currency: string; units: number; unitPrice: string; place: Place },
): Promise<void> {
  const { country, region, postal } = input.place;
  const codes: [string, string][] = [
    ['country', country ?? ''],
    ['region', country && region ? `${country}-${region}` : ''],
    ['postal', country && postal ? `${country}-${postal}` : ''],
  ];
  for (const [level, code] of codes) {
    await db.$executeRaw`
      INSERT INTO regional_rollup (release_id, day, level, code, currency, units, net_amount, updated_at)
      VALUES (${input.releaseId}::uuid, ${input.day}::date, ${level}::geo_precision, ${code}, ${input.currency},
        ${input.units}::int, ${input.units}::int * ${input.unitPrice}::numeric, now())
      ON CONFLICT (release_id, day, level, code, currency) DO UPDATE SET
        units = regional_rollup.units + EXCLUDED.units,
        net_amount = regional_rollup.net_amount + EXCLUDED.net_amount, updated_at = now()`;
  }
}
