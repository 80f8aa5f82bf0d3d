import { openSealedFan, type SalesEvent, type SalesEventV1 } from '@single/contracts';
import { readFanDataKeys } from '@single/db';
import type { Logger } from '@single/logger';
import type { Pool, PoolClient } from 'pg';
import { businessDate } from '../charts/business-day.ts';
import { type LineEvent, planLine } from '../charts/eligibility.ts';
import { fanKeys } from '../charts/fan-identity.ts';
import type { GeoIp } from '../geoip/geoip.ts';
import { locateSale } from '../locating/locate.ts';
import {
  addToRollups,
  chartRuleSets,
  insertLocatedSale,
  isTestOrder,
  latestCapture,
  lineEvents,
  PgFanRegistry,
  recordedLocation,
  releaseFacts,
  saleLinesOfLine,
  unitEventSeen,
  upsertSaleLines,
} from './sales.repository.ts';

export interface SalesServiceDeps {
  pool: Pool;
  geo: GeoIp;
  logger: Logger;
  /** Charts this service reports to (rule sets in chart_rule_set). */
  charts: readonly string[];
  /** Business days of the regional roll-ups. */
  reportTimeZone: string;
}

export type HandleOutcome = 'processed' | 'duplicate';

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
    const { pool, geo } = this.deps;
    const event = await this.#opened(received);
    const capture = event.fan.checkoutToken
      ? await latestCapture(pool, event.shopDomain, event.fan.checkoutToken)
      : null;
    // A reversal comes off the place its sale was counted in (its capture may be gone by then).
    const original =
      event.type === 'sale.reversed' ? await recordedLocation(pool, event.shopDomain, event.orderLineId) : null;
    const located = original ?? locateSale({ fan: event.fan, capture, lookupIp: (ip) => geo.lookup(ip) });
    const occurredAt = new Date(event.occurredAt);
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      // One order line at a time: its units are planned from all its events.
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
        `order-line:${event.shopDomain}:${event.orderLineId}`,
      ]);
      if (
        event.quantity === 1 &&
        event.unitIndex !== undefined &&
        (await unitEventSeen(client, { ...event, unitIndex: event.unitIndex }))
      ) {
        await client.query('ROLLBACK');
        // Ids and the unit only: no fan facts in logs.
        this.deps.logger.warn(
          { eventId: event.eventId, type: event.type, orderLineId: event.orderLineId, unitIndex: event.unitIndex },
          'second event of the same unit dropped as a duplicate',
        );
        return 'duplicate';
      }
      const inserted = await insertLocatedSale(client, {
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
      if (!inserted) {
        await client.query('ROLLBACK');
        return 'duplicate';
      }
      if (event.type !== 'sale.redeemed') {
        await addToRollups(client, {
          releaseId: event.releaseId,
          day: businessDate(occurredAt, this.deps.reportTimeZone),
          currency: event.currency,
          units: event.type === 'sale.recorded' ? event.quantity : -event.quantity,
          unitPrice: event.unitPriceNet,
          place: located.place,
        });
      }
      const events = await lineEvents(client, event.shopDomain, event.orderLineId);
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
      await this.#planLineForCharts(client, events, {
        shopDomain: event.shopDomain,
        orderId: event.orderId,
        orderLineId: event.orderLineId,
        releaseId: event.releaseId,
        isrc: event.isrc ?? null,
      });
      await client.query('COMMIT');
      this.deps.logger.debug(
        { eventId: event.eventId, type: event.type, source: located.source, precision: located.place.precision },
        'sale located',
      );
      return 'processed';
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** Plans the order line's units for every chart from its events and stores them (`handle` and the UPC re-plan). */
  async #planLineForCharts(
    client: PoolClient,
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
    const { pool } = this.deps;
    const { rows } = await pool.query<{ shop_domain: string; order_id: string; order_line_id: string }>(
      `SELECT DISTINCT s.shop_domain, s.order_id, s.order_line_id
         FROM sale_line s JOIN release r ON r.id = s.release_id
        WHERE s.eligibility = 'pending' AND s.reason_code = 'upc_under_review'
          AND r.upc_review IS DISTINCT FROM 'under_review'
        LIMIT $1`,
      [limit],
    );
    for (const line of rows) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
          `order-line:${line.shop_domain}:${line.order_line_id}`,
        ]);
        const events = await lineEvents(client, line.shop_domain, line.order_line_id);
        const recorded = events.find((e) => e.type === 'sale.recorded');
        if (recorded) {
          await this.#planLineForCharts(client, events, {
            shopDomain: line.shop_domain,
            orderId: line.order_id,
            orderLineId: line.order_line_id,
            releaseId: recorded.releaseId,
            isrc: recorded.isrc,
          });
        }
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    }
    return rows.length;
  }
}
