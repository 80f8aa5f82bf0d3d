import { type EventBus, EventBusClosedError, EventsUnavailableError } from '@single/events';
import type { Logger } from '@single/logger';
import { relaySpans, useRelaySpansForKafkaProduce } from '@single/tracing';
import type { Pool, PoolClient } from 'pg';
import { withClient } from '../support/db.ts';
import type { FanSealer, OutboxRow } from './fan-sealing.ts';

/** Each message carries its event id as a header, so a read-back finds it without opening the payload. */
export const EVENT_ID_HEADER = 'event-id';
// The round's read of unpublished rows; exported for bench/data-layer (pg against Prisma on the same text).
export const SELECT_UNPUBLISHED = `SELECT id::text, event_id::text, topic, key, payload::text, trace_headers FROM sales_outbox
         WHERE published_at IS NULL ORDER BY sales_outbox.id LIMIT $1 FOR UPDATE`;

interface StoredContext {
  eventId: string;
  trace: Record<string, unknown> | null;
}

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
  /** Where a settled unknown outcome is reported (the on-call engineer's trail of a read-back). */
  logger?: Logger;
}

/**
 * Publishes the `sales_outbox` to Kafka in id order (key = order id, so one order's events stay in order
 * on one partition), then marks the rows published. One relay across replicas (advisory lock held for the
 * round). Kafka down: the publish fails, the rows stay and are published on a later round.
 *
 * Exactly once on the topic: before a publish, the topic's end offsets and the rows' ids are recorded
 * (`sales_relay_attempt`); the rows are marked published and the record deleted in one transaction after
 * the acknowledgement. A record found at the start of a round is a publish whose outcome is unknown (a
 * send kafkajs gave up on, a crash or a database outage before the mark): the topic is read back from the
 * recorded offsets, the rows whose event id landed (the `event-id` header) are marked published, and only
 * the rest are published again.
 */
export class SalesRelay {
  readonly #o: Required<Omit<SalesRelayOptions, 'topic' | 'logger'>> & Pick<SalesRelayOptions, 'topic' | 'logger'>;
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
        await this.#settleUnknownOutcomes(client);
        const stored = new Map<string, StoredContext>();
        const rows = await this.#sealed(client, stored);
        const byTopic = new Map<string, typeof rows>();
        for (const row of rows) {
          const topic = this.#o.topic ?? row.topic;
          const list = byTopic.get(topic);
          if (list) list.push(row);
          else byTopic.set(topic, [row]);
        }
        for (const [topic, list] of byTopic) {
          const ids = list.map((r) => r.id);
          const ends = await this.#o.bus.endOffsets(topic);
          await client.query(
            `INSERT INTO sales_relay_attempt (topic, end_offsets, outbox_ids) VALUES ($1, $2, $3::bigint[])`,
            [topic, JSON.stringify(Object.fromEntries(ends)), ids],
          );
          await this.#publish(topic, list, stored);
          await this.#markPublished(client, topic, ids);
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
   * Settles each recorded publish whose outcome is unknown: what the topic holds since the recorded end
   * offsets is read back, rows whose event id is there are marked published, the others stay for this round.
   */
  async #settleUnknownOutcomes(client: PoolClient) {
    const { rows: attempts } = await client.query<{
      topic: string;
      end_offsets: Record<string, string>;
      ids: string[];
    }>('SELECT topic, end_offsets, outbox_ids::text[] AS ids FROM sales_relay_attempt ORDER BY started_at');
    for (const attempt of attempts) {
      const from = new Map(Object.entries(attempt.end_offsets).map(([p, o]) => [Number(p), o]));
      const landed = (await this.#o.bus.readFrom(attempt.topic, from))
        .map((e) => e.headers[EVENT_ID_HEADER])
        .filter((id): id is string => id !== undefined);
      const { rowCount } = await client.query(
        `UPDATE sales_outbox SET published_at = now()
         WHERE id = ANY($1::bigint[]) AND event_id::text = ANY($2::text[]) AND published_at IS NULL`,
        [attempt.ids, landed],
      );
      await client.query('DELETE FROM sales_relay_attempt WHERE topic = $1', [attempt.topic]);
      this.#o.logger?.warn(
        { topic: attempt.topic, rows: attempt.ids.length, landed: rowCount ?? 0 },
        'sales relay: a publish with an unknown outcome was settled by reading the topic back',
      );
    }
  }

  /** The acknowledged rows marked published and their attempt record gone, in one transaction. */
  async #markPublished(client: PoolClient, topic: string, ids: readonly string[]) {
    await client.query('BEGIN');
    try {
      await client.query('UPDATE sales_outbox SET published_at = now() WHERE id = ANY($1::bigint[])', [ids]);
      await client.query('DELETE FROM sales_relay_attempt WHERE topic = $1', [topic]);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  /**
   * The next rows, version 1 events sealed into version 2 in place (FanSealer) in one transaction with the rows
   * locked, so a concurrent redaction either scrubs them first or finds them sealed. Rows already sealed are
   * published as stored: read as text, neither parsed nor serialised again.
   */
  async #sealed(client: PoolClient, stored: Map<string, StoredContext>): Promise<OutboxRow[]> {
    await client.query('BEGIN');
    try {
      const { rows } = await client.query<
        OutboxRow & { event_id: string; trace_headers: Record<string, unknown> | null }
      >(SELECT_UNPUBLISHED, [this.#o.batchSize]);
      for (const row of rows) stored.set(row.id, { eventId: row.event_id, trace: row.trace_headers });
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
  async #publish(topic: string, rows: readonly OutboxRow[], stored: ReadonlyMap<string, StoredContext>) {
    const spans = relaySpans(
      'kafka.produce',
      rows.map((r) => stored.get(r.id)?.trace),
      { resource: topic, tags: { component: 'sales-relay', 'messaging.system': 'kafka', 'kafka.topic': topic } },
    );
    try {
      await this.#o.bus.publish(
        topic,
        rows.map((r, i) => ({
          key: r.key,
          value: r.payload,
          headers: { ...spans.headers[i], [EVENT_ID_HEADER]: stored.get(r.id)?.eventId ?? '' },
        })),
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
