import { randomBytes } from 'node:crypto';
import {
  bigintIdOrNull,
  type FanDataKey,
  keyedEmailHash,
  type SalesEventV1,
  salesEventV1,
  salesEventV2,
  sealedFan,
  sealSalesEvent,
} from '@single/contracts';
import type { PoolClient } from 'pg';
import { redactedEmailHash } from '../privacy/tombstones.ts';
import { isIsoCountry } from './country-code.ts';

/** An outbox row as the relay reads it: the payload as stored text. */
export interface OutboxRow {
  id: string;
  topic: string;
  key: string;
  payload: string;
}

interface OrderRow {
  shop_domain: string;
  oid: string;
  customer_id: string | null;
  email: string | null;
  tombstoned: boolean;
}

const SECRET_FACTS = ['emailHash', 'billingZip', 'shippingZip', 'browserIp', 'checkoutToken'] as const;
const COUNTRIES = ['billingCountry', 'shippingCountry'] as const;

function hasSecretFacts(event: SalesEventV1): boolean {
  return SECRET_FACTS.some((name) => !!event.fan[name]);
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The countries of a fan block that are ISO 3166-1 alpha-2: the only facts that may travel in clear. */
function validCountries(fan: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isRecord(fan)) for (const name of COUNTRIES) if (isIsoCountry(fan[name])) out[name] = fan[name];
  return out;
}

/**
 * What the relay may do with an outbox payload: publish it as stored (a clean version 2), seal it (an event read
 * as version 1, leniently), or publish the stripped payload (no event we can validate: no fan facts at all).
 */
export function readOutboxPayload(
  text: string,
): { kind: 'clean' } | { kind: 'open'; event: SalesEventV1 } | { kind: 'stripped'; payload: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { kind: 'stripped', payload: '{}' };
  }
  if (!isRecord(raw)) return { kind: 'stripped', payload: '{}' };
  const fan = isRecord(raw.fan) ? raw.fan : {};
  const countries = validCountries(fan);
  const fanIsClean = Object.keys(fan).every((name) => name in countries);
  if (raw.version === 2 && fanIsClean && salesEventV2.safeParse(raw).success) return { kind: 'clean' };
  const facts: Record<string, string> = { ...countries };
  for (const name of SECRET_FACTS) if (typeof fan[name] === 'string' && fan[name]) facts[name] = fan[name];
  const { fanSealed: _, ...rest } = raw;
  const v1 = salesEventV1.safeParse({ ...rest, version: 1, fan: facts });
  if (v1.success) return { kind: 'open', event: v1.data };
  const sealed = sealedFan.safeParse(raw.fanSealed);
  return {
    kind: 'stripped',
    payload: JSON.stringify({ ...rest, fan: countries, ...(sealed.success ? { fanSealed: sealed.data } : {}) }),
  };
}

// The orders of a round's events and their tombstones. Compared as bigint so that the (shop_domain,
// shopify_order_id) keys serve it (a ::text cast on the column scanned and sorted all orders per round); an id
// no bigint prints as ($3 null) matches nothing, as before.
export const SELECT_EVENT_ORDERS = `SELECT e.shop AS shop_domain, e.oid, o.customer_id::text, o.email,
        (EXISTS (SELECT 1 FROM redacted_order r WHERE r.shop_domain = e.shop AND r.shopify_order_id = e.oid_n)
         OR EXISTS (SELECT 1 FROM redacted_customer c WHERE c.shop_domain = e.shop AND c.customer_id = o.customer_id))
          AS tombstoned
 FROM unnest($1::text[], $2::text[], $3::bigint[]) AS e(shop, oid, oid_n)
   LEFT JOIN orders o ON o.shop_domain = e.shop AND o.shopify_order_id = e.oid_n`;

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

  /**
   * Seals the version 1 rows and returns the rows as they are now stored. Nothing leaves in clear that was not
   * validated: a clean version 2 row (only valid countries in `fan`) passes unchanged; any other row is read
   * leniently as version 1 (its fan facts kept as strings, a country that is not ISO 3166-1 alpha-2 dropped) and
   * sealed; a row that still is no event loses its fan block (stripped). A subject already redacted (a
   * tombstone for the order, its customer or its email) gets no key: its event carries the countries only.
   */
  async seal(client: PoolClient, rows: readonly OutboxRow[]): Promise<OutboxRow[]> {
    const open: { row: OutboxRow; event: SalesEventV1 }[] = [];
    const rewritten = new Map<string, string>();
    for (const row of rows) {
      const read = readOutboxPayload(row.payload);
      if (read.kind === 'open') open.push({ row, event: read.event });
      else if (read.kind === 'stripped') rewritten.set(row.id, read.payload);
    }
    const orders =
      open.length > 0
        ? await this.#orders(
            client,
            open.map((o) => o.event),
          )
        : new Map();
    const subjectOf = (shop: string, orderId: string) => {
      const order = orders.get(`${shop}\n${orderId}`);
      if (order?.customer_id) return `customer:${order.customer_id}`;
      if (order?.email?.trim()) return `email:${keyedEmailHash(this.#secret, order.email)}`;
      return `order:${orderId}`;
    };
    const redacted = await this.#redacted(client, [...orders.values()]);
    const keyed = open.filter(
      ({ event }) => hasSecretFacts(event) && !redacted.has(`${event.shopDomain}\n${event.orderId}`),
    );
    const wanted = new Map<string, { shop: string; subject: string; orderIds: Set<string> }>();
    for (const { event } of keyed) {
      const subject = subjectOf(event.shopDomain, event.orderId);
      const entry = wanted.get(`${event.shopDomain}\n${subject}`) ?? {
        shop: event.shopDomain,
        subject,
        orderIds: new Set(),
      };
      entry.orderIds.add(event.orderId);
      wanted.set(`${event.shopDomain}\n${subject}`, entry);
    }
    const keys = wanted.size > 0 ? await this.#keys(client, [...wanted.values()]) : new Map<string, FanDataKey>();
    for (const { row, event } of open) {
      const order = orders.get(`${event.shopDomain}\n${event.orderId}`);
      const email = order?.email?.trim() ? keyedEmailHash(this.#secret, order.email) : undefined;
      const facts = { ...event, fan: { ...event.fan, ...(email ? { emailHash: email } : {}) } };
      const key = keys.get(`${event.shopDomain}\n${subjectOf(event.shopDomain, event.orderId)}`) ?? null;
      rewritten.set(row.id, JSON.stringify(sealSalesEvent(facts, key)));
    }
    if (rewritten.size === 0) return [...rows];
    await client.query(
      `UPDATE sales_outbox o SET payload = s.payload::jsonb
       FROM unnest($1::bigint[], $2::text[]) AS s(id, payload) WHERE o.id = s.id`,
      [[...rewritten.keys()], [...rewritten.values()]],
    );
    return rows.map((row) => ({ ...row, payload: rewritten.get(row.id) ?? row.payload }));
  }

  async #orders(client: PoolClient, events: readonly { shopDomain: string; orderId: string }[]) {
    const { rows } = await client.query<OrderRow>(SELECT_EVENT_ORDERS, [
      events.map((e) => e.shopDomain),
      events.map((e) => e.orderId),
      events.map((e) => bigintIdOrNull(e.orderId)),
    ]);
    return new Map(rows.map((r) => [`${r.shop_domain}\n${r.oid}`, r]));
  }

  /**
   * The orders (`shop\norderId`) whose fan was redacted: by order or customer tombstone, or by the hash of the
   * order's email (redacted_email). Committed tombstones only: a redaction still running deletes the key this
   * transaction creates after it commits (purgeEveryCopy waits for the outbox rows this transaction holds).
   */
  async #redacted(client: PoolClient, orders: readonly OrderRow[]): Promise<Set<string>> {
    const redacted = new Set(orders.filter((o) => o.tombstoned).map((o) => `${o.shop_domain}\n${o.oid}`));
    const byEmail = orders.filter((o) => !o.tombstoned && o.email?.trim());
    if (byEmail.length === 0) return redacted;
    const hashes = byEmail.map((o) => redactedEmailHash(o.shop_domain, o.email as string));
    const { rows } = await client.query<{ shop_domain: string; email_hash: string }>(
      `SELECT r.shop_domain, r.email_hash FROM redacted_email r
       JOIN unnest($1::text[], $2::text[]) AS s(shop, hash) ON r.shop_domain = s.shop AND r.email_hash = s.hash`,
      [byEmail.map((o) => o.shop_domain), hashes],
    );
    const hit = new Set(rows.map((r) => `${r.shop_domain}\n${r.email_hash}`));
    byEmail.forEach((o, i) => {
      if (hit.has(`${o.shop_domain}\n${hashes[i]}`)) redacted.add(`${o.shop_domain}\n${o.oid}`);
    });
    return redacted;
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
