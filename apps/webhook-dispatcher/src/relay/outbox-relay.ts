import type { WebhookEnvelopeV1 } from '@single/contracts';
import { EVENTS_EXCHANGE, shopifyRoutingKey } from '@single/contracts';
import type { Logger } from '@single/logger';
import type { Messaging } from '@single/messaging';
import { withSpan } from '@single/tracing';
import type { Pool, PoolClient } from 'pg';
import type { Lane } from '../shopify/topics.ts';
import { OUTBOX_CHANNEL } from './outbox-waker.ts';

export interface OutboxRow {
  outbox_id: string;
  delivery_id: string;
  replay_requested_by: string | null;
  trace_headers: Record<string, unknown> | null;
  created_at: Date;
  shop_domain: string;
  topic: string;
  webhook_id: string;
  event_id: string | null;
  triggered_at: Date | null;
  received_at: Date;
  api_version: string | null;
  /** The order the delivery is about (orders/*, refunds/create), as stored at intake; null for privacy topics. */
  shopify_order_id: string | null;
  /** The stored JSON text, spliced into the envelope as is (no parse and re-serialise per message). */
  payload: string | null;
}

// The relay's statements, exported for bench/data-layer (pg against Prisma on the same text).
export const SELECT_BATCH = `
SELECT o.id::text AS outbox_id, o.delivery_id::text, o.replay_requested_by, o.trace_headers, o.created_at,
       d.shop_domain, d.topic, d.webhook_id, d.event_id, d.triggered_at, d.received_at, d.api_version, d.payload,
       d.shopify_order_id
FROM dispatch_outbox o JOIN webhook_delivery d ON d.id = o.delivery_id
WHERE o.lane = $1
  AND ($3::int = 1 OR mod(hashtext(d.shop_domain || E'\n' || coalesce(d.shopify_order_id, '')) & 2147483647, $3::int) = $4::int)
ORDER BY o.id LIMIT $2`;
export const MARK_PUBLISHED = `WITH gone AS (DELETE FROM dispatch_outbox WHERE id = ANY($1::bigint[]) RETURNING delivery_id)
         UPDATE webhook_delivery SET status = 'published', published_at = now() WHERE id IN (SELECT delivery_id FROM gone)`;
export const COUNT_ATTEMPTS = 'UPDATE dispatch_outbox SET attempts = attempts + 1 WHERE id = ANY($1::bigint[])';

/** Advisory lock keys (class 7013): the whole orders lane, the privacy lane, and the orders lane's shard i. */
const ORDERS_LOCK = 1;
const PRIVACY_LOCK = 2;
const SHARD_LOCK_BASE = 100;

/** What one relay loop publishes: a whole lane, or shard `index` of `count` of the orders lane. */
interface Unit {
  lane: Lane;
  index: number;
  count: number;
}
const unitName = (u: Unit) => (u.count === 1 ? u.lane : `${u.lane}.${u.index}/${u.count}`);

export function toEnvelope(row: OutboxRow): Omit<WebhookEnvelopeV1, 'payload'> {
  return {
    version: 1,
    source: 'shopify',
    topic: row.topic,
    shopDomain: row.shop_domain,
    webhookId: row.webhook_id,
    eventId: row.event_id,
    triggeredAt: row.triggered_at?.toISOString() ?? null,
    receivedAt: row.received_at.toISOString(),
    apiVersion: row.api_version,
    ...(row.replay_requested_by
      ? { replay: { requestedBy: row.replay_requested_by, at: row.created_at.toISOString() } }
      : {}),
  };
}

/**
 * What must stay in order within a lane: one order's deliveries (create, paid, updated, cancelled, refunds)
 * in the orders lane, and one shop's in the privacy lane (app/uninstalled before shop/redact). Different
 * keys publish side by side; one key's rows go one after the other, each after the previous one's confirm.
 */
export function orderingKey(row: Pick<OutboxRow, 'shop_domain' | 'shopify_order_id'>): string {
  return row.shopify_order_id ? `${row.shop_domain}\norder:${row.shopify_order_id}` : row.shop_domain;
}

/** The envelope's JSON with the stored payload text as its last member. */
export function envelopeBytes(row: OutboxRow): Buffer {
  const head = JSON.stringify(toEnvelope(row));
  return Buffer.from(`${head.slice(0, -1)},"payload":${row.payload ?? '{}'}}`);
}

export interface RelayOptions {
  pool: Pool;
  messaging: Messaging;
  logger: Logger;
  lanes: readonly Lane[];
  /**
   * Shards of the orders lane (ORDERS_RELAY_LANES, docs/CAPACITY.md section 4): shard i publishes the orders whose
   * key (shop and order id) hashes to i, under its own advisory lock, so the shards spread over the replicas and
   * run side by side; one order's deliveries stay in one shard, in id order. 1: the lane as one relay.
   */
  ordersShards?: number;
  /** Shards one relay takes at once before it leaves the rest to other replicas (taken anyway after takeoverMs). */
  maxHeldShards?: number;
  /** How long a relay at maxHeldShards waits before taking a shard no other replica took. */
  takeoverMs?: number;
  batchSize?: number;
  publishTimeoutMs?: number;
  /** Poll interval when nothing wakes the relay (NOTIFY is the fast path). */
  idlePollMs?: number;
}

/**
 * Publishes what the outbox owes, per lane, in id order, with publisher confirms; a row is deleted only
 * after the broker confirmed it. One relay per lane across all replicas (a PostgreSQL advisory lock), so
 * order holds cluster-wide. Broker down: rows wait and the relay backs off; nothing blocks intake.
 */
export class OutboxRelay {
  private readonly options: Required<RelayOptions>;
  private stopping = false;
  private readonly sleepers = new Set<() => void>();
  private readonly lockSleepers = new Set<() => void>();
  private listener: PoolClient | undefined;
  private loops: Promise<void>[] = [];
  /** Units whose advisory lock this relay holds: only it publishes them, cluster-wide. */
  private readonly held = new Set<Unit>();
  private readonly units: Unit[];
  /** Shard locks being asked for right now (counted with the held ones against maxHeldShards). */
  private tryingShards = 0;

  constructor(options: RelayOptions) {
    const idlePollMs = options.idlePollMs ?? 1_000;
    const ordersShards = options.ordersShards ?? 1;
    this.options = {
      batchSize: 200,
      publishTimeoutMs: 5_000,
      idlePollMs,
      ordersShards,
      maxHeldShards: ordersShards,
      takeoverMs: idlePollMs * 10,
      ...options,
    };
    if (!Number.isInteger(ordersShards) || ordersShards < 1) {
      throw new Error('ordersShards must be a whole number >= 1');
    }
    this.units = this.options.lanes.flatMap((lane): Unit[] =>
      lane === 'orders'
        ? Array.from({ length: ordersShards }, (_, index) => ({ lane, index, count: ordersShards }))
        : [{ lane, index: 0, count: 1 }],
    );
  }

  /** The lanes and shards this relay publishes now (`orders.3/8`), for logs and tests. */
  holding(): string[] {
    return [...this.held].map(unitName).sort();
  }

  async start() {
    this.listener = await this.options.pool.connect();
    this.listener.on('notification', () => this.wake());
    this.listener.on('error', (err) => this.options.logger.warn({ err }, 'outbox listener connection lost'));
    await this.listener.query(`LISTEN ${OUTBOX_CHANNEL}`);
    this.loops = this.units.map((unit) => this.runUnit(unit));
  }

  /** Publishes the current batch to completion, then stops (graceful shutdown). */
  async stop() {
    this.stopping = true;
    this.wake();
    for (const done of [...this.lockSleepers]) done();
    await Promise.all(this.loops);
    this.listener?.release();
    this.listener = undefined;
  }

  /**
   * Sleeps until `ms` pass or a NOTIFY (or stop) wakes every sleeping lane. A loop waiting for a lock another
   * replica holds sleeps in `lockSleepers`, woken by stop only: a NOTIFY is for the holder, and waking every
   * waiter on each claim would only make them ask for locks they cannot get.
   */
  private sleep(ms: number, sleepers = this.sleepers): Promise<void> {
    // A stop that came during a batch woke nobody: do not start a sleep (up to takeoverMs) it would wait out.
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      sleepers.add(done);
    });
  }

  private wake() {
    for (const done of [...this.sleepers]) done();
  }

  /** Wakes the relay when it is the one publishing `lane`; false when another replica holds the lane. */
  wakeIfHeld(lane: Lane): boolean {
    if (![...this.held].some((unit) => unit.lane === lane)) return false;
    this.wake();
    return true;
  }

  /**
   * Takes the unit's advisory lock(s) on `client`; false when another replica holds them. A shard also takes the
   * whole orders lane's lock in shared mode: a relay publishing the lane unsharded (ORDERS_RELAY_LANES=1, or a
   * replica of the previous release during a rolling deploy) holds it exclusively, so the two never publish
   * one order side by side.
   */
  private async lock(client: PoolClient, unit: Unit): Promise<boolean> {
    const locked = async (sql: string, key: number) =>
      (await client.query<{ locked: boolean }>(`SELECT ${sql}(7013, $1) AS locked`, [key])).rows[0]?.locked === true;
    if (unit.count === 1) return locked('pg_try_advisory_lock', unit.lane === 'privacy' ? PRIVACY_LOCK : ORDERS_LOCK);
    if (!(await locked('pg_try_advisory_lock_shared', ORDERS_LOCK))) return false;
    if (await locked('pg_try_advisory_lock', SHARD_LOCK_BASE + unit.index)) return true;
    await client.query('SELECT pg_advisory_unlock_shared(7013, $1)', [ORDERS_LOCK]);
    return false;
  }

  private async unlock(client: PoolClient, unit: Unit): Promise<void> {
    if (unit.count === 1) {
      await client.query('SELECT pg_advisory_unlock(7013, $1)', [unit.lane === 'privacy' ? PRIVACY_LOCK : ORDERS_LOCK]);
      return;
    }
    await client.query('SELECT pg_advisory_unlock(7013, $1)', [SHARD_LOCK_BASE + unit.index]);
    await client.query('SELECT pg_advisory_unlock_shared(7013, $1)', [ORDERS_LOCK]);
  }

  /** Shards held by this relay: at maxHeldShards it leaves the others to replicas with fewer, for a while. */
  private heldShards(): number {
    return [...this.held].filter((unit) => unit.count > 1).length;
  }

  private async runUnit(unit: Unit) {
    const { pool, logger } = this.options;
    const lane = unitName(unit);
    const shard = unit.count > 1;
    let backoffMs = 0;
    let overdue = false;
    while (!this.stopping) {
      // At its share of shards this replica leaves the rest to others; one nobody took is taken after takeoverMs.
      if (shard && !overdue && this.heldShards() >= this.options.maxHeldShards) {
        await this.sleep(this.options.takeoverMs, this.lockSleepers);
        overdue = true;
        continue;
      }
      // Its other loops are asking for as many as it may take: ask again once they know.
      if (shard && !overdue && this.heldShards() + this.tryingShards >= this.options.maxHeldShards) {
        await this.sleep(this.options.idlePollMs, this.lockSleepers);
        continue;
      }
      overdue = false;
      let client: PoolClient | undefined;
      // Counted from before the connect: the loops run side by side and would all pass the check above.
      if (shard) this.tryingShards++;
      let trying = shard;
      try {
        client = await pool.connect();
        const locked = await this.lock(client, unit);
        if (trying) this.tryingShards--;
        trying = false;
        if (!locked) {
          client.release();
          client = undefined;
          await this.sleep(this.options.idlePollMs, this.lockSleepers);
          continue;
        }
        this.held.add(unit);
        while (!this.stopping) {
          const published = await this.publishBatch(client, unit);
          backoffMs = 0;
          if (published === 0) await this.sleep(this.options.idlePollMs);
        }
        this.held.delete(unit);
        await this.unlock(client, unit);
      } catch (err) {
        if (trying) this.tryingShards--;
        trying = false;
        this.held.delete(unit);
        backoffMs = Math.min(Math.max(backoffMs * 2, 100), 5_000);
        logger.warn({ err, lane, retryInMs: backoffMs }, 'outbox relay paused');
        // A broken connection must not go back to the pool holding the lock.
        client?.release(true);
        client = undefined;
        await this.sleep(backoffMs);
      } finally {
        client?.release();
      }
    }
  }

  /**
   * Publishes one batch: keys side by side, each key's rows in id order, the next only after the previous
   * one's confirm. A failed publish stops the rest of its key for this batch (they stay in the outbox, behind
   * it), so a later delivery of one order never overtakes an earlier one that failed; other keys go on.
   */
  private async publishBatch(client: PoolClient, unit: Unit): Promise<number> {
    const { messaging, batchSize, publishTimeoutMs } = this.options;
    const { rows } = await client.query<OutboxRow>(SELECT_BATCH, [unit.lane, batchSize, unit.count, unit.index]);
    if (rows.length === 0) return 0;
    const byKey = new Map<string, OutboxRow[]>();
    for (const row of rows) {
      const key = orderingKey(row);
      const list = byKey.get(key);
      if (list) list.push(row);
      else byKey.set(key, [row]);
    }
    const confirmed: string[] = [];
    const failed: { row: OutboxRow; err: unknown }[] = [];
    await Promise.all(
      [...byKey.values()].map(async (list) => {
        for (const row of list) {
          try {
            await this.publishOne(messaging, row, publishTimeoutMs);
            confirmed.push(row.outbox_id);
          } catch (err) {
            failed.push({ row, err });
            return;
          }
        }
      }),
    );
    if (confirmed.length > 0) {
      await client.query(MARK_PUBLISHED, [confirmed]);
    }
    if (failed.length > 0) {
      await client.query(COUNT_ATTEMPTS, [failed.map((f) => f.row.outbox_id)]);
      throw failed[0]?.err;
    }
    return rows.length;
  }

  private publishOne(messaging: Messaging, row: OutboxRow, timeoutMs: number): Promise<void> {
    const body = envelopeBytes(row);
    const span = {
      resource: shopifyRoutingKey(row.topic),
      tags: { 'shop.domain': row.shop_domain },
      parentHeaders: row.trace_headers ?? undefined,
    };
    return withSpan('webhook.publish', span, () =>
      messaging.publish(EVENTS_EXCHANGE, shopifyRoutingKey(row.topic), body, {
        messageId: row.webhook_id,
        contentType: 'application/json',
        persistent: true,
        timeoutMs,
        headers: {
          'x-shop-domain': row.shop_domain,
          'x-shopify-topic': row.topic,
          'x-shopify-event-id': row.event_id ?? undefined,
          'x-shopify-triggered-at': row.triggered_at?.toISOString(),
          'x-shopify-api-version': row.api_version ?? undefined,
          ...(row.replay_requested_by ? { 'x-replay': 'true' } : {}),
        },
      }),
    );
  }
}
