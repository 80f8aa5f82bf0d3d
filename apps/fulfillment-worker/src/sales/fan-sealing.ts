import { randomBytes } from 'node:crypto';
import { type FanDataKey, keyedEmailHash, salesEventV1, sealSalesEvent } from '@single/contracts';
import type { PoolClient } from 'pg';

/** An outbox row as the relay reads it: the payload as stored text. */
export interface OutboxRow {
  id: string;
  topic: string;
  key: string;
  payload: string;
}

/**
 * Turns the sales outbox's version 1 events (fan facts in clear, written by both producers: the worker and the
 * artist API's sale.redeemed) into version 2 before anything reaches Kafka (crypto-shredding, issue 14): the facts
 * that identify or locate the fan are sealed with the fan's data key, and the email hash becomes keyed (HMAC with
 * FAN_HASH_SECRET, from the order's email as it is now: a redacted order has none).
 *
 * Runs in the relay's transaction with the rows locked (FOR UPDATE), and rewrites them in place, so:
 * - the outbox no longer holds the clear facts after this point, and a republish sends the same sealed event;
 * - a redaction that scrubbed a row first leaves nothing to seal; one that comes after waits for this commit
 *   and then deletes the key, so an event published meanwhile is already unreadable.
 * Keys are created here, in the same transaction as the sealed outbox row, one per shop and subject:
 * `customer:<id>`, else `email:<keyed hash>` (a guest), else `order:<id>`; fan_data_key_order links the
 * order to its key, so a redaction by order id reaches it (purgeFanDataKeys).
 */
export class FanSealer {
  readonly #secret: string;

  constructor(fanHashSecret: string) {
    if (fanHashSecret.length < 32) throw new Error('FAN_HASH_SECRET must be at least 32 characters');
    this.#secret = fanHashSecret;
  }

  /** Seals the version 1 rows (others pass unchanged) and returns the rows as they are now stored. */
  async seal(client: PoolClient, rows: readonly OutboxRow[]): Promise<OutboxRow[]> {
    const open = rows.flatMap((row) => {
      const parsed = salesEventV1.safeParse(JSON.parse(row.payload));
      return parsed.success ? [{ row, event: parsed.data }] : [];
    });
    if (open.length === 0) return [...rows];
    const orders = await this.#orders(
      client,
      open.map((o) => o.event),
    );
    const subjectOf = (shop: string, orderId: string) => {
      const order = orders.get(`${shop}\n${orderId}`);
      if (order?.customer_id) return `customer:${order.customer_id}`;
      if (order?.email?.trim()) return `email:${keyedEmailHash(this.#secret, order.email)}`;
      return `order:${orderId}`;
    };
    const wanted = new Map<string, { shop: string; subject: string; orderIds: Set<string> }>();
    for (const { event } of open) {
      const subject = subjectOf(event.shopDomain, event.orderId);
      const entry = wanted.get(`${event.shopDomain}\n${subject}`) ?? {
        shop: event.shopDomain,
        subject,
        orderIds: new Set(),
      };
      entry.orderIds.add(event.orderId);
      wanted.set(`${event.shopDomain}\n${subject}`, entry);
    }
    const keys = await this.#keys(client, [...wanted.values()]);
    const sealed = new Map<string, string>();
    for (const { row, event } of open) {
      const order = orders.get(`${event.shopDomain}\n${event.orderId}`);
      const email = order?.email?.trim() ? keyedEmailHash(this.#secret, order.email) : undefined;
      const facts = { ...event, fan: { ...event.fan, ...(email ? { emailHash: email } : {}) } };
      const key = keys.get(`${event.shopDomain}\n${subjectOf(event.shopDomain, event.orderId)}`) ?? null;
      sealed.set(row.id, JSON.stringify(sealSalesEvent(facts, key)));
    }
    await client.query(
      `UPDATE sales_outbox o SET payload = s.payload::jsonb
       FROM unnest($1::bigint[], $2::text[]) AS s(id, payload) WHERE o.id = s.id`,
      [[...sealed.keys()], [...sealed.values()]],
    );
    return rows.map((row) => ({ ...row, payload: sealed.get(row.id) ?? row.payload }));
  }

  async #orders(client: PoolClient, events: readonly { shopDomain: string; orderId: string }[]) {
    const { rows } = await client.query<{ k: string; customer_id: string | null; email: string | null }>(
      `SELECT o.shop_domain || E'\\n' || o.shopify_order_id::text AS k, o.customer_id::text, o.email
       FROM orders o JOIN unnest($1::text[], $2::text[]) AS e(shop, oid)
         ON o.shop_domain = e.shop AND o.shopify_order_id::text = e.oid`,
      [events.map((e) => e.shopDomain), events.map((e) => e.orderId)],
    );
    return new Map(rows.map((r) => [r.k, r]));
  }

  /** The data keys of these subjects, created when missing, with their orders linked. */
  async #keys(
    client: PoolClient,
    wanted: readonly { shop: string; subject: string; orderIds: Set<string> }[],
  ): Promise<Map<string, FanDataKey>> {
    const shops = wanted.map((w) => w.shop);
    const subjects = wanted.map((w) => w.subject);
    await client.query(
      `INSERT INTO fan_data_key (shop_domain, subject, key)
       SELECT s.shop, s.subject, decode(s.key, 'hex') FROM unnest($1::text[], $2::text[], $3::text[]) AS s(shop, subject, key)
       ON CONFLICT (shop_domain, subject) DO NOTHING`,
      [shops, subjects, wanted.map(() => randomBytes(32).toString('hex'))],
    );
    const { rows } = await client.query<{ shop_domain: string; subject: string; id: string; key: Buffer }>(
      `SELECT k.shop_domain, k.subject, k.id::text, k.key FROM fan_data_key k
       JOIN unnest($1::text[], $2::text[]) AS s(shop, subject) ON k.shop_domain = s.shop AND k.subject = s.subject`,
      [shops, subjects],
    );
    const keys = new Map(rows.map((r) => [`${r.shop_domain}\n${r.subject}`, { id: r.id, key: r.key }]));
    const links = wanted.flatMap((w) => {
      const key = keys.get(`${w.shop}\n${w.subject}`);
      return key ? [...w.orderIds].map((oid) => [w.shop, oid, key.id] as const) : [];
    });
    await client.query(
      `INSERT INTO fan_data_key_order (shop_domain, shopify_order_id, key_id)
       SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[]) ON CONFLICT DO NOTHING`,
      [links.map((l) => l[0]), links.map((l) => l[1]), links.map((l) => l[2])],
    );
    return keys;
  }
}
