import { type EventBus, EventBusClosedError, EventsUnavailableError } from '@single/events';
import { relaySpans, useRelaySpansForKafkaProduce } from '@single/tracing';
import type { Pool, PoolClient } from 'pg';
import { withClient } from '../support/db.ts';
import type { FanSealer, OutboxRow } from './fan-sealing.ts';

export interface SalesRelayOptions {
  pool: Pool;
  bus: EventBus;
  /** Seals the fan facts (version 2) before anything is published: Kafka never sees them in clear. */
  sealer: FanSealer;
  batchSize?: number;
  /** Publish to this topic instead of the row's (`sales.v1`): tests use a topic of their own. */
  topic?: string;
  /** Published rows are kept this long (audit, replays), then deleted. Default 1 day. */
  retainPublishedMs?: number;
}

/**
 * Publishes the `sales_outbox` to Kafka in id order (key = order id, so one order's events stay in order
 * on one partition), then marks the rows published. One relay across replicas (advisory lock held for the
 * round). Kafka down: the publish fails, the rows stay and are published on a later round; a publish
 * whose acknowledgement was lost is published again, which consumers absorb by eventId.
 */
export class SalesRelay {
  readonly #o: Required<Omit<SalesRelayOptions, 'topic'>> & { topic: string | undefined };
  #lastCleanup = 0;

  constructor(options: SalesRelayOptions) {
    this.#o = { batchSize: 500, retainPublishedMs: 86_400_000, topic: undefined, ...options };
    // Our spans carry each row's own trace to Kafka; dd-trace's producer span would overwrite them all.
    useRelaySpansForKafkaProduce();
  }

  async tick(): Promise<number> {
    return withClient(this.#o.pool, (client, discard) => this.#round(client, discard));
  }

  async #round(client: PoolClient, discard: () => void): Promise<number> {
    try {
      const { rows: lock } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(7015, 1) AS ok');
      if (!lock[0]?.ok) return 0;
      try {
        const traces = new Map<string, Record<string, unknown> | null>();
        const rows = await this.#sealed(client, traces);
        if (rows.length > 0) {
          const byTopic = new Map<string, typeof rows>();
          for (const row of rows) {
            const topic = this.#o.topic ?? row.topic;
            const list = byTopic.get(topic);
            if (list) list.push(row);
            else byTopic.set(topic, [row]);
          }
          for (const [topic, list] of byTopic) await this.#publish(topic, list, traces);
          await client.query('UPDATE sales_outbox SET published_at = now() WHERE id = ANY($1::bigint[])', [
            rows.map((r) => r.id),
          ]);
        }
        await this.#cleanup(client);
        return rows.length;
      } finally {
        await client.query('SELECT pg_advisory_unlock(7015, 1)');
      }
    } catch (err) {
      // Kafka trouble leaves the connection healthy (and unlocked); a database error discards it.
      if (!(err instanceof EventsUnavailableError || err instanceof EventBusClosedError)) discard();
      throw err;
    }
  }

  /**
   * The next rows, version 1 events sealed into version 2 in place (FanSealer) in one transaction with the rows
   * locked, so a concurrent redaction either scrubs them first or finds them sealed. Rows already sealed are
   * published as stored: read as text, neither parsed nor serialised again.
   */
  async #sealed(client: PoolClient, traces: Map<string, Record<string, unknown> | null>): Promise<OutboxRow[]> {
    await client.query('BEGIN');
    try {
      const { rows } = await client.query<OutboxRow & { trace_headers: Record<string, unknown> | null }>(
        `SELECT id::text, topic, key, payload::text, trace_headers FROM sales_outbox WHERE published_at IS NULL
         ORDER BY sales_outbox.id LIMIT $1 FOR UPDATE`,
        [this.#o.batchSize],
      );
      for (const row of rows) traces.set(row.id, row.trace_headers);
      const sealed = await this.#o.sealer.seal(client, rows);
      await client.query('COMMIT');
      return sealed;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  /**
   * One publish for the whole list, each message sent as a child of the trace that wrote its row (a producer
   * span per distinct stored context, ended when Kafka acknowledged), so geo-reporting continues that trace.
   */
  async #publish(
    topic: string,
    rows: readonly OutboxRow[],
    traces: ReadonlyMap<string, Record<string, unknown> | null>,
  ) {
    const spans = relaySpans(
      'kafka.produce',
      rows.map((r) => traces.get(r.id)),
      { resource: topic, tags: { component: 'sales-relay', 'messaging.system': 'kafka', 'kafka.topic': topic } },
    );
    try {
      await this.#o.bus.publish(
        topic,
        rows.map((r, i) => ({ key: r.key, value: r.payload, headers: spans.headers[i] })),
      );
      spans.finish();
    } catch (err) {
      spans.finish(err);
      throw err;
    }
  }

  async #cleanup(client: { query: Pool['query'] }) {
    if (Date.now() - this.#lastCleanup < 60_000) return;
    this.#lastCleanup = Date.now();
    await client.query("DELETE FROM sales_outbox WHERE published_at < now() - $1 * interval '1 millisecond'", [
      this.#o.retainPublishedMs,
    ]);
  }
}
