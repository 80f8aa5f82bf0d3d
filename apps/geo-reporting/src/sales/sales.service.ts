import { openSealedFan, type SalesEvent, type SalesEventV1 } from '@single/contracts';
import { type Db, readFanDataKeys, type SaleLine } from '@single/db';
import type { Logger } from '@single/logger';
import type { Pool } from 'pg';
import { businessDate } from '../charts/business-day.ts';
import { type LineEvent, planLine } from '../charts/eligibility.ts';
import { fanKeys } from '../charts/fan-identity.ts';
import type { GeoIp } from '../geoip/geoip.ts';
import { locateSale } from '../locating/locate.ts';
import type { DbClient } from '../support/db.ts';
import { PgFanRegistry } from './fan-registry.repository.ts';
import {
  addToRollups,
  chartRuleSets,
  insertLocatedSale,
  isTestOrder,
  latestCapture,
  lineEvents,
  lockForTransaction,
  recordedLocation,
  releaseFacts,
  saleLinesOfLine,
  unitEventSeen,
  upsertSaleLines,
} from './sales.repository.ts';

export interface SalesServiceDeps {
  db: Db;
  /** Only for @single/db's readFanDataKeys, a query module on pg's `query` (not this app's to change). */
  pool: Pick<Pool, 'query'>;
  geo: GeoIp;
  logger: Logger;
  /** Charts this service reports to (rule sets in chart_rule_set). */
  charts: readonly string[];
  /** Business days of the regional roll-ups. */
  reportTimeZone: string;
}

export type HandleOutcome = 'processed' | 'duplicate';

/**
 * Prisma's interactive transactions end on a timer (5 s by default) that the pg transactions they replace did not
 * have: wide enough that only a stuck transaction meets it, under load on a shared machine included.
 */
const TRANSACTION = { maxWait: 30_000, timeout: 120_000 } as const;

/**
 * Handles one sales.v1 event in one transaction: stores it located (its eventId is the dedupe), adds it to the
 * regional roll-ups, and reconciles the order line's units for every chart. Idempotent; throws on
 * infrastructure errors so the event is delivered again.
 */
export class SalesService {
  private readonly deps: SalesServiceDeps;

  constructor(deps: SalesServiceDeps) {
    this.deps = deps;
  }

  async handle(received: SalesEvent): Promise<HandleOutcome> {
    const { db, geo } = this.deps;
    const event = await this.#opened(received);
    const capture = event.fan.checkoutToken ? await latestCapture(db, event.shopDomain, event.fan.checkoutToken) : null;
    // A reversal comes off the place its sale was counted in (its capture may be gone by then).
    const original =
      event.type === 'sale.reversed' ? await recordedLocation(db, event.shopDomain, event.orderLineId) : null;
    const located = original ?? locateSale({ fan: event.fan, capture, lookupIp: (ip) => geo.lookup(ip) });
    const occurredAt = new Date(event.occurredAt);
    // A duplicate has written nothing when it returns, so its transaction commits empty (as a ROLLBACK would).
    const outcome = await db.$transaction(async (tx): Promise<HandleOutcome> => {
      // One order line at a time: its units are planned from all its events.
      await lockForTransaction(tx, `order-line:${event.shopDomain}:${event.orderLineId}`);
      if (
        event.quantity === 1 &&
        event.unitIndex !== undefined &&
        (await unitEventSeen(tx, { ...event, unitIndex: event.unitIndex }))
      ) {
        // Ids and the unit only: no fan facts in logs.
        this.deps.logger.warn(
          { eventId: event.eventId, type: event.type, orderLineId: event.orderLineId, unitIndex: event.unitIndex },
          'second event of the same unit dropped as a duplicate',
        );
        return 'duplicate';
      }
      const inserted = await insertLocatedSale(tx, {
        eventId: event.eventId,
        type: event.type,
        shopDomain: event.shopDomain,
        orderId: event.orderId,
        orderLineId: event.orderLineId,
        releaseId: event.releaseId,
        quantity: event.quantity,
        netPrice: event.unitPriceNet,
        currency: event.currency,
        upc: event.upc ?? null,
        isrc: event.isrc ?? null,
        occurredAt,
        unitIndex: event.unitIndex ?? null,
        grossPrice: event.unitPriceGross ?? null,
        discountAmount: event.unitDiscount ?? null,
        taxAmount: event.unitTax ?? null,
        merchBundle: event.merchBundle ?? false,
        fanPack: event.fanPack ?? false,
        located,
        fanKeys: fanKeys(event, capture?.clientIp ?? null),
      });
      if (!inserted) return 'duplicate';
      if (event.type !== 'sale.redeemed') {
        await addToRollups(tx, {
          releaseId: event.releaseId,
          day: businessDate(occurredAt, this.deps.reportTimeZone),
          currency: event.currency,
          units: event.type === 'sale.recorded' ? event.quantity : -event.quantity,
          unitPrice: event.unitPriceNet,
          place: located.place,
        });
      }
      const events = await lineEvents(tx, event.shopDomain, event.orderLineId);
      if (
        event.type === 'sale.reversed' &&
        event.unitIndex !== undefined &&
        !events.some((e) => e.type === 'sale.recorded' && e.unitIndex === event.unitIndex)
      ) {
        // Stored, but it reverses nothing: the unit it names was never recorded (or its sale.recorded has not
        // arrived). Said, so that a sale the charts still count is not silently left without its return. Ids only.
        this.deps.logger.warn(
          {
            eventId: event.eventId,
            orderId: event.orderId,
            orderLineId: event.orderLineId,
            unitIndex: event.unitIndex,
          },
          'sale.reversed names a unit that was never recorded: nothing reversed',
        );
      }
      await this.#planLineForCharts(tx, events, {
        shopDomain: event.shopDomain,
        orderId: event.orderId,
        orderLineId: event.orderLineId,
        releaseId: event.releaseId,
        isrc: event.isrc ?? null,
      });
      return 'processed';
    }, TRANSACTION);
    if (outcome === 'processed') {
      this.deps.logger.debug(
        { eventId: event.eventId, type: event.type, source: located.source, precision: located.place.precision },
        'sale located',
      );
    }
    return outcome;
  }

  /** Plans the order line's units for every chart from its events and stores them (`handle` and the UPC re-plan). */
  async #planLineForCharts(
    client: DbClient,
    events: LineEvent[],
    line: { shopDomain: string; orderId: string; orderLineId: string; releaseId: string; isrc: string | null },
  ): Promise<void> {
    const release = await releaseFacts(client, line.releaseId, line.isrc);
    const testOrder = await isTestOrder(client, line.shopDomain, line.orderId);
    const fans = new PgFanRegistry(client);
    for (const chart of this.deps.charts) {
      const ruleSets = await chartRuleSets(client, chart);
      const existing = await saleLinesOfLine(client, chart, line.orderLineId);
      const context = {
        chart,
        ruleSets,
        testOrder,
        releaseInstant: release.releaseInstant,
        releaseTerritories: release.territories,
        upcReview: release.upcReview,
      };
      await upsertSaleLines(client, await planLine(events, existing, context, fans));
    }
  }

  /**
   * The event with its fan facts in clear, as version 1 carries them. A version 2 event's sealed facts are opened
   * with the fan's data key, read from PostgreSQL (read-only, @single/db): when the key is gone (the fan was
   * redacted) or does not open them, the sale is still located and charted from what is left (the countries, the
   * order as its fan key), never failed or skipped.
   */
  async #opened(event: SalesEvent): Promise<SalesEventV1> {
    if (event.version === 1) return event;
    const { fanSealed, fan, version: _, ...rest } = event;
    let sealed = {};
    if (fanSealed) {
      const keys = await readFanDataKeys(this.deps.pool, event.shopDomain, [fanSealed.keyId]);
      sealed = openSealedFan(fanSealed, event.eventId, keys.get(fanSealed.keyId)) ?? {};
      if (!keys.has(fanSealed.keyId)) {
        this.deps.logger.debug(
          { eventId: event.eventId },
          'fan facts erased (data key deleted): sale kept without them',
        );
      }
    }
    return { ...rest, version: 1, fan: { ...sealed, ...fan } };
  }

  /**
   * Re-plans the order lines whose units wait as `upc_under_review` once ops has resolved their release's UPC
   * conflict (the release is then `confirmed` or `rejected`): no event arrives for them, so nothing else
   * would. Each line in its own transaction under the line's lock, as `handle` plans it. Returns the number
   * of lines re-planned; run on a timer by the runtime and by tests.
   */
  async replanUpcReviews(limit = 500): Promise<number> {
    const { db } = this.deps;
    // Typed SQL: sale_line has no relation to release in the schema (release_id is the artist API's id, read
    // only), so the client cannot filter lines by their release's review state in one read.
    const lines = await db.$queryRaw<Pick<SaleLine, 'shopDomain' | 'orderId' | 'orderLineId'>[]>`
      SELECT DISTINCT s.shop_domain AS "shopDomain", s.order_id AS "orderId", s.order_line_id AS "orderLineId"
        FROM sale_line s JOIN release r ON r.id = s.release_id
       WHERE s.eligibility = 'pending' AND s.reason_code = 'upc_under_review'
         AND r.upc_review IS DISTINCT FROM 'under_review'
       LIMIT ${limit}::int`;
    for (const line of lines) {
      await db.$transaction(async (tx) => {
        await lockForTransaction(tx, `order-line:${line.shopDomain}:${line.orderLineId}`);
        const events = await lineEvents(tx, line.shopDomain, line.orderLineId);
        const recorded = events.find((e) => e.type === 'sale.recorded');
        if (recorded) {
          await this.#planLineForCharts(tx, events, {
            shopDomain: line.shopDomain,
            orderId: line.orderId,
            orderLineId: line.orderLineId,
            releaseId: recorded.releaseId,
            isrc: recorded.isrc,
          });
        }
      }, TRANSACTION);
    }
    return lines.length;
  }
}
