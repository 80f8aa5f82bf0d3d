import { randomUUID } from 'node:crypto';
import type { SaleEligibility, SaleLine, SaleKind as SaleLineKind } from '@single/db';
import { businessDate } from './business-day.ts';
import type { FanRegistry } from './fan-identity.ts';
import { type ChartRuleSet, rulesAt } from './rules.ts';

/** Why a unit is not (or not yet) in a chart file. Stored on sale_line.reason_code; the dashboard explains them. */
export const REASON_CODES = [
  'below_floor',
  'bulk_capped',
  'not_redeemed',
  'out_of_territory',
  'test_order',
  'refunded',
  'no_product_code',
  'no_rules',
  /** A merch bundle (physical goods with the music) whose mapping is not an approved fan pack. */
  'not_fan_pack',
  /** Given away (net 0, e.g. a 100 % discount code): never charts, whatever the floor. */
  'free_unit',
  /** Held for ownership review (the UPC's owner is not settled yet): pending until ops decides (never a lock-out). */
  'upc_under_review',
  /** Ops named another release the owner of this UPC: the unit never charts under it. */
  'upc_not_owned',
] as const;
export type ReasonCode = (typeof REASON_CODES)[number];

/** sale_line's enums, as generated. */
export type Eligibility = SaleEligibility;
export type SaleKind = SaleLineKind;

/** A sales.v1 event of one order line, as stored in located_sale. */
export interface LineEvent {
  eventId: string;
  type: 'sale.recorded' | 'sale.redeemed' | 'sale.reversed';
  occurredAt: Date;
  shopDomain: string;
  orderId: string;
  orderLineId: string;
  releaseId: string;
  upc: string | null;
  isrc: string | null;
  quantity: number;
  unitPriceNet: string;
  /** The producer's unit of the line (sales.v1 `unitIndex`); absent on older events. */
  unitIndex?: number | null;
  /** List price, discount and tax of the unit beside the net, when the event carried them. */
  grossPrice?: string | null;
  discountAmount?: string | null;
  taxAmount?: string | null;
  /** A merch bundle's unit, and whether its mapping is an approved fan pack. */
  merchBundle?: boolean;
  fanPack?: boolean;
  currency: string;
  country: string | null;
  postal: string | null;
  /** Hashed fan identifiers seen on the event, tagged strong or weak (src/charts/fan-identity.ts). */
  fanKeys: readonly string[];
}

/**
 * One unit's row in sale_line (one per chart, order line, unit and kind): the SaleLine model, except where the
 * charts need another shape. createdAt and updatedAt are left out: the database sets them.
 */
export type SaleLineRow = Pick<
  SaleLine,
  | 'id'
  | 'chart'
  | 'kind'
  | 'eligibility'
  | 'shopDomain'
  | 'orderId'
  | 'orderLineId'
  | 'unitIndex'
  | 'releaseId'
  | 'upc'
  | 'isrc'
  | 'zip'
  | 'country'
  | 'quantity'
  | 'currency'
  | 'occurredAt'
  | 'countedAt'
  | 'rulesVersion'
> & {
  /** The column is free text; the charts write and read only these codes. */
  reasonCode: ReasonCode | null;
  /** Decimals as text in the currency's digits (support/db.ts amountText): Prisma's Decimal drops trailing zeros. */
  netPrice: string;
  /** Absent when the unit's event did not carry them. */
  grossPrice?: string | null;
  discountAmount?: string | null;
  taxAmount?: string | null;
  /** The calendar day 'YYYY-MM-DD' (a date column, not an instant). */
  businessDate: string | null;
};

export interface LineContext {
  chart: string;
  ruleSets: readonly ChartRuleSet[];
  testOrder: boolean;
  /** The release's (or the track's own) release instant: a pre-order counts from max(this, redemption). */
  releaseInstant: Date | null;
  /** The artist's territory limits for the release; empty = everywhere. */
  releaseTerritories: readonly string[];
  /** The release's claim on its UPC (release.upc_review); null or absent = nobody else claims it. */
  upcReview?: 'under_review' | 'confirmed' | 'rejected' | null;
}

export { type FanRegistry, MemoryFanRegistry } from './fan-identity.ts';

const minor = (decimal: string) => Math.round(Number(decimal) * 10_000);
const byTime = (a: LineEvent, b: LineEvent) =>
  a.occurredAt.getTime() - b.occurredAt.getTime() || a.eventId.localeCompare(b.eventId);
const later = (a: Date, b: Date | null) => (b !== null && b > a ? b : a);

interface Unit {
  index: number;
  source: LineEvent;
  redeemedAt: Date | null;
  reversedAt: Date | null;
}

type Decision =
  | { eligibility: 'eligible'; countedAt: Date; businessDate: string; rulesVersion: number }
  | { eligibility: 'excluded' | 'pending'; reason: ReasonCode; countedAt: Date | null; rulesVersion: number | null };

/** Judges one not-yet-final unit. Exported for tests; planLine is the entry point. */
export function decideUnit(unit: Omit<Unit, 'index'>, ctx: LineContext): Decision {
  const { source } = unit;
  const product = source.upc ?? source.isrc;
  const format = source.upc ? 'album' : 'track';
  const recordedRules = rulesAt(ctx.ruleSets, source.occurredAt);
  const requireRedemption = recordedRules?.rules.requireRedemption ?? true;
  const trigger = requireRedemption ? unit.redeemedAt : source.occurredAt;
  const countedAt = trigger === null ? null : later(trigger, ctx.releaseInstant);
  const set = rulesAt(ctx.ruleSets, countedAt ?? source.occurredAt);
  const version = set?.version ?? null;
  const excluded = (reason: ReasonCode): Decision => ({
    eligibility: 'excluded',
    reason,
    countedAt,
    rulesVersion: version,
  });
  if (unit.reversedAt !== null) return excluded('refunded');
  if (!set) return { eligibility: 'pending', reason: 'no_rules', countedAt, rulesVersion: null };
  const { rules } = set;
  if (ctx.testOrder && rules.excludeTestOrders) return excluded('test_order');
  if (source.merchBundle && !source.fanPack) return excluded('not_fan_pack');
  // Before the floors: a chart with a floor of 0 must still never count a unit given away.
  if (minor(source.unitPriceNet) <= 0) return excluded('free_unit');
  if (!product) return excluded('no_product_code');
  const country = source.country;
  if (country !== null) {
    if (!rules.territories.includes(country)) return excluded('out_of_territory');
    if (ctx.releaseTerritories.length > 0 && !ctx.releaseTerritories.includes(country))
      return excluded('out_of_territory');
  }
  const floor = rules.priceFloors[format][source.currency];
  if (floor === undefined || minor(source.unitPriceNet) < minor(floor)) return excluded('below_floor');
  if (countedAt === null)
    return { eligibility: 'pending', reason: 'not_redeemed', countedAt: null, rulesVersion: version };
  // Last: the UPC's review state depends on another account's claim, so every reason of the account's own
  // data is decided first and a unit that would not chart anyway (a free test order, ...) answers the same
  // whether or not a rival holds the UPC. An album unit charts only once the UPC is the release's own.
  if (source.upc && ctx.upcReview === 'rejected') return excluded('upc_not_owned');
  if (source.upc && ctx.upcReview === 'under_review')
    return { eligibility: 'pending', reason: 'upc_under_review', countedAt, rulesVersion: version };
  return {
    eligibility: 'eligible',
    countedAt,
    businessDate: businessDate(countedAt, rules.timeZone),
    rulesVersion: set.version,
  };
}

const isFinal = (row: SaleLineRow | undefined) => row !== undefined && row.eligibility !== 'pending';

/**
 * A line's units from its sale.recorded events (in time order). When every event names its unit (sales.v1
 * `unitIndex`, one event per unit), the unit is the producer's: one unit per index, the same unit index on every
 * event of it, and a second sale.recorded of the same unit under any release (a replay under a new eventId, or the
 * old worker recording a unit again under a re-pointed mapping's release) is the same unit, not another one: the
 * first recorded stands. Older lines (events without it) keep their units in time order, as they were first
 * planned. `named`: units are the producer's.
 */
function unitsOf(recorded: readonly LineEvent[]): { units: Unit[]; named: boolean } {
  const seen = new Set<number>();
  const distinct = recorded.filter((e) => {
    if (e.quantity !== 1 || typeof e.unitIndex !== 'number') return true;
    if (seen.has(e.unitIndex)) return false;
    seen.add(e.unitIndex);
    return true;
  });
  const named = distinct.length > 0 && distinct.every((e) => e.quantity === 1 && typeof e.unitIndex === 'number');
  if (named) {
    const units = distinct
      .map((event) => ({ index: event.unitIndex as number, source: event, redeemedAt: null, reversedAt: null }))
      .sort((a, b) => a.index - b.index);
    return { units, named };
  }
  const units: Unit[] = [];
  for (const event of recorded) {
    for (let q = 0; q < event.quantity; q++) {
      units.push({ index: units.length, source: event, redeemedAt: null, reversedAt: null });
    }
  }
  return { units, named };
}

/**
 * First redemptions to units. A redemption that names its unit goes to that unit only, and only if it is of
 * the unit's release (a download of another release of a bundle is not the reported unit's); a unit keeps
 * its earliest one (one per unit). Redemptions without a unit index (older producers) go to the units
 * still unredeemed, in index order.
 */
function pairRedemptions(units: Unit[], redemptions: readonly LineEvent[]): void {
  const byIndex = new Map(units.map((u) => [u.index, u]));
  const anonymous: Date[] = [];
  for (const event of redemptions) {
    if (typeof event.unitIndex === 'number' && event.quantity === 1) {
      const unit = byIndex.get(event.unitIndex);
      if (unit && unit.source.releaseId === event.releaseId && unit.redeemedAt === null)
        unit.redeemedAt = event.occurredAt;
    } else {
      for (let q = 0; q < event.quantity; q++) anonymous.push(event.occurredAt);
    }
  }
  const open = units.filter((u) => u.redeemedAt === null);
  anonymous.forEach((at, i) => {
    const unit = open[i];
    if (unit) unit.redeemedAt = at;
  });
}

/**
 * Reconciles one order line's units for one chart from all its events so far (final rows stay as the events that
 * had arrived decided them: see the README's arrival order): units come from
 * sale.recorded events (in time order), first redemptions are given to units in index order, and a reversal that
 * names its unit (unitIndex, on a line whose units are the producer's) to that unit: the refund named it, and
 * the unit it names may be the counted one. Reversals without one (older producers) go to units already refunded
 * or returned first, then to uncounted units (highest index first), then counted ones. Final rows (eligible or
 * excluded) never change; a counted unit that is reversed gets a return row.
 * Returns the rows to insert or update (the store only updates rows still pending).
 */
export async function planLine(
  events: readonly LineEvent[],
  existing: readonly SaleLineRow[],
  ctx: LineContext,
  fans: FanRegistry,
): Promise<SaleLineRow[]> {
  const sorted = [...events].sort(byTime);
  const { units, named } = unitsOf(sorted.filter((e) => e.type === 'sale.recorded'));
  pairRedemptions(
    units,
    sorted.filter((e) => e.type === 'sale.redeemed'),
  );

  const saleRow = new Map(existing.filter((r) => r.kind === 'sale').map((r) => [r.unitIndex, r]));
  const returnRow = new Map(existing.filter((r) => r.kind === 'return').map((r) => [r.unitIndex, r]));
  const byIndex = new Map(units.map((u) => [u.index, u]));
  const reversals: Date[] = [];
  for (const event of sorted.filter((e) => e.type === 'sale.reversed')) {
    if (named && event.quantity === 1 && typeof event.unitIndex === 'number') {
      // The unit the refund names; a second reversal of it (a replay) takes nothing more off.
      const unit = byIndex.get(event.unitIndex);
      if (unit && unit.reversedAt === null) unit.reversedAt = event.occurredAt;
    } else {
      for (let q = 0; q < event.quantity; q++) reversals.push(event.occurredAt);
    }
  }
  const open = units.filter((u) => u.reversedAt === null);
  const alreadyReversed = open.filter((u) => saleRow.get(u.index)?.reasonCode === 'refunded' || returnRow.has(u.index));
  const rest = open.filter((u) => !alreadyReversed.includes(u)).reverse();
  const candidates = [
    ...alreadyReversed,
    ...rest.filter((u) => saleRow.get(u.index)?.eligibility !== 'eligible'),
    ...rest.filter((u) => saleRow.get(u.index)?.eligibility === 'eligible'),
  ];
  reversals.forEach((at, i) => {
    const unit = candidates[i];
    if (unit) unit.reversedAt = at;
  });

  const out: SaleLineRow[] = [];
  for (const unit of units) {
    const { source } = unit;
    const base = {
      chart: ctx.chart,
      shopDomain: source.shopDomain,
      orderId: source.orderId,
      orderLineId: source.orderLineId,
      unitIndex: unit.index,
      releaseId: source.releaseId,
      upc: source.upc,
      isrc: source.isrc,
      zip: source.country === 'US' ? source.postal : null,
      country: source.country,
      quantity: 1,
      netPrice: source.unitPriceNet,
      grossPrice: source.grossPrice ?? null,
      discountAmount: source.discountAmount ?? null,
      taxAmount: source.taxAmount ?? null,
      currency: source.currency,
    };
    const current = saleRow.get(unit.index);
    if (isFinal(current)) {
      if (current!.eligibility === 'eligible' && unit.reversedAt !== null && !returnRow.has(unit.index)) {
        const set = rulesAt(ctx.ruleSets, unit.reversedAt);
        if (set?.rules.refundsAsReturns !== false) {
          out.push({
            ...base,
            id: randomUUID(),
            kind: 'return',
            eligibility: 'eligible',
            reasonCode: null,
            occurredAt: unit.reversedAt,
            countedAt: unit.reversedAt,
            rulesVersion: set?.version ?? null,
            businessDate: businessDate(unit.reversedAt, set?.rules.timeZone ?? 'America/New_York'),
          });
        }
      }
      continue;
    }
    const id = current?.id ?? randomUUID();
    let decision = decideUnit(unit, ctx);
    const counting = decision.eligibility === 'eligible' ? rulesAt(ctx.ruleSets, decision.countedAt) : undefined;
    if (counting?.rules.onePerFanDigital) {
      const product = source.upc ? `upc:${source.upc}` : `isrc:${source.isrc}`;
      const first = await fans.claim({
        chart: ctx.chart,
        product,
        fanKeys: source.fanKeys,
        saleLineId: id,
        seenAt: source.occurredAt,
        ipMatchWindowHours: counting.rules.ipMatchWindowHours ?? 0,
      });
      if (!first)
        decision = {
          eligibility: 'excluded',
          reason: 'bulk_capped',
          countedAt: decision.countedAt,
          rulesVersion: decision.rulesVersion,
        };
    }
    const row: SaleLineRow = {
      ...base,
      id,
      kind: 'sale',
      eligibility: decision.eligibility,
      reasonCode: decision.eligibility === 'eligible' ? null : decision.reason,
      occurredAt: source.occurredAt,
      countedAt: decision.countedAt,
      rulesVersion: decision.rulesVersion,
      businessDate: decision.eligibility === 'eligible' ? decision.businessDate : null,
    };
    if (!current || current.eligibility !== row.eligibility || current.reasonCode !== row.reasonCode) out.push(row);
  }
  return out;
}
